"""The in-process dispatcher runs a long job (a record import of many thousand rows) on a thread
of its own: a notification queued while the import runs is sent before the import ends."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from server.auth import Actor
from server.jobs.inprocess import InProcessDispatcher
from server.models import AuditEvent, OutboxJob
from server.services.cases.steps import enqueue
from server.services.record import import_jobs
from tests.integration.record_big import seed_big

STUDENTS = 4000  # 64,000 transcript rows: several seconds of checking and writing


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not in {timeout} s: {what}"
        time.sleep(0.05)


def _job(ctx, **where):  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.scalars(select(OutboxJob).filter_by(**where)).one()


def test_a_notification_queued_during_a_long_import_is_sent_first(ctx, people):
    content = seed_big(ctx, STUDENTS)
    import_id = import_jobs.queue_import(ctx, Actor.system(), "transcripts", "big.csv", content,
                                         dry_run=False)
    dispatcher = InProcessDispatcher(ctx, interval=0.2)
    dispatcher.start()
    try:
        running = lambda: import_jobs.get_import(ctx, Actor.system(), import_id).status  # noqa: E731
        _wait(lambda: running() in ("checking", "writing"), 30, "the import started")
        with ctx.db.unit_of_work() as session:
            enqueue(session, "notify/task", "test:notify-during-import", None, {"to_role": "registrar"})
        _wait(lambda: _job(ctx, kind="notify/task").status == "done", 10, "the notification sent")
        assert running() in import_jobs.ACTIVE, "the import ended before the notification was sent"
        _wait(lambda: running() in import_jobs.FINISHED, 300, "the import finished")
    finally:
        dispatcher.stop()
    row = import_jobs.get_import(ctx, Actor.system(), import_id)
    assert (row.status, row.counts["new"]) == ("done", STUDENTS * 16), import_jobs.error_text(row)
    notify, job = _job(ctx, kind="notify/task"), _job(ctx, kind=import_jobs.IMPORT_JOB)
    assert notify.done_at < job.done_at
    assert (job.status, job.attempts) == ("done", 1)
    with ctx.db.read() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.kind == "job_resent")).all() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_import_stopped_at_the_time_limit_says_so_in_words(ctx, people, monkeypatch):
    """Celery's soft limit interrupts the import: it fails with nothing written and a reason in words."""
    from celery.exceptions import SoftTimeLimitExceeded

    from server.web.i18n import localized

    content = seed_big(ctx, 10)

    def interrupted(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(import_jobs.imports, "check_transcripts", interrupted)
    import_id = import_jobs.queue_import(ctx, Actor.system(), "transcripts", "big.csv", content,
                                         dry_run=False)
    import_jobs.run_import(ctx, {"import_id": import_id})
    row = import_jobs.get_import(ctx, Actor.system(), import_id)
    assert row.status == "failed" and import_jobs.staged_rows(ctx, import_id) == 0
    reason = import_jobs.error_text(row)
    assert reason is not None and reason.startswith("импорт не уложился в предел времени")
    assert localized(reason, "kk").startswith("импорт ұзақ фондық жұмыстардың уақыт шегіне сыймады")
