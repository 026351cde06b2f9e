"""Each staff page is built from one view model read in one read transaction (besides the one
that checks the session): the inbox, a case's page, the registration page."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from server.auth import Actor
from server.services.cases import lifecycle as cases
from server.services.procedures import deployments
from tests.integration.test_transfer_in import APPLICANT
from tests.integration.web import Staff


@pytest.fixture
def reads(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the read transactions opened while a page is served."""
    opened: list[int] = []
    original = ctx.db.read

    @contextmanager
    def counted():  # type: ignore[no-untyped-def]
        opened.append(1)
        with original() as session:
            yield session

    monkeypatch.setattr(ctx.db, "read", counted)
    return opened


def _reads_for(staff: Staff, reads: list[int], path: str) -> int:
    staff.get(path)  # warm: the first request of a session may read more (language, CSRF)
    reads.clear()
    staff.get(path)
    return len(reads)


def test_each_page_reads_once_besides_the_session(app, ctx, people, reads):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    case_id = cases.start_case(ctx, Actor.system(), cases.StartRequest(
        process_id="transfer_in", data={"applicant": dict(APPLICANT)}))
    registrar = Staff(app, "registrar")
    session_only = _reads_for(registrar, reads, "/app/login")  # what checking the session costs
    assert _reads_for(registrar, reads, "/app/inbox?tab=group") == session_only + 1
    assert _reads_for(registrar, reads, f"/app/cases/{case_id}") == session_only + 1
    assert _reads_for(registrar, reads, "/app/cases/new?process=transfer_in&q=Аб") == session_only + 1
