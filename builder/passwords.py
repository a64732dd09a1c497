"""What a new password must be (ARCHITECTURE §8, Sessions and passwords), after NIST
SP 800-63B: long enough, not too long to allow passphrases, not common, not built on who
the person is or on the product's name, and no composition rules (no "one digit, one
symbol": they make passwords harder to remember, not to guess).

- At least ``OVERTURE_PASSWORD_MIN_LENGTH`` characters (15 unless set, NIST's minimum
  for a password that is the only factor, as here; never below 8), at most 128.
- Common and guessable ones are refused with zxcvbn (Dropbox's estimator, with its
  lists of common passwords, names and words): under its top score, about 10^10
  guesses, is refused with zxcvbn's reason.
- Context words (the user name, the display name, the e-mail address and "overture")
  count as the commonest words of all, and a password made only of them (with digits
  and punctuation between) is refused however long.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from zxcvbn import zxcvbn

from runtime.errors import InvalidInput

DEFAULT_MIN_LENGTH = 15
LOWEST_MIN_LENGTH = 8
MAX_LENGTH = 128
#: zxcvbn scores 0-4; 4 is at least 10^10 guesses ("Password1234567!" is a 3, three words a 4).
LOWEST_SCORE = 4
#: zxcvbn refuses longer input (its matching is quadratic); the rest adds strength anyway.
_ESTIMATED = 72
PRODUCT_WORDS = ("overture",)


def min_length(configured: Any) -> int:
    """The minimum length from OVERTURE_PASSWORD_MIN_LENGTH (a whole number, 8 or more)."""
    if configured in (None, ""):
        return DEFAULT_MIN_LENGTH
    try:
        value = int(configured)
    except (TypeError, ValueError):
        raise ValueError(f"OVERTURE_PASSWORD_MIN_LENGTH must be a whole number, not {configured!r}") from None
    if not LOWEST_MIN_LENGTH <= value <= MAX_LENGTH:
        raise ValueError(f"OVERTURE_PASSWORD_MIN_LENGTH must be between {LOWEST_MIN_LENGTH} and {MAX_LENGTH}, not {value}")
    return value


def context_words(*values: str | None) -> list[str]:
    """The person's names and address, whole and word by word, and the product's name."""
    words: list[str] = list(PRODUCT_WORDS)
    for value in values:
        if value:
            words.append(value.lower())
            words.extend(w for w in re.split(r"[^\w]+", value.lower()) if len(w) >= 3)
    return list(dict.fromkeys(words))


_CONTEXT = "is too easy to guess: it is built on your name, your user name, your e-mail address or the product's name"


def _made_of(password: str, words: list[str]) -> bool:
    """Whether the letters of ``password`` are nothing but context words, one after another."""
    letters = "".join(c for c in password.lower() if c.isalpha())
    pieces = {w for w in ("".join(c for c in word if c.isalpha()) for word in words) if w}
    if not letters:
        return False
    ends = [True] + [False] * len(letters)  # ends[i]: letters[:i] is made of pieces
    for i in range(1, len(letters) + 1):
        ends[i] = any(ends[i - len(p)] and letters.startswith(p, i - len(p)) for p in pieces if len(p) <= i)
    return ends[-1]


def problem(password: str, context: Iterable[str], *, shortest: int = DEFAULT_MIN_LENGTH) -> str | None:
    """Why ``password`` is refused, in a sentence for the person choosing it; None if it is fine."""
    if len(password) < shortest:
        return f"must be at least {shortest} characters; a few unrelated words make a long password easy to remember"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    words = list(context)
    if _made_of(password, words):
        return _CONTEXT
    result = zxcvbn(password[:_ESTIMATED], user_inputs=words)
    if result["score"] >= LOWEST_SCORE:
        return None
    if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        return _CONTEXT
    warning = str(result["feedback"].get("warning") or "").rstrip(".")
    reason = f": {warning[0].lower()}{warning[1:]}" if warning else ""
    return f"is too easy to guess{reason}; add a few unrelated words"


def check(password: str, context: Iterable[str], *, field: str = "password", shortest: int = DEFAULT_MIN_LENGTH) -> str:
    """``password`` when it may be used, else :class:`InvalidInput` (a 422) on ``field`` saying why."""
    reason = problem(password, context, shortest=shortest)
    if reason:
        raise InvalidInput(f"{field}: {reason}", {field: [reason]})
    return password
