"""A plug-in action for ``tests/runtime/test_pg_workers.py``.

Load it into a worker with ``overture worker --plugin tests.runtime.pg_plugin:register``
(the repository root on ``PYTHONPATH``). ``pgtest.record`` writes one row per execution,
``(idempotency_key, pid)``, to :data:`TABLE` in the PostgreSQL database named by the
environment variable :data:`URL_ENV`, over a connection of its own in autocommit mode
(so the row stays even if the worker dies before recording the job's result), then
sleeps a random 0-3 ms.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from runtime.actions import Action, ActionField, ActionRegistry

ACTION = "pgtest.record"
TABLE = "pgtest_executions"
URL_ENV = "OVERTURE_PGTEST_URL"

_connection: Any = None


def _conn() -> Any:
    global _connection
    import psycopg

    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ[URL_ENV], autocommit=True)
    return _connection


def create_table(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, idempotency_key text NOT NULL,"
            " pid integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )


def record(ctx: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    _conn().execute(f"INSERT INTO {TABLE} (idempotency_key, pid) VALUES (%s, %s)", (ctx.idempotency_key, os.getpid()))
    time.sleep(random.uniform(0, 0.003))
    return {"n": inputs["n"]}


def register(registry: ActionRegistry) -> None:
    registry.register(
        Action(
            ACTION,
            record,
            (ActionField("n", "integer", True),),
            (ActionField("n", "integer"),),
            description="Record this execution in a side table (tests).",
        )
    )
