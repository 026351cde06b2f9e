"""Jobs leave at commit: with Celery, a transaction that wrote outbox jobs wakes a thread of
this process, which claims the due jobs and sends them to the workers at once, instead of
leaving them for the beat's next tick (every REGOFFICE_TICK_SECONDS). The outbox stays the
guarantee: a job this thread misses (the process died right after the commit, the broker was
down) goes out at the next tick, and a job sent twice runs once (`run_job` is idempotent).
A job of a long kind goes through `send_long` (the long task), when given."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from server.services.background import jobs as background
from server.services.context import AppContext

log = logging.getLogger(__name__)


class Handoff:
    """A daemon thread per process, started at the first commit that wrote jobs (so a forked
    gunicorn worker or Celery pool process starts its own, never inherits a dead one)."""

    def __init__(self, ctx: AppContext, send: Callable[[int], None],
                 send_long: Callable[[int], None] | None = None) -> None:
        self.ctx = ctx
        self.send = send
        self.send_long = send_long or send
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def install(self) -> Handoff:
        self.ctx.on_jobs.append(self.wake)
        return self

    def wake(self) -> None:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():  # first wake in this process
                    self._wake = threading.Event()
                    self._thread = threading.Thread(target=self._loop, name="regoffice-handoff",
                                                    daemon=True)
                    self._pid = os.getpid()
                    self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                for job in background.claim_jobs(self.ctx):
                    (self.send_long if job.long else self.send)(job.id)
            except Exception:  # the beat's tick sends them instead
                log.exception("could not hand jobs to the workers; the next tick will")
