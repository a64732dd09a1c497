"""The live stream (ARCHITECTURE §5, protocol in builder/LIVE.md): websockets fed by one
poller thread per process.

- ``hub.py``: the :class:`~builder.live.hub.Hub`, the poller that projects the event log
  into figures and fans them out (one per app and process: :func:`~builder.live.hub.hub`).
- ``subscribers.py``: what each client is waiting to be sent.
- ``outlet.py``: a client's socket, which the hub writes each frame to itself, without
  waiting (a slow client's rest is written by its own greenlet).
- ``snapshots.py``: figures read whole — a client's first snapshot, the delta a resuming
  client missed, and ``GET /api/orchestrations/<key>/insights``.
- ``routes.py``: ``/ws/live`` and ``/ws/runs/<id>``, their handshake checks and send loops.

Imports go one way: routes -> snapshots -> hub -> subscribers -> outlet.
"""

from __future__ import annotations

from flask import Flask

from builder.live.routes import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
