"""Jobs leave at commit: with Celery, a transaction that wrote outbox jobs hands them to the
workers right away (server/jobs/handoff.py), not at the beat's next tick. On a real worker:
tests/integration/test_celery_worker.py."""

from __future__ import annotations

import time

from server.jobs.handoff import Handoff
from server.models import OutboxJob
from server.services.background import operations


def _until(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_a_commit_that_writes_jobs_hands_them_over(ctx):
    sent: list[int] = []
    handoff = Handoff(ctx, sent.append).install()
    try:
        job_id = operations.enqueue_probe(ctx, None, 0)
        assert _until(lambda: sent == [job_id]), sent
        with ctx.db.read() as session:
            assert session.get(OutboxJob, job_id).status == "sent"  # claimed: no tick sends it again
    finally:
        handoff.stop()


def test_a_failed_handoff_leaves_the_job_to_the_tick(ctx):
    def broker_down(job_id: int) -> None:
        raise ConnectionError("broker down")

    handoff = Handoff(ctx, broker_down).install()
    try:
        job_id = operations.enqueue_probe(ctx, None, 0)
        assert _until(lambda: _status(ctx, job_id) == "sent")
    finally:
        handoff.stop()
    # The sweeper sends a claimed job nobody ran again: the outbox stays the guarantee.
    from server.services.background import jobs as background

    assert background.claim_due_jobs(ctx, stale_after=0) == [job_id]


def _status(ctx, job_id: int) -> str:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.get(OutboxJob, job_id).status
