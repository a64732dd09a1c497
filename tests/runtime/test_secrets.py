"""References and masks (runtime/secrets.py): evaluating an input yields a reference,
only the store that made it turns it into the value, and what comes back is masked."""

from __future__ import annotations

import pytest

from runtime.secrets import MASK, MockSecrets, UnknownSecret, mask, reference, references, reveal


def test_a_reference_is_revealed_only_by_the_store_that_made_it():
    store = MockSecrets({"crm": "tok-123", "erp": "tok-123-long"})
    ref = reference(store, "crm")
    assert "tok" not in ref
    value, used = reveal({"headers": {"Authorization": "Bearer " + ref}, "list": [ref, 1, None]}, store)
    assert value == {"headers": {"Authorization": "Bearer tok-123"}, "list": ["tok-123", 1, None]} and used == ["tok-123", "tok-123"]
    # Made by another store (another key): never a way to the value.
    forged = reference(MockSecrets({"crm": "other"}), "crm")
    assert reveal("x" + forged, store) == ("x" + MASK, [])
    assert references(store, {"crm"}) == {"crm": ref}


def test_a_reference_to_a_missing_secret_fails_clearly():
    store = MockSecrets({})
    with pytest.raises(UnknownSecret, match="there is no secret crm"):
        reveal(reference(store, "crm"), store)


def test_mask_hides_every_value_and_reference_anywhere():
    store = MockSecrets({"a": "abc"})
    data = {"abc-key": ["see abcdef", {"n": 3, "s": "abcabc"}], "ref": reference(store, "a")}
    assert mask(data, ["abc", "abcdef", ""]) == {f"{MASK}-key": [f"see {MASK}", {"n": 3, "s": MASK + MASK}], "ref": MASK}
    assert mask("nothing here", []) == "nothing here"


def test_the_scenario_runner_answers_every_name_with_the_mask():
    store = MockSecrets(everything=True)
    assert reveal(reference(store, "anything"), store) == (MASK, [MASK])
