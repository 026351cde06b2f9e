"""Escalation follows the service catalog's chain (config/catalog.yaml `escalation`): an
overdue step goes to the head of the registrar office; still not done a working day later, to
the vice-rector; done in between, nobody else is bothered."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from server.auth import Actor
from server.db import utcnow
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from server.services.procedures import deployments
from tests.integration.api import case_view, complete
from tests.integration.test_transfer_in import ALL_DOCS, _start


@pytest.fixture
def overdue_dean(ctx, client, people):  # type: ignore[no-untyped-def]
    """A transfer whose dean's step went past its 2 working days: escalated to the head."""
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    case_id = _start(client, people)["id"]
    complete(client, people, "registrar", case_id, "check_documents", ALL_DOCS)
    later = utcnow() + timedelta(days=6)
    with time_machine.travel(later, tick=False):
        assert fire_due_timers(ctx) == 1
    return case_id, later


def _escalations(client, people, case_id):  # type: ignore[no-untyped-def]
    return [e["payload"]["to_role"] for e in case_view(client, people, case_id)["history"]
            if e["kind"] == "escalated"]


def test_a_step_still_overdue_goes_to_the_vice_rector(ctx, client, people, overdue_dean):
    case_id, later = overdue_dean
    assert _escalations(client, people, case_id) == ["registrar_head"]
    with time_machine.travel(later + timedelta(hours=2), tick=False):
        drain(ctx)  # the next level is not due yet: one working day later
    assert _escalations(client, people, case_id) == ["registrar_head"]
    with time_machine.travel(later + timedelta(days=4), tick=False):
        assert drain(ctx) >= 1
        drain(ctx)
    assert _escalations(client, people, case_id) == ["registrar_head", "vice_rector"]
    history = case_view(client, people, case_id)["history"]
    second = [e for e in history if e["kind"] == "escalated"][-1]
    assert second["payload"]["reason"] == "still_overdue" and second["actor_id"] is None
    with time_machine.travel(later + timedelta(days=10), tick=False):
        drain(ctx)  # the vice-rector is the chain's last level
    assert _escalations(client, people, case_id) == ["registrar_head", "vice_rector"]


def test_a_step_done_after_the_first_escalation_goes_no_further(ctx, client, people, overdue_dean):
    case_id, later = overdue_dean
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        complete(client, people, "dean_it", case_id, "determine_difference", {
            "final_year": False, "difference": [], "difference_credits": 0, "dean_decision": "approve"})
    with time_machine.travel(later + timedelta(days=4), tick=False):
        drain(ctx)
    assert _escalations(client, people, case_id) == ["registrar_head"]
