"""The embedded dispatcher: a daemon thread that drains the outbox and fires due timers.

It runs the very same service functions a Celery worker runs; only the dispatch differs.
The job kinds declared long (`JobKind.long`: a whole university's record import, minutes) run
on a second thread, one at a time, so the notifications, documents and escalations queued
meanwhile keep flowing on the first.
"""

from __future__ import annotations

import logging
import threading
import time

from server.services.background import heartbeat
from server.services.background import jobs as background
from server.services.context import AppContext
from server.services.reports import public_services as reports

log = logging.getLogger(__name__)


def drain(ctx: AppContext, *, max_rounds: int = 100, long: bool | None = None) -> int:
    """Run every due job and timer until nothing is left (tests, CLI, the thread); with
    `long=False`, the jobs of the long kinds are left to `drain_long`."""
    done = 0
    for _ in range(max_rounds):
        progressed = background.fire_due_timers(ctx)
        job_ids = background.claim_due_jobs(ctx, long=long)
        for job_id in job_ids:
            background.run_job(ctx, job_id)
        done += progressed + len(job_ids)
        if not job_ids and not progressed:
            break
    return done


def drain_long(ctx: AppContext, *, max_jobs: int = 100) -> int:
    """Run the due jobs of the long kinds, one at a time: each is claimed only when the one
    before it has ended, so none waits as "sent" long enough to be taken for lost."""
    done = 0
    while done < max_jobs:
        job_ids = background.claim_due_jobs(ctx, limit=1, long=True)
        if not job_ids:
            break
        background.run_job(ctx, job_ids[0])
        done += 1
    return done


class InProcessDispatcher:
    HEARTBEAT_EVERY = 5.0  # seconds; a write per round would compete with requests on SQLite
    REPORTS_EVERY = 60.0  # seconds between checks for a report due (one indexed look-up)

    def __init__(self, ctx: AppContext, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self._last_beat = 0.0
        self._last_reports = -self.REPORTS_EVERY
        self._wake = threading.Event()
        self._wake_long = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._long_thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.ctx.on_jobs.append(self._wake.set)
        self._thread = threading.Thread(target=self._loop, name="regoffice-dispatcher", daemon=True)
        if self.ctx.operators.long_kinds:
            self.ctx.on_jobs.append(self._wake_long.set)
            self._long_thread = threading.Thread(target=self._long_loop, name="regoffice-long-jobs",
                                                 daemon=True)
            self._long_thread.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop both threads; a long job still running is left to its daemon thread (it is
        taken for lost after its lease, and run again, if the process ends first)."""
        self._stop.set()
        self._wake.set()
        self._wake_long.set()
        for thread in (self._thread, self._long_thread):
            if thread is not None:
                thread.join(timeout=10)
        self._thread = self._long_thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._beat()
            try:
                drain(self.ctx, long=False if self._long_thread is not None else None)
            except Exception:
                log.exception("background dispatcher round failed")
            self._monthly_reports()
            self._wake.wait(self.interval)
            self._wake.clear()

    def _long_loop(self) -> None:
        while not self._stop.is_set():
            try:
                drain_long(self.ctx)
            except Exception:
                log.exception("background dispatcher round (long jobs) failed")
            self._wake_long.wait(self.interval)
            self._wake_long.clear()

    def _monthly_reports(self) -> None:
        """The beat's periodic reports, as in `regoffice.tick` (once a minute is plenty)."""
        now = time.monotonic()
        if now - self._last_reports < self.REPORTS_EVERY:
            return
        self._last_reports = now
        try:
            reports.generate_due_monthly(self.ctx)
        except Exception:
            log.exception("could not generate the monthly report")

    def _beat(self) -> None:
        now = time.monotonic()
        if now - self._last_beat < self.HEARTBEAT_EVERY:
            return
        try:
            heartbeat.record_heartbeat(self.ctx, heartbeat.INPROCESS)
            self._last_beat = now
        except Exception:
            log.exception("could not record the dispatcher's heartbeat")
