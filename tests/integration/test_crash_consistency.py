"""A failure between the engine step and the commit leaves everything exactly as before the
step: the case's state and version, its task rows, its audit trail, its outbox and timers.
Afterwards the same step succeeds as if nothing had happened."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.domain.iin import make_iin
from server.models import AuditEvent, Case, HumanTask, OutboxJob, Timer, User
from server.services.cases import lifecycle as cases
from server.services.cases import steps
from server.services.procedures import deployments
from server.services.tasks import human_tasks as tasks
from tests.integration.test_transfer_in import ALL_DOCS, APPLICANT


class Injected(RuntimeError):
    pass


def _snapshot(ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return {
            "cases": [(c.id, c.status, c.lock_version, c.state, c.summary, c.outcome, c.updated_at)
                      for c in session.scalars(select(Case).order_by(Case.id))],
            "tasks": [(t.id, t.status, t.assignee_id, t.completed_at, t.lock_version)
                      for t in session.scalars(select(HumanTask).order_by(HumanTask.id))],
            "audit": [(a.id, a.kind) for a in session.scalars(select(AuditEvent).order_by(AuditEvent.id))],
            "outbox": session.scalar(select(func.count()).select_from(OutboxJob)),
            "timers": [(t.id, t.status) for t in session.scalars(select(Timer).order_by(Timer.id))],
        }


def _fail_after(original):  # type: ignore[no-untyped-def]
    def persist_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)  # the engine has stepped and every row is written...
        raise Injected("injected failure before the commit")  # ...but the commit never comes

    return persist_then_fail


OTHER_IIN = make_iin(date(2004, 3, 9), "M", 4330)


@pytest.fixture
def started(ctx, people) -> tuple[int, Actor]:
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    with ctx.db.read() as session:
        registrar = Actor(session.scalar(select(User.id).where(User.username == "registrar")), "registrar",
                          frozenset({"registrar"}))
    case_id = cases.start_case(ctx, registrar, cases.StartRequest(
        process_id="transfer_in", channel="direct", data={"applicant": dict(APPLICANT)}))
    return case_id, registrar


def test_a_failed_completion_changes_nothing(ctx, started, monkeypatch):
    case_id, registrar = started
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                            HumanTask.status == "open"))
    tasks.claim_task(ctx, registrar, task_id)
    before = _snapshot(ctx)
    monkeypatch.setattr(tasks, "persist_step", _fail_after(steps.persist_step))
    with pytest.raises(Injected):
        tasks.complete_task(ctx, registrar, task_id, ALL_DOCS)
    assert _snapshot(ctx) == before
    monkeypatch.undo()
    step = tasks.complete_task(ctx, registrar, task_id, ALL_DOCS)
    assert [t.spec_name for t in step.open_tasks] == ["determine_difference"]
    after = _snapshot(ctx)
    assert after["cases"][0][2] > before["cases"][0][2]  # the version moved once
    assert [kind for _id, kind in after["audit"]].count("task_completed") == 1


def test_a_failed_start_leaves_no_case(ctx, started, monkeypatch):
    _case_id, registrar = started
    before = _snapshot(ctx)
    monkeypatch.setattr(cases, "persist_step", _fail_after(steps.persist_step))
    with pytest.raises(Injected):
        cases.start_case(ctx, registrar, cases.StartRequest(  # another applicant: one open case each
            process_id="transfer_in", channel="egov", data={"applicant": {**APPLICANT, "iin": OTHER_IIN}}))
    assert _snapshot(ctx) == before


def test_a_failed_cancel_changes_nothing(ctx, started, monkeypatch):
    case_id, registrar = started
    before = _snapshot(ctx)
    monkeypatch.setattr(cases, "audit", lambda *a, **k: (_ for _ in ()).throw(Injected("after the cancel")))
    with pytest.raises(Injected):
        cases.cancel_case(ctx, registrar, case_id, "проверка")
    assert _snapshot(ctx) == before
