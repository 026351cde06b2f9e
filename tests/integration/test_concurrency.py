"""Races through the real app: two people act on the same task at the same instant, many
cases start at once. One writer wins, the other gets a clear 409; nothing is half-written."""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES

API = "/api/v1"
PROCESS = "Process_approval"
ROUNDS = 3


@pytest.fixture
def deployed(client, people) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/processes", headers=people["admin"],
                    data={"file": (io.BytesIO((FIXTURES / "approval.bpmn").read_bytes()), "approval.bpmn")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json


def race(app, calls: list[Callable[[Any], Any]]) -> list[Any]:  # type: ignore[no-untyped-def]
    """Run each call in its own thread with its own test client, released together."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(i: int, call: Callable[[Any], Any]) -> None:
        client = app.test_client()
        try:
            barrier.wait()
            results[i] = call(client)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung (deadlock?)"
    assert not errors, errors
    return results


def start_case(client, headers) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/cases", headers=headers, json={"process_id": PROCESS, "data": {"amount": 5}})
    assert r.status_code == 201, r.json
    return r.json


def statuses(responses: list[Any]) -> list[int]:
    return sorted(r.status_code for r in responses)


def assert_conflict_body(response: Any) -> None:
    assert response.is_json
    assert response.json["error"] == "conflict"
    message = response.json["message"]
    assert re.search("[а-яА-Я]", message), message  # a sentence for a person, in Russian
    assert "Traceback" not in message


def test_two_people_complete_the_same_task_at_once(app, client, people, deployed, ctx):
    for _ in range(ROUNDS):
        case = start_case(client, people["registrar"])
        tid = case["open_tasks"][0]["id"]

        responses = race(app, [
            lambda c, who=who, tid=tid: c.post(f"{API}/tasks/{tid}/complete", headers=people[who],
                                               json={"data": {"approved": True, "by": who}})
            for who in ("registrar", "registrar2")
        ])

        assert statuses(responses) == [200, 409], [r.json for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code == 409)
        assert_conflict_body(loser)
        assert winner.json["status"] == "in_progress"

        after = client.get(f"{API}/cases/{case['id']}", headers=people["head"]).json
        kinds = Counter(e["kind"] for e in after["history"])
        assert kinds == {"case_started": 1, "task_completed": 1}
        assert len(after["open_tasks"]) == 1
        assert after["open_tasks"][0]["spec_name"] == "task_b"
        completed_by = next(e for e in after["history"] if e["kind"] == "task_completed")
        assert after["data"]["by"] == completed_by["payload"]["data"]["by"]
        assert _task_rows(ctx, case["id"]) == {("task_a", "completed"), ("task_b", "open")}


def test_two_people_claim_the_same_task_at_once(app, client, people, deployed):
    users = _user_ids(app)
    for _ in range(ROUNDS):
        case = start_case(client, people["registrar"])
        tid = case["open_tasks"][0]["id"]

        responses = race(app, [
            lambda c, who=who, tid=tid: c.post(f"{API}/tasks/{tid}/claim", headers=people[who])
            for who in ("registrar", "registrar2")
        ])

        assert statuses(responses) == [200, 409], [r.json for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        assert_conflict_body(next(r for r in responses if r.status_code == 409))
        assert winner.json["assignee_id"] in (users["registrar"], users["registrar2"])

        task = client.get(f"{API}/tasks/{tid}", headers=people["head"]).json
        assert task["assignee_id"] == winner.json["assignee_id"]
        history = client.get(f"{API}/cases/{case['id']}", headers=people["head"]).json["history"]
        claims = [e for e in history if e["kind"] == "task_claimed"]
        assert [e["actor_id"] for e in claims] == [winner.json["assignee_id"]]


def test_complete_and_cancel_at_once_leave_one_consistent_outcome(app, client, people, deployed, ctx):
    for _ in range(ROUNDS):
        case = start_case(client, people["registrar"])
        tid = case["open_tasks"][0]["id"]

        done, cancelled = race(app, [
            lambda c, tid=tid: c.post(f"{API}/tasks/{tid}/complete", headers=people["registrar"],
                                      json={"data": {"approved": False}}),
            lambda c, cid=case["id"]: c.post(f"{API}/cases/{cid}/cancel", headers=people["registrar2"],
                                             json={"reason": "отзыв"}),
        ])

        assert sorted([done.status_code, cancelled.status_code]) == [200, 409], (done.json, cancelled.json)
        after = client.get(f"{API}/cases/{case['id']}", headers=people["head"]).json
        kinds = [e["kind"] for e in after["history"]]
        assert after["open_tasks"] == []
        if done.status_code == 200:
            assert after["status"] == "completed"
            assert kinds == ["case_started", "task_completed", "case_completed"]
            assert _task_rows(ctx, case["id"]) == {("task_a", "completed")}
        else:
            assert after["status"] == "cancelled"
            assert kinds == ["case_started", "case_cancelled"]
            assert _task_rows(ctx, case["id"]) == {("task_a", "cancelled")}


def test_claim_and_cancel_at_once_never_deadlock(app, client, people, deployed, ctx):
    """Claim writes the task (and an audit row referencing the case); cancel writes the case
    and then its tasks. Both must lock in the same order, or PostgreSQL aborts one with a
    deadlock (a 500 for the user)."""
    for _ in range(ROUNDS):
        case = start_case(client, people["registrar"])
        tid = case["open_tasks"][0]["id"]

        claimed, cancelled = race(app, [
            lambda c, tid=tid: c.post(f"{API}/tasks/{tid}/claim", headers=people["registrar"]),
            lambda c, cid=case["id"]: c.post(f"{API}/cases/{cid}/cancel", headers=people["registrar2"],
                                             json={"reason": "отзыв"}),
        ])

        assert cancelled.status_code == 200, cancelled.json
        assert claimed.status_code in (200, 409), claimed.json
        after = client.get(f"{API}/cases/{case['id']}", headers=people["head"]).json
        assert after["status"] == "cancelled"
        assert after["open_tasks"] == []
        assert _task_rows(ctx, case["id"]) == {("task_a", "cancelled")}
        kinds = [e["kind"] for e in after["history"]]
        expected_claims = 1 if claimed.status_code == 200 else 0
        assert kinds == ["case_started"] + ["task_claimed"] * expected_claims + ["case_cancelled"]


def test_ten_cases_started_at_once(app, client, people, deployed, ctx):
    from server.models import AuditEvent, Case, HumanTask

    responses = race(app, [
        lambda c, n=n: c.post(f"{API}/cases", headers=people["registrar" if n % 2 else "registrar2"],
                              json={"process_id": PROCESS, "data": {"amount": n}})
        for n in range(10)
    ])

    assert [r.status_code for r in responses] == [201] * 10, [r.json for r in responses]
    ids = [r.json["id"] for r in responses]
    assert len(set(ids)) == 10
    task_ids = set()
    for n, r in enumerate(responses):
        body = r.json
        assert body["status"] == "in_progress"
        assert body["data"]["amount"] == n
        assert body["data"]["case_id"] == body["id"]
        assert [e["kind"] for e in body["history"]] == ["case_started"]
        [task] = body["open_tasks"]
        assert task["case_id"] == body["id"]
        task_ids.add(task["id"])
    assert len(task_ids) == 10

    listed = client.get(f"{API}/cases", headers=people["head"]).json
    assert listed["total"] == 10
    assert sorted(c["id"] for c in listed["items"]) == sorted(ids)
    group = client.get(f"{API}/tasks", headers=people["registrar"], query_string={"scope": "group"}).json
    assert group["total"] == 10
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 10
        assert session.scalar(select(func.count()).select_from(HumanTask)) == 10
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.kind == "case_started")) == 10

    # Every one of them is a real, runnable case.
    for r in responses:
        tid = r.json["open_tasks"][0]["id"]
        done = client.post(f"{API}/tasks/{tid}/complete", headers=people["registrar"],
                           json={"data": {"approved": False}})
        assert done.status_code == 200, done.json
        assert done.json["status"] == "completed"


def _task_rows(ctx, case_id: int) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from server.models import HumanTask

    with ctx.db.read() as session:
        return set(session.execute(select(HumanTask.spec_name, HumanTask.status)
                                   .where(HumanTask.case_id == case_id)).all())


def _user_ids(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from server.models import User

    with app.extensions["regoffice"].db.read() as session:
        return dict(session.execute(select(User.username, User.id)).all())
