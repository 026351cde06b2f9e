"""A Celery worker's own heartbeat, written by a thread of its main process.

`regoffice.tick` proves that beat, broker and some worker run; this proves that one given
worker process is alive. Its name carries the node name and the pid, so a worker started again
after a crash is a new one: the old name stops beating and, `worker_dead_seconds` later, the
sweeper sends the jobs that worker may have held again (server/services/background/jobs.py)
instead of waiting `job_stale_seconds` for their lease to run out.

The main process forks pool processes at any time (a replaced child): this thread's
connection is opened per beat and closed at once (no pool), so a fork never inherits one
in use by another process.
"""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy.pool import NullPool

from server.bootstrap import build_context
from server.config import Settings
from server.services.background import heartbeat
from server.services.context import AppContext

log = logging.getLogger(__name__)


class WorkerBeat:
    def __init__(self, settings: Settings, node: str) -> None:
        self.settings = settings
        self.name = heartbeat.worker_beat_name(node, os.getpid())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx: AppContext | None = None

    def start(self) -> None:
        self._ctx = build_context(self.settings, poolclass=NullPool)
        self._thread = threading.Thread(target=self._run, name="regoffice-worker-beat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._ctx is not None
        while not self._stop.is_set():
            try:
                heartbeat.record_heartbeat(self._ctx, self.name)
            except Exception as exc:  # the database is away: the sweeper may find us dead
                log.warning("could not record the heartbeat of %s: %s", self.name, exc)
            self._stop.wait(self.settings.worker_heartbeat_seconds)

    def stop(self) -> None:
        """A clean stop: no beat left behind to be taken for a dead worker."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._ctx is None:
            return
        try:
            with self._ctx.db.unit_of_work() as session:
                heartbeat.forget_heartbeats(session, [self.name])
        except Exception as exc:
            log.warning("could not remove the heartbeat of %s: %s", self.name, exc)
        self._ctx.db.dispose()
