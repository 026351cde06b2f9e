"""The student registry follows the signed batch orders (`contingent_order`: enrolment,
promotion, graduation, and the batch transfer orders of server/services/cases/batch_orders.py), in the
signing transaction; a listed student the registry does not know is refused at upload (and a
step that still meets one notes it, not a crash). A step
applied again changes nothing (a promotion never promotes twice). A model whose registry step
names an unknown status, field or parameter is refused at deploy with file, element and reason;
a value known only at run time is checked then, and the signature fails with nothing changed."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from server.auth import Actor
from server.bootstrap import build_context
from server.config import ROOT
from server.domain.iin import make_iin
from server.engine import ServiceCall
from server.jobs.inprocess import drain
from server.models import Case, Student, StudentChange
from server.services.students.registry import apply_registry_call
from tests.integration.api import case_view, complete, history_kinds
from tests.integration.procs import add_student, add_user, deploy_all, sign_order
from tests.integration.test_contingent_order import _csv, _rows, _upload, registered

WORKFLOWS = ROOT / "workflows"


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return people


def _students(ctx) -> dict[str, Student]:
    with ctx.db.read() as session:
        return {s.iin: s for s in session.scalars(select(Student))}


def _events(view: dict, kind: str) -> list[dict]:
    return [e["payload"] for e in view["history"] if e["kind"] == kind]


def _approve(client, ctx, people, cid: int) -> None:
    complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1


def _order(client, ctx, people, rows: list[list[str]], kind: str) -> dict:
    cid = _upload(client, people, _csv(rows), kind=kind)["id"]
    _approve(client, ctx, people, cid)
    # an enrolment order's military-office notice (tests/integration/test_letters.py) is a second document
    return sign_order(client, people, cid, completed_tasks=3, ctx=ctx,
                      documents=2 if kind == "enrolment" else 1)


def test_promotion_order_promotes_each_listed_student_once(client, ctx, env):
    rows = _rows(3)  # year 2 in the list; the third student is not in the registry
    registered(ctx, rows[:2])
    refused = _upload(client, env, _csv(rows), kind="promotion", status=422)  # checked at upload
    assert set(refused["fields"]) == {"row 4.iin"}
    cid = _upload(client, env, _csv(rows[:2]), kind="promotion")["id"]
    _approve(client, ctx, env, cid)
    assert {s.year for s in _students(ctx).values()} == {2}  # approved, numbered, not signed
    view = sign_order(client, env, cid, completed_tasks=3)

    students = _students(ctx)
    assert [students[r[0]].year for r in rows[:2]] == [3, 3]
    updated = _events(view, "student_updated")
    assert [(e["iin"], e["changes"], e["order_number"], e["element"]) for e in updated] == [
        (r[0], {"year": {"before": 2, "after": 3}}, "1-у", "promote_students") for r in rows[:2]]
    assert _events(view, "student_not_found") == []
    assert history_kinds(view)[-1] == "case_completed"

    # the step applied again (a retried step, the same order released twice): nothing more
    with ctx.db.unit_of_work() as session:
        change = session.scalars(select(StudentChange).where(StudentChange.case_id == cid)).first()
        case = session.get(Case, cid)
        params = {"students": [{"iin": r[0], "year": 3} for r in rows], "order_number": "1-у"}
        apply_registry_call(ctx, session, case, ServiceCall(change.task_id, "promote_students",
                                                            "student/update", params, False), Actor.system())
    assert [_students(ctx)[r[0]].year for r in rows[:2]] == [3, 3]
    again = case_view(client, env, cid)
    assert len(_events(again, "student_updated")) == 2
    with ctx.db.read() as session:
        assert len(session.scalars(select(StudentChange).where(StudentChange.case_id == cid)).all()) == 2

    # a second order on the same list is refused at upload: the registry says 3rd year now
    second = _upload(client, env, _csv(rows[:2]), kind="promotion", status=422)
    assert second["fields"]["row 2.iin"].endswith("year в списке «2», а в реестре «3»")
    assert [_students(ctx)[r[0]].year for r in rows[:2]] == [3, 3]


def test_graduation_order_graduates_the_listed_students(client, ctx, env):
    rows = [[*row[:7], "4", *row[8:]] for row in _rows(2)]
    registered(ctx, rows)
    sids = [_students(ctx)[row[0]].id for row in rows]
    view = _order(client, ctx, env, rows, "graduation")
    assert {s.status for s in _students(ctx).values()} == {"graduated"}
    assert [e["changes"] for e in _events(view, "student_updated")] == \
        [{"status": {"before": "active", "after": "graduated"}}] * 2
    r = client.post("/api/v1/cases", headers=env["registrar"],
                    json={"process_id": "cert_study", "student_id": sids[0]})
    assert r.status_code == 422 and "окончил обучение" in r.json["fields"]["student_id"]


def test_enrolment_order_creates_the_students(client, ctx, env):
    rows = _rows(3)
    for row in rows:
        row[7] = "1"  # first year
    former = add_student(ctx, iin=rows[0][0], status="expelled", year=3, programme_code="6B01101",
                         programme_name="Педагогика", group="П-21-1")
    view = _order(client, ctx, env, rows, "enrolment")

    students = _students(ctx)
    assert len(students) == 3 and {s.status for s in students.values()} == {"active"}
    assert students[rows[0][0]].id == former
    for row in rows:
        student = students[row[0]]
        assert (student.last_name, student.first_name, student.faculty.code) == (row[1], row[2], row[4])
        assert (student.programme_code, student.year, student.group) == (row[5], 1, row[8])
        assert (student.form, student.language, student.funding) == (row[9], row[10], row[11])
    actions = {e["iin"]: e["action"] for e in _events(view, "student_updated")}
    assert actions == {rows[0][0]: "updated", rows[1][0]: "created", rows[2][0]: "created"}
    updated = next(e for e in _events(view, "student_updated") if e["action"] == "updated")
    assert updated["changes"]["status"] == {"before": "expelled", "after": "active"}
    assert updated["changes"]["programme_code"] == {"before": "6B01101", "after": "6B06102"}


def test_refused_promotion_changes_nothing(client, ctx, env):
    rows = registered(ctx, _rows(2))
    cid = _upload(client, env, _csv(rows), kind="promotion")["id"]
    complete(client, env, "head", cid, "head_review", {"head_decision": "approve"})
    complete(client, env, "vicerector", cid, "vice_rector_approve",
             {"vr_decision": "reject", "vr_refusal_ground": "other", "vr_comment": "Список неполный"})
    view = case_view(client, env, cid)
    assert view["status"] == "rejected" and not _events(view, "student_updated")
    assert {s.year for s in _students(ctx).values()} == {2}


def test_batch_transfer_order_updates_each_student_when_signed(client, ctx, env):
    from tests.integration.test_batch_transfers import WAITING, _approved, _collect, _internal_waiting

    incoming = _approved(client, env, 0, *WAITING[0])
    internal = _internal_waiting(client, ctx, env)
    incoming_iin = case_view(client, env, incoming)["data"]["applicant"]["iin"]
    internal_iin = case_view(client, env, internal)["data"]["student"]["iin"]
    batch = _collect(client, env)["id"]
    complete(client, env, "head", batch, "head_review", {"head_decision": "approve"})
    complete(client, env, "vicerector", batch, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    assert incoming_iin not in _students(ctx) and _students(ctx)[internal_iin].programme_code == "6B06102"
    view = sign_order(client, env, batch, completed_tasks=3)
    number = view["documents"][0]["number"]

    students = _students(ctx)
    assert students[incoming_iin].status == "active" and students[incoming_iin].last_name == "Абенов"
    assert (students[internal_iin].programme_code, students[internal_iin].language) == ("6B04101", "kk")
    for cid, action in ((incoming, "created"), (internal, "updated")):
        (event,) = _events(case_view(client, env, cid), "student_updated")
        assert event["action"] == action and event["order_number"] == number
    assert case_view(client, env, incoming)["student_id"] == students[incoming_iin].id


# --- models with bad registry parameters --------------------------------------------------------

BAD_MODELS = [
    ("expulsion.bpmn", "value=\"'transferred_out' if expulsion_ground == 'transfer' else 'expelled'\"",
     "value=\"'dismissed'\"", "update_registry", ["dismissed", "active", "graduated"]),
    ("vacant_grant.bpmn", "value=\"{'funding': 'grant'}\"", "value=\"{'funding': 'grant', 'gpa': 4}\"",
     "update_registry", ["gpa", "programme_code"]),
    ("vacant_grant.bpmn", "value=\"{'funding': 'grant'}\"", "value=\"{'funding': 'stipend'}\"",
     "update_registry", ["funding", "grant, paid"]),
    ("transfer_out.bpmn", 'id="status" type="str"', 'id="state" type="str"', "update_registry",
     ["state", "status"]),
    ("contingent_order.bpmn", "value=\"[s['iin'] for s in students]\" />",
     "value=\"[s['iin'] for s in students]\" />"
     "<spiffworkflow:parameter id=\"student\" type=\"dict\" value=\"{}\" />",
     "graduate_students", ["student", "students"]),
]


def _bad_model(name: str, old: str, new: str) -> str:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize(("name", "old", "new", "element", "words"), BAD_MODELS)
def test_bad_registry_parameter_is_refused_at_deploy(client, ctx, env, name, old, new, element, words):
    r = client.post("/api/v1/processes", headers=env["admin"], content_type="multipart/form-data",
                    data={"file": (io.BytesIO(_bad_model(name, old, new).encode()), name)})
    assert r.status_code == 422, r.json
    reason = r.json["fields"][f"{name}#{element}"]
    assert all(word in reason for word in words), reason


def test_regoffice_check_finds_the_bad_parameter(tmp_path: Path):
    from dataclasses import replace

    from server.config import Settings
    from server.services.procedures.checks import check_all

    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in WORKFLOWS.iterdir():
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    name, old, new, element, _ = BAD_MODELS[0]
    (folder / name).write_text(_bad_model(name, old, new), encoding="utf-8")
    settings = replace(Settings.from_env(), workflows_dir=folder, forms_dir=ROOT / "forms",
                       templates_dir=ROOT / "templates", config_dir=ROOT / "config")
    problems = check_all(build_context(settings, database=False))
    assert any(f"{name} [{element}]" in p and "dismissed" in p for p in problems), problems


def test_a_bad_value_known_only_at_run_time_fails_the_signature(client, ctx, env):
    """`status` from the case data (the expulsion ground, not a status) passes the deploy check;
    the signature is refused with the reason, and nothing changes: the registry, the case, the
    rector's task."""
    from tests.integration.test_registry_updates import IIN, _expulsion_to_signature

    add_user(ctx, env, "lawyer", "lawyer")
    name, old = "expulsion.bpmn", BAD_MODELS[0][1]
    model = _bad_model(name, old, 'value="expulsion_ground"').encode()
    r = client.post("/api/v1/processes", headers=env["admin"], content_type="multipart/form-data",
                    data={"file": (io.BytesIO(model), name)})
    assert r.status_code == 201, r.json
    sid = add_student(ctx, iin=IIN)
    cid = _expulsion_to_signature(client, ctx, env, sid)
    body = complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-09-02"},
                    status=422)
    assert "academic_failure" in body["message"] and "expulsion#update_registry" in body["fields"]
    view = case_view(client, env, cid)
    assert view["status"] == "in_progress" and [t["spec_name"] for t in view["open_tasks"]] == ["rector_sign"]
    assert _students(ctx)[IIN].status == "active" and not _events(view, "student_updated")


def test_student_page_and_search_show_the_status(app, ctx, env):
    from tests.integration.web import Staff

    sid = add_student(ctx, iin=make_iin(date(2004, 3, 9), "M", 4321), status="graduated")
    page = Staff(app, "registrar").get(f"/app/students/{sid}")
    assert "Иванов Пётр Сергеевич" in page and "окончил обучение" in page
    found = Staff(app, "registrar").get("/app/cases/new?process=cert_study&q=Иванов")
    assert "окончил обучение" in found
    Staff(app, "dean_econ").get(f"/app/students/{sid}", status=404)  # another faculty's student


def test_case_and_student_pages_show_what_the_order_changed(app, client, ctx, env):
    from tests.integration.web import Staff, text

    rows = registered(ctx, [[*row[:7], "4", *row[8:]] for row in _rows(1)])
    sid = _students(ctx)[rows[0][0]].id
    cid = _order(client, ctx, env, rows, "graduation")["id"]
    staff = Staff(app, "registrar")
    case_page = text(staff.get(f"/app/cases/{cid}"))
    assert (f"Реестр обучающихся изменён по приказу : {rows[0][0]} (№ 1-у) — "
            "Статус: обучается → окончил обучение") in case_page
    student_page = text(staff.get(f"/app/students/{sid}"))
    assert "Изменения по подписанным приказам" in student_page and "№ 1-у" in student_page
    assert "Статус: обучается → окончил обучение" in student_page
    kk = text(Staff(app, "registrar", lang="kk").get(f"/app/students/{sid}"))
    assert "оқуды бітірді" in kk and "Қол қойылған бұйрықтар бойынша өзгерістер" in kk
