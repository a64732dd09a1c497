"""SQLite: each thread keeps a connection while it lives, and gives it back when it ends
(a server starts a thread per request or websocket)."""

from __future__ import annotations

import gc
import shutil
import threading
import time

from sqlalchemy.pool import QueuePool

from runtime.model import Run
from runtime.store.sql import SqlStore


def test_threads_keep_a_connection_while_alive_and_give_it_back(tmp_path, sqlite_template):
    path = tmp_path / "o.db"
    shutil.copy(sqlite_template, path)
    store = SqlStore(f"sqlite:///{path}")
    try:
        hold = threading.Event()

        def read() -> None:
            with store.transaction(write=False) as tx:
                tx.get(Run, "nope")
            hold.wait()

        threads = [threading.Thread(target=read) for _ in range(40)]  # more than a default pool holds
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(store._kept) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(store._kept) == 40
        hold.set()
        for t in threads:
            t.join()
        gc.collect()
        pool = store.engine.pool
        assert isinstance(pool, QueuePool)  # a file database: the pool that counts its connections
        assert len(store._kept) == 0 and pool.checkedout() == 0
    finally:
        store.dispose()
