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


def test_a_reference_whose_tag_holds_a_secret_value_is_still_hidden_whole():
    """A tag is hex: a secret such as "abc" can occur inside it (this once failed at random)."""

    class Tagged(MockSecrets):
        def tag(self, name: str) -> str:
            return "47fe89c75099fb6a3fabc34bf18566a7"  # the tag CI drew

    ref = reference(Tagged({"a": "abc"}), "a")
    assert mask({"ref": ref, "text": f"x {ref} y"}, ["abc", "4"]) == {"ref": MASK, "text": f"x {MASK} y"}


def test_the_scenario_runner_answers_every_name_with_the_mask():
    store = MockSecrets(everything=True)
    assert reveal(reference(store, "anything"), store) == (MASK, [MASK])


def test_a_worker_with_the_same_server_key_runs_what_the_server_scheduled(store, clock, directory):
    """The server evaluates the inputs (references in the job), a worker process with the
    same key reveals them; the value is in neither the job nor the run's record."""
    if not hasattr(store, "engine"):
        pytest.skip("the secrets store is a table of the SQL database")
    from sqlalchemy.orm import Session

    from runtime.actions import Action, ActionField, default_registry
    from runtime.engine import Engine
    from runtime.model import Job
    from runtime.store.secrets import SqlSecrets
    from tests.runtime.docs import one_stage, step

    got: list[str] = []

    def push(_ctx: object, inputs: dict[str, str]) -> dict[str, str]:
        got.append(inputs["token"])
        return {"echo": inputs["token"]}

    registry = default_registry(plugins=False)
    registry.register(Action("crm.push", push, (ActionField("token", "string", True),), secrets=True))
    secrets = SqlSecrets(store.engine, "one key")
    server = Engine(store, clock, directory, actions=registry, autoprocess=False, secrets=secrets)
    worker = Engine(store, clock, directory, actions=registry, autoprocess=False, secrets=SqlSecrets(store.engine, "one key"))
    with Session(store.engine) as s, s.begin():
        secrets.put(s, "crm", "tok-9f8e7d", by="ada", now=clock.now())
    server.deploy(one_stage(step("push", "background", action="crm.push", inputs={"token": "'Bearer ' + secrets.crm"})))
    run_id = server.start("t", {})
    with store.transaction(write=False) as tx:
        (job,) = tx.find(Job, run_id=run_id)
    assert "tok-9f8e7d" not in str(job.inputs) and "secret:crm" in job.inputs["token"]
    assert worker.run_jobs() == 1
    assert got == ["Bearer tok-9f8e7d"]
    run = worker.get_run(run_id)
    assert run["status"] == "completed" and run["steps"][0]["outputs"] == {"echo": f"Bearer {MASK}"}
    assert "tok-9f8e7d" not in str(worker.events(run_id))
