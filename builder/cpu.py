"""Slow calls that release the GIL, run off the gevent hub (ARCHITECTURE §5, Serving).

Under ``overture serve`` every request of a process shares one thread (gevent): a
password hash (scrypt, a quarter of a second by design) would stop every other
request for that long. hashlib releases the GIL while it hashes, so the hash runs in
gevent's pool of real threads and the other requests carry on. Anywhere else (tests,
the CLI, ``overture worker``) the call runs where it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from werkzeug import security

T = TypeVar("T")


def off_hub(call: Callable[..., T], *args: object) -> T:
    """``call(*args)`` in a real thread when this process is gevent-patched; else right here."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        from gevent import get_hub

        return get_hub().threadpool.apply(call, args)
    return call(*args)


def check_password_hash(pwhash: str, password: str) -> bool:
    return off_hub(security.check_password_hash, pwhash, password)


def generate_password_hash(password: str, method: str = "scrypt") -> str:
    return off_hub(security.generate_password_hash, password, method)
