"""The inbox's group filter answers from a task's first candidate role and adds the tasks with
several candidate roles by id (server/services/tasks/inbox.py): every candidate role still sees them,
with the dean's faculty scope, in the tabs, their counts and the search by a whole ИИН."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from server.auth import Actor
from server.db import utcnow
from server.models import HumanTask, User
from server.services.cases import lifecycle as cases
from server.services.people.users import actor_for_user
from server.services.procedures import deployments
from server.services.tasks import human_tasks as tasks
from server.services.tasks import inbox
from tests.integration.procs import add_student

TWO_LANES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_roles" targetNamespace="test">
  <bpmn:process id="inbox_roles" name="Две группы" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="shared"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="single"/>
    <bpmn:userTask id="shared" name="Декан или бухгалтерия" camunda:candidateGroups="dean, accountant"/>
    <bpmn:userTask id="single" name="Только регистратор" camunda:candidateGroups="registrar"/>
    <bpmn:sequenceFlow id="f4" sourceRef="shared" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="single" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _actor(ctx, username: str) -> Actor:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    actor = actor_for_user(ctx, user_id)
    assert actor is not None
    return actor


def _group(ctx, username: str, **query) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    rows, total = inbox.list_tasks(ctx, _actor(ctx, username), inbox.InboxQuery(scope="group", **query))
    return [r.spec_name for r in rows], total


def test_tasks_with_several_candidate_roles_reach_every_role(ctx, people):  # type: ignore[no-untyped-def]
    deployments.deploy_file(ctx, Actor.system(), "inbox_roles.bpmn", TWO_LANES)
    student = add_student(ctx, serial=1234)
    cases.start_case(ctx, Actor.system(), cases.StartRequest("inbox_roles", student_id=student))
    with ctx.db.read() as session:
        shared = session.scalar(select(HumanTask).where(HumanTask.spec_name == "shared"))
        assert shared.role == "dean" and shared.candidate_roles == "dean,accountant"
        iin = shared.subject_iin

    assert _group(ctx, "dean_it") == (["shared"], 1)  # the first role, own faculty
    assert _group(ctx, "dean_econ") == ([], 0)  # another faculty
    assert _group(ctx, "accountant") == (["shared"], 1)  # the second role, found by id
    assert _group(ctx, "registrar") == (["single"], 1)
    assert _group(ctx, "vicerector") == ([], 0)
    assert _group(ctx, "accountant", q=iin) == (["shared"], 1)  # a whole ИИН: equality
    assert _group(ctx, "accountant", q=iin[:6]) == (["shared"], 1)  # a prefix still works
    assert inbox.counts(ctx, _actor(ctx, "accountant")) == {"mine": 0, "group": 1, "overdue": 0}

    with ctx.db.unit_of_work() as session:
        session.execute(update(HumanTask).where(HumanTask.spec_name == "shared")
                        .values(due_at=utcnow() - timedelta(hours=1)))
    assert inbox.counts(ctx, _actor(ctx, "accountant")) == {"mine": 0, "group": 1, "overdue": 1}
    assert inbox.counts(ctx, _actor(ctx, "dean_econ")) == {"mine": 0, "group": 0, "overdue": 0}
    # claimed: mine and still the group's; the overdue tab counts it once
    tasks.claim_task(ctx, _actor(ctx, "accountant"), shared.id)
    assert inbox.counts(ctx, _actor(ctx, "accountant")) == {"mine": 1, "group": 1, "overdue": 1}
    overdue = inbox.InboxQuery(scope="any", overdue=True)
    rows, total = inbox.list_tasks(ctx, _actor(ctx, "accountant"), overdue)
    assert [r.spec_name for r in rows] == ["shared"] and total == 1
    rows, total = inbox.list_tasks(ctx, _actor(ctx, "head"), inbox.InboxQuery(scope="all"))
    # overdue (due) first, the task without a due date last
    assert [r.spec_name for r in rows] == ["shared", "single"] and total == 2
