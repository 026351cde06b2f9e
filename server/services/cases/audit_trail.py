"""The case's audit trail: one append-only row per event. Its own module so that a use case
that only records what happened (storing uploaded scans) does not depend on the step
machinery in server/services/cases/steps.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.hot_path import append_audit
from server.models import Case


def audit(session: Session, case: Case | None, actor: Actor | None, kind: str,
          payload: dict[str, Any] | None = None, task_id: str | None = None) -> None:
    """Append an audit event at once (a direct INSERT: no unit-of-work bookkeeping on the hot
    path; the case row exists already, and the ids keep the order of the calls)."""
    append_audit(session, {
        "case_id": case.id if case else None, "task_id": task_id,
        "actor_id": actor.user_id if actor else None, "kind": kind, "payload": payload or {}, "at": utcnow()})
