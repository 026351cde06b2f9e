"""Codes in words on the staff pages the registrar reads daily: the student's record, the case
list, the registers (and their XLSX), in Russian and Kazakh (the page walker,
test_page_walker.py, checks every page for leftovers; these tests say what the words are)."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from server import demo
from server.auth import Actor
from server.models import Case, Student
from server.services.procedures import deployments
from tests.integration.web import Staff, text


def _seed(ctx) -> None:  # type: ignore[no-untyped-def]
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    demo.seed(ctx)


def test_student_record_case_list_and_registers_in_words(app, ctx):
    _seed(ctx)
    with ctx.db.read() as session:
        kim = session.scalar(select(Student).where(Student.last_name == "Kim"))
        refused = session.scalar(select(Case).where(Case.status == "rejected"))
    assert kim is not None and refused is not None

    registrar = Staff(app, "registrar", password=demo.DEMO_PASSWORD, lang="kk")
    page = text(registrar.get(f"/app/students/{kim.id}"))
    for words in ("күндізгі", "орыс тілі", "мемлекеттік грант", "Корея Республикасы", "бакалавриат",
                  "Бағдарламалық инженерия", "білім алуда"):
        assert words in page, words
    for code in ("full_time", "grant", "KOR", "Программная инженерия"):
        assert code not in page, code

    cases = text(registrar.get("/app/cases?status=finished"))
    assert "аяқталды — бас тартылды" in cases and "rejected" not in cases
    registrar.get("/app/lang/ru", status=302)
    cases = text(registrar.get("/app/cases?status=finished"))
    assert "завершено — отказано" in cases
    assert not re.search(r"отменено\s+отменено|в работе\s+выдано", cases)

    head = Staff(app, "head", password=demo.DEMO_PASSWORD, lang="kk")
    registers = text(head.get("/app/registers"))
    assert "Ауыстыру тәртібімен қабылдау туралы бұйрық" in registers
    assert "Приказ" not in registers and "completed" not in registers and "in_progress" not in registers
    assert "Іс мәртебесі" in registers and "аяқталды" in registers
    r = head.client.get("/app/registers?format=xlsx")
    sheet = load_workbook(io.BytesIO(r.data)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("Нөмірі", "Күні", "Тізілім", "Құжат түрі")
    assert any(row[3] == "Ауыстыру тәртібімен қабылдау туралы бұйрық" for row in rows)
    assert all(isinstance(row[1], date) for row in rows)
    assert {row[7] for row in rows} <= {"аяқталды", "орындалуда", None, ""}
    assert sheet.cell(row=2, column=2).number_format == "DD.MM.YYYY"
