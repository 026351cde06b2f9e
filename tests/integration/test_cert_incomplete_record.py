"""The certificate for those who did not complete studies (`cert_incomplete`) lists the
disciplines and credits of the academic record: the case starts with each discipline's counting
result (the latest attempt) in the rows of the registrar's transcript form, the form opens filled
with them, and the certificate prints them with the credits earned (an FX listed, not earned)."""

from __future__ import annotations

import io

import docx
import pytest

from server.auth import Actor
from server.jobs.inprocess import drain
from server.services.cases import lifecycle
from server.services.procedures import deployments
from tests.integration.api import case_view, complete, group_inbox
from tests.integration.record_data import seed

START_DATA = {"reason": "transfer", "purpose": "по месту требования"}
CHECKED = {"student_left": True, "reason": "transfer", "leave_order_number": "77-у",
           "leave_order_date": "2026-02-01", "receiving_university": "НАО «Другой университет»",
           "receiving_university_kk": "«Басқа университет» КеАҚ",
           "enrolment_order_number": "125-у", "enrolment_order_date": "2024-08-15",
           "study_start": "2024-09-01", "study_end": "2026-02-01", "decision": "approve",
           "funding_basis": "grant"}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    ids = seed(ctx)
    # the certificate is for someone who left (config/catalog.yaml, cert_incomplete.student_statuses)
    from server.models import Student

    with ctx.db.unit_of_work() as session:
        for student_id in ids.values():
            session.get(Student, student_id).status = "transferred_out"
    return {"h": people, "ids": ids}


def _start(client, env, student="a") -> int:
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_incomplete", "student_id": env["ids"][student], "data": START_DATA})
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_the_certificate_lists_the_record(app, client, ctx, env):
    from tests.integration.web import Staff

    h = env["h"]
    cid = _start(client, env)
    listed = lifecycle.get_case(ctx, Actor.system(), cid).data["disciplines"]
    assert [(x["semester"], x["discipline"], x["credits"], x["hours"], x["grade"], x["grade_points"])
            for x in listed] == [(1, "История Казахстана", 5, 150, "C", 66),
                                 (1, "Математический анализ", 5, 150, "A", 96),
                                 (2, "Алгоритмы", 4, 120, "B+", 86), (2, "Физика", 6, 180, "FX", 40)]
    complete(client, h, "registrar", cid, "check_student", CHECKED)
    task = group_inbox(client, h, "registrar")[(cid, "prepare_transcript")]
    page = Staff(app, "registrar").get(f"/app/tasks/{task['id']}")
    # the form opens filled with the record's rows
    assert 'value="Математический анализ"' in page and 'value="Қазақстан тарихы"' in page
    complete(client, h, "registrar", cid, "prepare_transcript", {"disciplines": listed})
    assert drain(ctx) >= 1
    view = case_view(client, h, cid)
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    r = client.get(f"/api/v1/documents/{ru['id']}", headers=h["registrar"])
    document = docx.Document(io.BytesIO(r.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert ("Всего дисциплин: 4, из них не освоено (оценки FX, F): 1. Освоено кредитов ECTS: 14 "
            "(часов: 420).") in paragraphs
    assert rows[1:] == [["1", "1", "История Казахстана", "5", "150", "C", "66"],
                        ["2", "1", "Математический анализ", "5", "150", "A", "96"],
                        ["3", "2", "Алгоритмы", "4", "120", "B+", "86"],
                        ["4", "2", "Физика", "6", "180", "FX", "40"]]


def test_without_results_the_registrar_types_them(client, ctx, env, people):
    from tests.integration.api import add_student

    other = add_student(ctx, "040101300019", last_name="Омаров", status="expelled")
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_incomplete", "student_id": other, "data": START_DATA})
    assert r.status_code == 201, r.json
    assert "disciplines" not in lifecycle.get_case(ctx, Actor.system(), r.json["id"]).data
