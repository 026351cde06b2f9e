"""The registry keeps the Kazakh name of every programme a document prints: the import reads it
(and warns per row where it is missing), and a document whose Kazakh name is missing is not
issued with Russian in it: the job becomes an incident the registrar reads in Russian, Kazakh
and English, and runs again once the name is entered."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
from sqlalchemy import select

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Document, Programme, RegisterCounter
from server.services.background import operations
from server.services.procedures import deployments
from server.services.students.imports import import_students
from tests.integration.api import add_student, case_view, complete
from tests.integration.test_cert_study import CHECKED, START_DATA

HEADER = "iin;last_name;first_name;faculty_code;programme_code;programme_name;programme_name_kk;year\n"


def _kazakh_text(ctx) -> str:
    with ctx.db.read() as session:
        content = session.scalars(select(Document.content).where(Document.language == "kk")).one()
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def test_a_programme_without_its_kazakh_name_stops_the_certificate_at_an_incident(client, ctx, people,
                                                                                  tmp_path: Path):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student_id = add_student(ctx, make_iin(date(2004, 5, 6), "F", 1357), sex="F", last_name="Ахметова",
                             first_name="Айгерим", middle_name="Бекболатовна", programme_code="6B11201",
                             programme_name="Гостиничный бизнес")
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "cert_study", "student_id": student_id, "channel": "direct", "data": START_DATA})
    assert r.status_code == 201, r.json
    case_id = r.json["id"]
    complete(client, people, "registrar", case_id, "check_student", CHECKED)
    drain(ctx)

    # no document, no number taken; one incident at once (retrying cannot help), in three languages
    assert case_view(client, people, case_id)["documents"] == []
    with ctx.db.read() as session:
        assert session.scalars(select(RegisterCounter.last_number)).all() == []
    [incident] = operations.list_incidents(ctx)
    assert incident.case_id == case_id and incident.attempts == 1
    assert "«6B11201 Гостиничный бизнес»" in incident.last_error
    assert "Нет названия на казахском языке для образовательной программы" in incident.last_error
    assert "білім беру бағдарламасының қазақша атауы жоқ" in incident.last_error
    assert "The educational programme «6B11201 Гостиничный бизнес» has no Kazakh name" in incident.last_error

    # the office enters the name through the registry import; the retried job issues both files
    registry = tmp_path / "registry.csv"
    row = (f"{make_iin(date(2004, 5, 6), 'F', 1357)};Ахметова;Айгерим;IT;6B11201;Гостиничный бизнес;"
           "Қонақ үй бизнесі;2")
    registry.write_text(HEADER + row + "\n", encoding="utf-8")
    result = import_students(ctx, registry)
    assert (result.updated, result.warnings) == (1, [])
    operations.retry_job(ctx, Actor(None, "head", frozenset({"registrar_head"})), incident.job_id)
    drain(ctx)
    view = case_view(client, people, case_id)
    assert {(d["language"], d["number"]) for d in view["documents"]} == {("ru", "1-с"), ("kk", "1-с")}
    text = _kazakh_text(ctx)
    assert "6B11201 Қонақ үй бизнесі" in text and "Гостиничный" not in text
    assert "Ақпараттық технологиялар факультеті" in text


def test_import_records_the_names_and_warns_per_row_without_a_kazakh_name(ctx, people, tmp_path: Path):
    rows = [
        f"{make_iin(date(2005, 1, 2), 'M', 11)};Нурланов;Арман;IT;6B06103;Кибербезопасность;"
        "Киберқауіпсіздік;1",
        f"{make_iin(date(2005, 1, 3), 'F', 12)};Ли;Виктория;ECON;6B04199;Маркетинг;;2",
        f"{make_iin(date(2005, 1, 4), 'F', 13)};Ким;Ольга;IT;6B06101;Информационные системы;;1",
    ]
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = import_students(ctx, path)
    assert result.created == 3
    # line 3's programme has no Kazakh name anywhere; line 4's is known to the registry already
    assert result.warnings == [
        "строка 3: programme_name_kk: нет казахского названия программы 6B04199, документы на "
        "казахском языке для неё не будут выданы"]
    with ctx.db.read() as session:
        names = {p.code: (p.name_ru, p.name_kk) for p in session.scalars(select(Programme))}
    assert names["6B06103"] == ("Кибербезопасность", "Киберқауіпсіздік")
    assert names["6B04199"] == ("Маркетинг", None)
    assert names["6B06101"] == ("Информационные системы", "Ақпараттық жүйелер")  # kept
