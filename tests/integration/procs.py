"""Fixtures' helpers shared by the tests of the expulsion, foreign registration, contingent order
and vacant grant procedures: students in the registry, extra users, document text."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.context import AppContext
from server.services.procedures import deployments
from tests.integration.api import Headers, case_view, complete, document_parts, history_kinds
from tests.integration.api import add_student as api_add_student


def deploy_all(ctx: AppContext) -> None:
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)


def add_student(ctx: AppContext, serial: int = 4321, **overrides: Any) -> int:
    """A citizen student of the IT faculty (overrides: any Student column, faculty_code); the
    ИИН is made from `serial` unless given."""
    faculty = overrides.pop("faculty_code", "IT")
    overrides.setdefault("sex", "M")
    overrides.setdefault("citizenship", "KAZ")
    iin = overrides.pop("iin", None) or make_iin(date(2004, 3, 9), overrides["sex"], serial)
    return api_add_student(ctx, iin, faculty, **overrides)


def add_user(ctx: AppContext, headers: Headers, username: str, role: str) -> None:
    from server.services.people.users import NewUser, create_token, create_user

    create_user(ctx, NewUser(username, username.title(), (role,), "secret-pass-1", None))
    headers[username] = {"Authorization": f"Bearer {create_token(ctx, username)}"}


def document_text(client: Any, headers: Headers, case: dict, language: str) -> tuple[str, str]:
    """(paragraphs, table cells) of the case's first document in `language`."""
    doc = next(d for d in case["documents"] if d["language"] == language)
    paragraphs, cells = document_parts(client, headers, doc)
    return "\n".join(paragraphs), "\n".join(cells)


def sign_order(client: Any, headers: Headers, case_id: int, completed_tasks: int,
               signed_date: str = "2026-09-02", ctx: AppContext | None = None, documents: int = 1) -> dict:
    """The rector signs the order; the case ends `issued` with its whole audit trail (`documents`
    document issues, `completed_tasks` task completions). Returns the case view. With `ctx`, the
    background steps after the signature (the military-office notice) run first."""
    complete(client, headers, "rector", case_id, "rector_sign", {"signed": True, "signed_date": signed_date})
    if ctx is not None:
        drain(ctx)
    view = case_view(client, headers, case_id)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    kinds = history_kinds(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == completed_tasks and kinds.count("document_issued") == documents
    return view
