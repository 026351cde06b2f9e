"""The student registry follows the signed orders of single cases (service operators
`student/update`, `student/enrol`), through the API on both databases: expulsion, academic
leave and the return from it, reinstatement, transfer inside the university, transfer from
another university, transfer out. Each time: nothing changes before the rector signs, the row
changes exactly as the order says once signed, the audit trail has `student_updated` with the
values before and after and the order's number; a refused or cancelled case changes nothing;
a certificate from the place of study is refused at registration for a student who left."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Student, StudentChange
from tests.integration.api import add_student, case_view, complete, history_kinds, start_case
from tests.integration.procs import add_user, deploy_all

IIN = make_iin(date(2004, 3, 9), "M", 4321)


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    add_user(ctx, people, "lawyer", "lawyer")
    return people


def _row(ctx, iin: str = IIN) -> Student | None:
    with ctx.db.read() as session:
        return session.scalar(select(Student).where(Student.iin == iin))


def _updates(view: dict) -> list[dict[str, Any]]:
    return [e["payload"] for e in view["history"] if e["kind"] == "student_updated"]


def _changes(ctx, case_id: int) -> list[StudentChange]:
    with ctx.db.read() as session:
        return list(session.scalars(select(StudentChange).where(StudentChange.case_id == case_id)))


# --- expulsion ------------------------------------------------------------------------------

def _expulsion_to_signature(client, ctx, people, student_id: int, ground: str = "academic_failure") -> int:
    from tests.integration.test_expulsion import ACCOUNTING, DRAFT, SUBMISSION, VISA

    cid = start_case(client, people, "expulsion", student_id)["id"]
    complete(client, people, "dean_it", cid, "dean_submission", {**SUBMISSION, "expulsion_ground": ground})
    complete(client, people, "registrar", cid, "registrar_draft", DRAFT)
    complete(client, people, "lawyer", cid, "lawyer_visa", VISA)
    complete(client, people, "accountant", cid, "accounting_visa", ACCOUNTING)
    assert drain(ctx) >= 1
    return cid


@pytest.mark.parametrize(("ground", "status"),
                         [("academic_failure", "expelled"), ("transfer", "transferred_out")])
def test_signed_expulsion_expels_the_student(client, ctx, env, ground, status):
    sid = add_student(ctx, IIN)
    cid = _expulsion_to_signature(client, ctx, env, sid, ground)
    assert _row(ctx).status == "active"  # drafted, visaed, numbered: not signed yet
    complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-09-02"})
    drain(ctx)  # the military-office notice (tests/integration/test_letters.py)

    student = _row(ctx)
    assert student.status == status and student.year == 2 and student.programme_code == "6B06102"
    view = case_view(client, env, cid)
    assert view["status"] == "completed"
    (event,) = _updates(view)
    assert event == {"element": "update_registry", "order_number": "1-у", "student_id": sid, "iin": IIN,
                     "action": "updated", "changes": {"status": {"before": "active", "after": status}}}
    kinds = history_kinds(view)
    assert kinds.index("student_updated") < kinds.index("case_completed")
    (change,) = _changes(ctx, cid)
    assert (change.student_id, change.element, change.order_number) == (sid, "update_registry", "1-у")

    # the next certificate reads the registry: refused at registration, saying why
    r = client.post("/api/v1/cases", headers=env["registrar"],
                    json={"process_id": "cert_study", "student_id": sid})
    assert r.status_code == 422, r.json
    assert "student_id" in r.json["fields"] and "Справка с места учёбы" in r.json["message"]
    assert "отчислен" in r.json["fields"]["student_id"]


def test_refused_or_cancelled_expulsion_changes_nothing(client, ctx, env):
    from tests.integration.test_expulsion import DRAFT, SUBMISSION

    refused = add_student(ctx, IIN)
    cid = start_case(client, env, "expulsion", refused)["id"]
    complete(client, env, "dean_it", cid, "dean_submission", SUBMISSION)
    complete(client, env, "registrar", cid, "registrar_draft", DRAFT)
    complete(client, env, "lawyer", cid, "lawyer_visa",
             {"lawyer_decision": "reject", "lawyer_comment": "Основание не подтверждено"})
    assert case_view(client, env, cid)["status"] == "rejected"

    other_iin = make_iin(date(2004, 3, 9), "M", 4322)
    cancelled = add_student(ctx, other_iin)
    cancelled_case = _expulsion_to_signature(client, ctx, env, cancelled)
    r = client.post(f"/api/v1/cases/{cancelled_case}/cancel", headers=env["registrar"],
                    json={"reason": "Представление отозвано деканом"})
    assert r.status_code == 200, r.json

    for iin, case_id in ((IIN, cid), (other_iin, cancelled_case)):
        assert _row(ctx, iin).status == "active"
        assert _updates(case_view(client, env, case_id)) == [] and _changes(ctx, case_id) == []
    assert start_case(client, env, "cert_study", refused)["status"] == "in_progress"


# --- academic leave ---------------------------------------------------------------------------

def test_academic_leave_then_return(client, ctx, env):
    from tests.integration.test_academic_leave import CHECKED, START_DATA

    sid = add_student(ctx, IIN)
    cid = start_case(client, env, "academic_leave", sid, START_DATA)["id"]
    complete(client, env, "registrar", cid, "check_documents", CHECKED)
    complete(client, env, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    assert _row(ctx).status == "active"
    complete(client, env, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-11-20"})
    assert _row(ctx).status == "on_leave"
    r = client.post("/api/v1/cases", headers=env["registrar"],
                    json={"process_id": "cert_study", "student_id": sid})
    assert r.status_code == 422 and "в академическом отпуске" in r.json["fields"]["student_id"]

    complete(client, env, "registrar", cid, "leave_return_control",
             {"return_application": True, "health_certificate": True,
              "return_date": ctx.local_today().isoformat()})
    assert _row(ctx).status == "active"
    events = _updates(case_view(client, env, cid))
    assert [(e["element"], e["order_number"], e["changes"]) for e in events] == [
        ("update_registry_leave", "1-у", {"status": {"before": "active", "after": "on_leave"}}),
        ("update_registry_return", None, {"status": {"before": "on_leave", "after": "active"}}),
    ]


# --- reinstatement ------------------------------------------------------------------------------

def _reinstate(client, ctx, people, checked: dict[str, Any]) -> int:
    from tests.integration.test_reinstatement import APPLICANT

    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "reinstatement", "data": {"applicant": APPLICANT}})
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    complete(client, people, "registrar", cid, "check_documents", checked)
    complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    return cid


def test_reinstatement_makes_the_former_student_active_again(client, ctx, env):
    from tests.integration.test_reinstatement import APPLICANT, CHECKED

    sid = add_student(ctx, APPLICANT["iin"], status="expelled", year=3, funding="grant", group="ПИ-22-1",
                      programme_code="6B06101", programme_name="Информатика")
    checked = {**CHECKED, "enrol_programme_code": "6B06102", "enrol_programme_name": "Программная инженерия"}
    cid = _reinstate(client, ctx, env, checked)
    assert _row(ctx, APPLICANT["iin"]).status == "expelled"
    complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-09-02"})

    student = _row(ctx, APPLICANT["iin"])
    assert (student.id, student.status, student.year, student.funding) == (sid, "active", 2, "paid")
    assert (student.programme_code, student.programme_name, student.group) == \
        ("6B06102", "Программная инженерия", None)
    view = case_view(client, env, cid)
    assert view["student_id"] == sid  # the applicant's case now belongs to the student
    (event,) = _updates(view)
    assert event["action"] == "updated" and event["order_number"] == "1-у"
    assert event["changes"] == {
        "status": {"before": "expelled", "after": "active"}, "year": {"before": 3, "after": 2},
        "funding": {"before": "grant", "after": "paid"}, "group": {"before": "ПИ-22-1", "after": None},
        "programme_code": {"before": "6B06101", "after": "6B06102"},
        "programme_name": {"before": "Информатика", "after": "Программная инженерия"}}


def test_reinstated_person_unknown_to_the_registry_gets_a_record(client, ctx, env):
    from tests.integration.test_reinstatement import APPLICANT, CHECKED

    cid = _reinstate(client, ctx, env, CHECKED)
    assert _row(ctx, APPLICANT["iin"]) is None
    complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-09-02"})
    student = _row(ctx, APPLICANT["iin"])
    assert (student.status, student.last_name, student.programme_code, student.year) == \
        ("active", "Иванов", "6B06102", 2)
    assert student.faculty.code == "IT" and student.sex == "M"
    assert _updates(case_view(client, env, cid))[0]["action"] == "created"


# --- transfers --------------------------------------------------------------------------------

def test_internal_transfer_moves_the_student_to_the_new_programme(client, ctx, env):
    from tests.integration.test_transfer_internal import CHECKED, DIFFERENCE_6, GRANT_KEPT

    sid = add_student(ctx, IIN, year=3)
    cid = start_case(client, env, "transfer_internal", sid)["id"]
    complete(client, env, "registrar", cid, "check_documents", CHECKED)
    complete(client, env, "dean_it", cid, "dean_review", DIFFERENCE_6)
    complete(client, env, "registrar", cid, "check_grant", GRANT_KEPT)
    complete(client, env, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    assert _row(ctx).programme_code == "6B06102"
    complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-07-10"})

    student = _row(ctx)
    assert (student.programme_code, student.programme_name, student.language, student.form) == \
        ("6B04101", "Экономика", "kk", "full_time")
    assert (student.year, student.funding, student.status) == (3, "grant", "active")
    (event,) = _updates(case_view(client, env, cid))
    assert event["changes"] == {"programme_code": {"before": "6B06102", "after": "6B04101"},
                                "programme_name": {"before": "Программная инженерия", "after": "Экономика"},
                                "language": {"before": "ru", "after": "kk"}}


def _transfer_in_to_signature(client, ctx, people) -> int:
    from tests.integration.test_transfer_in import TO_ORDER, _start

    cid = _start(client, people)["id"]
    users = {"check_documents": "registrar", "determine_difference": "dean_it",
             "paid_contract": "accountant", "vr_approval": "vicerector"}
    for spec, data in TO_ORDER.items():
        complete(client, people, users[spec], cid, spec, data)
    assert drain(ctx) >= 1
    return cid


def test_transfer_in_creates_the_student_record(client, ctx, env):
    cid = _transfer_in_to_signature(client, ctx, env)
    assert _row(ctx) is None
    complete(client, env, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-08-14"})

    student = _row(ctx)
    assert (student.last_name, student.first_name, student.middle_name) == ("Иванов", "Пётр", "Сергеевич")
    assert (student.programme_code, student.year, student.funding, student.form, student.language) == \
        ("6B06102", 2, "paid", "full_time", "ru")
    assert (student.status, student.citizenship, student.faculty.code) == ("active", "KAZ", "IT")
    view = case_view(client, env, cid)
    assert view["student_id"] == student.id
    (event,) = _updates(view)
    assert event["action"] == "created" and event["order_number"] == "1-у"
    assert event["changes"]["status"] == {"before": None, "after": "active"}
    assert event["changes"]["year"] == {"before": None, "after": 2}
    # the next certificate finds an active student
    assert start_case(client, env, "cert_study", student.id)["status"] == "in_progress"


def test_transfer_in_of_a_former_student_updates_the_record(client, ctx, env):
    sid = add_student(ctx, IIN, status="expelled", year=1, funding="grant", faculty="ECON",
                      programme_code="6B04101", programme_name="Экономика")
    cid = _transfer_in_to_signature(client, ctx, env)
    complete(client, env, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-08-14"})
    student = _row(ctx)
    assert student.id == sid and student.status == "active" and student.faculty.code == "IT"
    assert (student.programme_code, student.year, student.funding) == ("6B06102", 2, "paid")
    (event,) = _updates(case_view(client, env, cid))
    assert event["action"] == "updated"
    assert event["changes"]["faculty_code"] == {"before": "ECON", "after": "IT"}
    with ctx.db.read() as session:  # re-enrolled, not a second record
        assert session.scalars(select(Student.id).where(Student.iin == IIN)).all() == [sid]


def test_a_record_created_meanwhile_by_another_order_is_re_enrolled(client, ctx, env, monkeypatch):
    """Two orders enrolling one new ИИН at the same moment: the step that read "unknown" finds
    the ИИН taken when it inserts (the unique key), and updates the other order's record instead
    of failing the signature."""
    from server.services.students import registry

    cid = _transfer_in_to_signature(client, ctx, env)
    sid = add_student(ctx, IIN, status="expelled", year=1)  # committed by "the other order"
    real_load = registry._Step.load
    calls = []

    def load_before_the_other_commit(self, iins):
        calls.append(list(iins))
        return {} if len(calls) == 1 else real_load(self, iins)

    monkeypatch.setattr(registry._Step, "load", load_before_the_other_commit)
    complete(client, env, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-08-14"})
    assert calls == [[IIN], [IIN]]
    with ctx.db.read() as session:
        assert session.scalars(select(Student.id).where(Student.iin == IIN)).all() == [sid]
    student = _row(ctx)
    assert student.status == "active" and student.year == 2
    (event,) = _updates(case_view(client, env, cid))
    assert event["action"] == "updated" and event["changes"]["status"] == {"before": "expelled",
                                                                           "after": "active"}


def test_refused_transfer_in_creates_no_record(client, ctx, env):
    from tests.integration.test_transfer_in import ALL_DOCS, _start

    cid = _start(client, env)["id"]
    complete(client, env, "registrar", cid, "check_documents", ALL_DOCS)
    complete(client, env, "dean_it", cid, "determine_difference",
             {"dean_decision": "reject", "dean_refusal_ground": "no_place"})
    assert case_view(client, env, cid)["status"] == "rejected"
    assert _row(ctx) is None and _changes(ctx, cid) == []


def test_transfer_out_marks_the_student_transferred(client, ctx, env):
    from tests.integration.test_transfer_out import CHECKED, CONSENT

    sid = add_student(ctx, IIN)
    cid = start_case(client, env, "transfer_out", sid)["id"]
    complete(client, env, "registrar", cid, "check_documents",
             {**CHECKED, "receiving_university": "Карагандинский университет",
              "receiving_university_kk": "Қарағанды университеті"})
    complete(client, env, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    complete(client, env, "registrar", cid, "issue_consent", CONSENT)
    complete(client, env, "registrar", cid, "receive_order",
             {"transferred": True, "receiving_order_number": "15-п", "receiving_order_date": "2026-08-10"})
    assert drain(ctx) >= 1
    assert _row(ctx).status == "active"
    complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-08-12"})
    assert _row(ctx).status == "transferred_out"
    (event,) = _updates(case_view(client, env, cid))
    assert event["changes"] == {"status": {"before": "active", "after": "transferred_out"}}
