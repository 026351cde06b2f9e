"""Driving cases through the HTTP API in tests: a user's group inbox, completing a task,
reading a case. `headers` maps usernames to their bearer headers (the `people` fixture)."""

from __future__ import annotations

from typing import Any

Headers = dict[str, dict[str, str]]


def group_inbox(client: Any, headers: Headers, user: str) -> dict[tuple[int, str], dict]:
    r = client.get("/api/v1/tasks?scope=group", headers=headers[user])
    assert r.status_code == 200, r.json
    return {(t["case_id"], t["spec_name"]): t for t in r.json["items"]}


def complete(client: Any, headers: Headers, user: str, case_id: int, spec: str,
             data: dict[str, Any], status: int = 200) -> dict:
    """Complete the task `spec` of a case from the user's group inbox; check the status."""
    task = group_inbox(client, headers, user).get((case_id, spec))
    assert task is not None, f"{spec} not in {user}'s group inbox"
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers[user],
                    json={"data": data})
    assert r.status_code == status, r.json
    return r.json


def case_view(client: Any, headers: Headers, case_id: int) -> dict:
    """The case as the head of the office sees it."""
    r = client.get(f"/api/v1/cases/{case_id}", headers=headers["head"])
    assert r.status_code == 200, r.json
    return r.json
