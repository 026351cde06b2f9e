"""The model `contingent_order` through the API: a list of students uploaded as CSV or XLSX
becomes one case (a bad row rejects the whole file naming row and field, and nothing is saved),
approved once by the head of the office and the vice-rector (with escalation), one order with a
table row per student in Russian and Kazakh, the rector's signature, refusals."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import docx
import pytest
import time_machine

from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from tests.integration.api import case_view, complete, group_inbox, spec_names
from tests.integration.procs import deploy_all, document_text, sign_order

HEADER = ["iin", "last_name", "first_name", "middle_name", "faculty_code", "programme_code",
          "programme_name", "year", "group", "form", "language", "funding"]
LAST_NAMES = ["Абенов", "Байжанов", "Ержанов", "Жумабеков", "Касымов", "Нурланов"]


def _rows(count: int) -> list[list[str]]:
    rows = []
    for i in range(count):
        sex = "M" if i % 2 == 0 else "F"
        last = LAST_NAMES[i % len(LAST_NAMES)] + ("" if sex == "M" else "а")
        first = "Алмас" if sex == "M" else "Айгерим"
        rows.append([make_iin(date(2005, 1 + i % 12, 1 + i % 27), sex, 1000 + i), last, first, "",
                     "IT" if i % 3 else "ECON", "6B06102", "Программная инженерия", "2",
                     f"ПИ-24-{1 + i % 3}", "full_time", "kk" if i % 2 else "ru",
                     "grant" if i % 4 else "paid"])
    return rows


def registered(ctx, rows: list[list[str]], **fields) -> list[list[str]]:
    """The listed students in the registry as the list shows them (faculty, programme, course):
    a promotion or graduation list is checked against it at upload."""
    from server.domain.iin import iin_sex
    from tests.integration.api import add_student

    for row in rows:
        add_student(ctx, row[0], row[4], last_name=row[1], first_name=row[2], middle_name=row[3] or None,
                    programme_code=row[5], programme_name=row[6], year=int(row[7]), sex=iin_sex(row[0]),
                    **fields)
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([int(v) if k == "year" else v for k, v in zip(HEADER, row, strict=True)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return people


def _upload(client, people, content: bytes, filename="list.csv", kind="promotion", user="registrar",
            status=201):
    r = client.post("/api/v1/contingent-orders", headers=people[user], data={
        "order_kind": kind, "effective_date": "2026-09-01",
        "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    assert r.status_code == status, r.json
    return r.json


@pytest.mark.parametrize(("fmt", "kind"), [("csv", "promotion"), ("xlsx", "graduation")])
def test_list_of_students_approved_once_into_one_order(client, ctx, env, fmt, kind):
    people = env
    rows = registered(ctx, _rows(35))
    content = _csv(rows) if fmt == "csv" else _xlsx(rows)
    case = _upload(client, people, content, f"list.{fmt}", kind)
    cid = case["id"]
    assert case["data"]["student_count"] == 35 and case["data"]["order_kind"] == kind
    assert case["data"]["students"][1]["sex"] == "F"
    assert spec_names(case) == ["head_review"]
    assert (cid, "head_review") in group_inbox(client, people, "head")
    assert (cid, "head_review") not in group_inbox(client, people, "registrar")
    assert (cid, "head_review") not in group_inbox(client, people, "dean_it")

    complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
    assert (cid, "vice_rector_approve") not in group_inbox(client, people, "head")
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    view = sign_order(client, people, cid, completed_tasks=3)
    assert [d["number"] for d in view["documents"]] == ["1-у", "1-у"]

    text, cells = document_text(client, people, view, "ru")
    doc = next(d for d in view["documents"] if d["language"] == "ru")
    table = docx.Document(io.BytesIO(client.get(f"/api/v1/documents/{doc['id']}",
                                                headers=people["registrar"]).data)).tables[0]
    assert len(table.rows) == 1 + 35  # the header and one row per student
    assert rows[0][0] in cells and rows[34][0] in cells
    assert "Абенова Алмаса" in cells and "Байжанову Айгерим" in cells  # accusative
    kk_text, kk_cells = document_text(client, people, view, "kk")
    if kind == "promotion":
        assert "О переводе обучающихся на следующий курс" in text
        assert "1. Перевести на следующий курс с 01.09.2026 следующих обучающихся:" in text
        assert "на 3 курс" in cells
        assert "келесі курсқа көшірілсін" in kk_text and "3 курсқа" in kk_cells
    else:
        assert "Об отчислении в связи с окончанием обучения" in text
        assert "Отчислить в связи с окончанием обучения (выпуском)" in text
        assert "оқуды аяқтауына байланысты оқудан шығарылсын" in kk_text
    assert "Абенов Алмас" in kk_cells


def test_bad_row_rejects_the_whole_list(client, ctx, env):
    people = env
    rows = _rows(32)
    rows[15][0] = "123456789012"  # file row 17: the header is row 1
    rows[18][1] = ""              # file row 20: no last name
    body = _upload(client, people, _csv(rows), status=422)
    assert "строка 17, поле iin" in body["message"] and "всего ошибок: 2" in body["message"]
    assert set(body["fields"]) == {"row 17.iin", "row 20.last_name"}
    assert body["fields"]["row 20.last_name"] == "строка 20, поле last_name: обязательное поле"
    assert client.get("/api/v1/cases", headers=people["head"]).json["total"] == 0
    few = _rows(5)  # a duplicate ИИН is named too
    body = _upload(client, people, _csv([*few, few[3]]), status=422)
    assert body["fields"] == {"row 7.iin": "строка 7, поле iin: ИИН повторяет строку 5"}
    _upload(client, people, _csv(_rows(3)), kind="expulsion", status=422)
    r = client.post("/api/v1/contingent-orders", headers=people["registrar"], data={
        "file": (io.BytesIO(_csv(_rows(3))), "list.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and set(r.json["fields"]) == {"order_kind", "effective_date"}
    assert client.get("/api/v1/cases", headers=people["head"]).json["total"] == 0
    _upload(client, people, _csv(_rows(3)), user="dean_it", status=403)


@pytest.mark.parametrize("step", ["head", "vice_rector"])
def test_order_refused(client, ctx, env, step):
    people = env
    cid = _upload(client, people, _csv(registered(ctx, _rows(30))))["id"]
    if step == "head":
        complete(client, people, "head", cid, "head_review", {
            "head_decision": "reject", "head_refusal_ground": "other",
            "head_comment": "Список не совпадает с итогами сессии"})
    else:
        complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
        body = complete(client, people, "vicerector", cid, "vice_rector_approve",
                        {"vr_decision": "reject", "vr_refusal_ground": "other"}, status=422)
        assert "vr_comment" in body["fields"]
        complete(client, people, "vicerector", cid, "vice_rector_approve",
                 {"vr_decision": "reject", "vr_refusal_ground": "other", "vr_comment": "Перенести"})
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == "other"
    assert view["documents"] == [] and view["timers"] == [] and drain(ctx) == 0


@pytest.mark.parametrize(("step", "to_role"), [("head_review", "vice_rector"),
                                               ("vice_rector_approve", "registrar_head")])
def test_overdue_approval_escalates_once(client, ctx, env, step, to_role):
    people = env
    cid = _upload(client, people, _csv(registered(ctx, _rows(30))))["id"]
    if step == "vice_rector_approve":
        complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, people, cid)
    escalations = [e["payload"]["to_role"] for e in view["history"] if e["kind"] == "escalated"]
    assert escalations == [to_role] and spec_names(view) == [step]


def test_graduation_deregisters_the_foreign_graduates(client, ctx, env):
    """Signing a graduation order opens a foreign_registration deregistration case for each
    foreign graduate of the registry (citizenship from the list, or from the registry when the
    list has none); citizens, and listed students whose citizenship nobody knows, open none."""
    from sqlalchemy import select

    from server.models import Student
    people = env
    rows = _rows(3)
    registered(ctx, rows[:1], citizenship="KOR")
    registered(ctx, rows[1:2], citizenship="CHN")
    registered(ctx, rows[2:])  # a citizen
    case = _upload(client, people, _csv(rows), kind="graduation")
    cid = case["id"]
    assert [s.get("citizenship") for s in case["data"]["students"]] == ["KOR", "CHN", "KAZ"]
    complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    view = sign_order(client, people, cid, completed_tasks=3)
    triggered = [e["payload"] for e in view["history"] if e["kind"] == "case_triggered"]
    assert len(triggered) == 2 and {t["process_id"] for t in triggered} == {"foreign_registration"}
    with ctx.db.read() as session:
        ids = dict(session.execute(select(Student.iin, Student.id)).all())
    children = [case_view(client, people, t["case_id"]) for t in triggered]
    assert sorted(c["student_id"] for c in children) == sorted([ids[rows[0][0]], ids[rows[1][0]]])
    for child in children:
        assert child["data"]["registration_kind"] == "deregistration"
        assert child["data"]["deregistration_reason"] == "graduation"
        assert child["data"]["parent_case_id"] == cid and child["data"]["departure_date"] == "2026-09-01"


def test_a_promotion_deregisters_nobody(client, ctx, env):
    people = env
    rows = _rows(2)
    registered(ctx, rows[:1], citizenship="KOR")
    registered(ctx, rows[1:])
    cid = _upload(client, people, _csv(rows), kind="promotion")["id"]
    complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    view = sign_order(client, people, cid, completed_tasks=3)
    assert not [e for e in view["history"] if e["kind"] in ("case_triggered", "case_trigger_skipped")]


def test_list_checked_against_the_registry_row_by_row(client, ctx, env):
    """A graduation list is of students the registry shows studying, on the listed faculty,
    programme and course: a transferred-out student, one the registry does not know and one in
    another course or programme are refused at upload, row by row with the ИИН, and nothing
    is stored (config/procedures.yaml, contingent_order.list_rules)."""
    people = env
    rows = _rows(5)
    registered(ctx, rows[:1])
    registered(ctx, rows[1:2], status="transferred_out")
    # rows[2]: not in the registry
    registered(ctx, [[*rows[3][:7], "3", *rows[3][8:]]])  # the registry: 3rd year
    registered(ctx, [[*rows[4][:5], "6B04101", "Экономика", *rows[4][7:]]])
    body = _upload(client, people, _csv(rows), kind="graduation", status=422)
    assert set(body["fields"]) == {"row 3.iin", "row 4.iin", "row 5.iin", "row 6.iin"}
    assert body["fields"]["row 3.iin"] == (
        f"строка 3, ИИН {rows[1][0]}: по реестру — «отчислен в связи с переводом в другой вуз»: в этот "
        "приказ включаются только обучающиеся со статусом «обучается»")
    assert body["fields"]["row 4.iin"] == f"строка 4, ИИН {rows[2][0]}: нет в реестре обучающихся"
    assert body["fields"]["row 5.iin"] == f"строка 5, ИИН {rows[3][0]}: year в списке «2», а в реестре «3»"
    assert "programme_code в списке «6B06102», а в реестре «6B04101»" in body["fields"]["row 6.iin"]
    assert "ничего не сохранено" in body["message"] and "всего ошибок: 4" in body["message"]
    kk = client.post("/api/v1/contingent-orders", headers={**people["registrar"], "Accept-Language": "kk"},
                     data={"order_kind": "graduation", "effective_date": "2026-09-01",
                           "file": (io.BytesIO(_csv(rows)), "list.csv")}, content_type="multipart/form-data")
    assert kk.status_code == 422
    assert kk.json["fields"]["row 4.iin"] == f"4-жол, ЖСН {rows[2][0]}: білім алушылар тізілімінде жоқ"
    # an enrolment of someone already studying here
    body = _upload(client, people, _csv(rows[:1]), kind="enrolment", status=422)
    assert body["fields"] == {"row 2.iin": f"строка 2, ИИН {rows[0][0]}: по реестру уже обучается "
                                           "(«обучается»): повторно не зачисляется"}
    assert client.get("/api/v1/cases", headers=people["head"]).json["total"] == 0
    assert _upload(client, people, _csv(rows[:1]), kind="graduation")["data"]["student_count"] == 1



def test_promotion_list_checked_against_the_academic_record(client, ctx, env):
    """A promotion moves up only those the academic record lets move up (config/grading.yaml
    `promotion`): a student with academic debt (FX) or a GPA under the threshold is refused at
    upload naming the debt or the GPA; a student without results and a student in good standing
    pass."""
    from server.models import Discipline, Result, Student

    people = env
    rows = registered(ctx, _rows(4))
    with ctx.db.unit_of_work() as session:
        ids = {s.iin: s.id for s in session.query(Student).filter(Student.iin.in_([r[0] for r in rows]))}
        maths = Discipline(code="MAT101", name_ru="Математика", name_kk="Математика", name_en="Mathematics",
                           credits=5, control_form="exam")
        session.add(maths)
        session.flush()
        for iin, points, letter, gp in ((rows[0][0], 90, "A-", 3.67), (rows[1][0], 40, "FX", 0.5),
                                        (rows[2][0], 55, "D+", 1.33)):
            session.add(Result(student_id=ids[iin], discipline_id=maths.id, academic_year="2025-2026",
                               term=1, points=points, letter=letter, grade_points=gp))
    body = _upload(client, people, _csv(rows), kind="promotion", status=422)
    assert body["fields"] == {
        "row 3.iin": f"строка 3, ИИН {rows[1][0]}: по учёту успеваемости остаётся на курсе: академическая "
                     "задолженность (MAT101)",
        "row 4.iin": f"строка 4, ИИН {rows[2][0]}: по учёту успеваемости остаётся на курсе: GPA 1.33 ниже "
                     "переводного балла 1.67"}
    kk = client.post("/api/v1/contingent-orders", headers={**people["registrar"], "Accept-Language": "kk"},
                     data={"order_kind": "promotion", "effective_date": "2026-09-01",
                           "file": (io.BytesIO(_csv(rows)), "list.csv")}, content_type="multipart/form-data")
    assert "академиялық қарыз (MAT101)" in kk.json["fields"]["row 3.iin"]
    assert client.get("/api/v1/cases", headers=people["head"]).json["total"] == 0
    kept = [rows[0], rows[3]]
    assert _upload(client, people, _csv(kept), kind="promotion")["data"]["student_count"] == 2
