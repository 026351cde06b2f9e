"""Moving open cases to a newer version of their procedure: a dry run lists per case where
it stands and whether the new version has those steps; the real run moves a case waiting at
a user task and one waiting at a timer (the timer keeps its due time) and leaves a case at
a step the new version removed, with the reason, each audited. Admin API and CLI."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.cli import main
from tests.integration.test_messages import deploy, history, start, tasks_of, view

API = "/api/v1"


def due_times(ctx: Any, case_id: int) -> list[Any]:
    from server.models import Timer

    with ctx.db.read() as session:
        return list(session.scalars(select(Timer.due_at).where(Timer.case_id == case_id,
                                                                Timer.status == "waiting")))


@pytest.fixture
def cases(client, people, ctx) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Three cases on version 1 (at the review, at the timer, at the removed step); version 2 deployed."""
    deploy(client, people["admin"], "doc_review_v1.bpmn")
    opened = {route: start(client, people["registrar"], "doc_review", route=route)
              for route in ("task", "timer", "old")}
    assert [tasks_of(opened[r]) for r in ("task", "timer", "old")] == [["review"], [], ["old_step"]]
    assert len(due_times(ctx, opened["timer"]["id"])) == 1
    deploy(client, people["admin"], "doc_review_v2.bpmn")
    return opened


def migrate(client: Any, headers: dict, dry_run: bool, version: int = 2):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/admin/processes/doc_review/migrate", headers=headers,
                       json={"to_version": version, "dry_run": dry_run})


def test_dry_run_lists_each_case_and_changes_nothing(client, people, ctx, cases):
    r = migrate(client, people["admin"], dry_run=True)
    assert r.status_code == 200, r.json
    items = {i["case_id"]: i for i in r.json["items"]}
    task, timer, old = (items[cases[k]["id"]] for k in ("task", "timer", "old"))
    assert (task["action"], task["at"], task["missing"], task["from_version"]) == \
        ("migrate", ["review"], [], 1)
    assert (timer["action"], timer["at"]) == ("migrate", ["wait_three_days"])
    assert (old["action"], old["missing"]) == ("stay", ["old_step"])
    assert "old_step" in old["reason"]
    for case in cases.values():
        after = view(client, people["registrar"], case["id"])
        assert after["process_version"] == 1 and not history(after, "case_migrated")


def test_real_run_moves_the_cases_that_can_and_audits_each(client, people, ctx, cases):
    due_before = due_times(ctx, cases["timer"]["id"])
    r = migrate(client, people["admin"], dry_run=False)
    assert r.status_code == 200, r.json
    actions = {i["case_id"]: i["action"] for i in r.json["items"]}
    assert actions == {cases["task"]["id"]: "migrated", cases["timer"]["id"]: "migrated",
                       cases["old"]["id"]: "stayed"}

    task = view(client, people["registrar"], cases["task"]["id"])
    assert task["process_version"] == 2 and tasks_of(task) == ["review"]
    assert task["open_tasks"][0]["id"] == cases["task"]["open_tasks"][0]["id"]  # the same inbox row
    [moved] = history(task, "case_migrated")
    assert (moved["from_version"], moved["to_version"], moved["at"]) == (1, 2, ["review"])
    r = client.post(f"{API}/tasks/{task['open_tasks'][0]['id']}/complete", headers=people["registrar"],
                    json={"data": {}})
    assert r.status_code == 200, r.json
    assert [t["spec_name"] for t in r.json["open_tasks"]] == ["check_again"]  # version 2's next step

    timer = view(client, people["registrar"], cases["timer"]["id"])
    assert timer["process_version"] == 2 and tasks_of(timer) == []
    assert due_times(ctx, cases["timer"]["id"]) == due_before  # still three days from the start

    old = view(client, people["registrar"], cases["old"]["id"])
    assert old["process_version"] == 1 and tasks_of(old) == ["old_step"]
    [left] = history(old, "case_not_migrated")
    assert left["missing"] == ["old_step"] and "old_step" in left["reason"]

    again = migrate(client, people["admin"], dry_run=False)  # only the case left behind is tried again
    assert [i["case_id"] for i in again.json["items"]] == [cases["old"]["id"]]


def test_the_moved_timer_fires_into_the_new_version(client, people, ctx, cases):
    from server.models import Case
    from server.services.procedures.deployments import definition_info

    assert migrate(client, people["admin"], dry_run=False).status_code == 200
    with ctx.db.unit_of_work() as session:  # the three days have passed
        case = session.get(Case, cases["timer"]["id"])
        instance = ctx.restore_instance(definition_info(ctx, session, case.definition_id).bundle, case.state)
        [timer] = instance.workflow.get_tasks(spec_name="wait_three_days")
        timer.internal_data["event_value"] = "2000-01-01T00:00:00+00:00"
        instance.fire_due_timers()
        assert [t.spec_name for t in instance.ready_user_tasks()] == ["review"]
        instance.complete_user_task(instance.ready_user_tasks()[0].id, {})
        assert [t.spec_name for t in instance.ready_user_tasks()] == ["check_again"]


def test_only_admins_migrate_and_the_version_must_exist(client, people, cases):
    assert migrate(client, people["head"], dry_run=True).status_code == 403
    r = migrate(client, people["admin"], dry_run=True, version=7)
    assert r.status_code == 404 and "doc_review" in r.json["message"]


def test_cli_dry_run_and_run(client, people, settings, monkeypatch, tmp_path, cases):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REGOFFICE_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("REGOFFICE_BACKGROUND", "none")
    result = CliRunner().invoke(main, ["cases", "migrate", "doc_review", "--to", "2", "--dry-run"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"дело №{cases['old']['id']}: версия 1 → 2: stay" in result.output
    assert "Дел: 3, можно перенести: 2, остаются: 1" in result.output
    assert view(client, people["registrar"], cases["task"]["id"])["process_version"] == 1
    result = CliRunner().invoke(main, ["cases", "migrate", "doc_review", "--to", "2"], catch_exceptions=False)
    assert result.exit_code == 0 and "перенесено: 2, остаются: 1" in result.output
    assert view(client, people["registrar"], cases["task"]["id"])["process_version"] == 2
    result = CliRunner().invoke(main, ["cases", "migrate", "doc_review", "--to", "9"])
    assert result.exit_code == 2 and "doc_review" in result.output
