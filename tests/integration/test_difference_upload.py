"""«Fill from the transcript file» on the staff pages: the registration of a transfer and the
registrar's check step read the sending university's transcript (CSV/XLSX) into the table of
earlier results, keep what was typed in the other fields and store nothing until the form is
submitted as usual."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import Case, HumanTask
from server.services.procedures import deployments
from tests.integration.test_transfer_in import APPLICANT
from tests.integration.web import Staff, text

# The header as the form's Russian column titles (the API's field names are accepted too).
TRANSCRIPT = (
    "Дисциплина;Код дисциплины;Кредиты ECTS;Баллы;Буквенная оценка;Семестр\n"
    "Математический анализ;MAT101;5;95;;1\n"
    "История Казахстана;HIS101;5;;B;1\n"
    "Физика;PHY102;6;72;;2\n"
).encode()
BAD = "discipline;credits;letter\nФизика;6;C\nХимия;;B\n".encode()
TYPED = {"process": "transfer_in", "channel": "direct", "iin": APPLICANT["iin"], "last_name": "Иванов",
         "first_name": "Пётр", "middle_name": "Сергеевич", "sending_university": "КарУ им. Букетова",
         "sending_university_kk": "Академик Е. А. Бөкетов атындағы Қарағанды университеті",
         "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": "2",
         "level": "bachelor", "form": "full_time", "language": "ru", "funding": "paid",
         "faculty_code": "IT"}


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _value(page: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def _rows(page: str, table: str = "earlier_results") -> list[tuple[str, ...]]:
    """The table's filled rows as (discipline, code, credits, points, letter, term)."""
    out = []
    for i in range(50):
        cells = tuple(_value(page, f"{table}.{i}.{c}") or "" for c in
                      ("discipline", "discipline_code", "credits", "points", "letter", "term"))
        if _value(page, f"{table}.{i}.discipline") is None:
            break
        if any(cells):
            out.append(cells)
    return out


def _fill(staff: Staff, path: str, form: dict, content: bytes, filename: str = "transcript.csv",
          status: int = 200) -> str:
    r = staff.post(path, {**form, "fill_from_transcript": "earlier_results",
                          "transcript_file": (io.BytesIO(content), filename)},
                   status=status, content_type="multipart/form-data")
    return r.get_data(as_text=True)


def _cases(ctx) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_the_registration_fills_the_rows_from_the_file_and_keeps_the_typed_fields(app, ctx, deployed):
    registrar = Staff(app, "registrar")
    page = registrar.get("/app/cases/new?process=transfer_in")
    assert 'name="fill_from_transcript" value="earlier_results"' in page
    assert "Заполнить из файла транскрипта" in page

    typed_row = {"earlier_results.0.discipline": "Химия", "earlier_results.0.credits": "4"}
    page = _fill(registrar, "/app/cases/new", {**TYPED, **typed_row}, TRANSCRIPT)
    assert _rows(page) == [("Математический анализ", "MAT101", "5", "95", "A", "1"),
                           ("История Казахстана", "HIS101", "5", "", "B", "1"),
                           ("Физика", "PHY102", "6", "72", "C+", "2")]  # the typed row is replaced
    assert _value(page, "last_name") == "Иванов" and _value(page, "iin") == APPLICANT["iin"]
    assert _value(page, "sending_university_kk") == TYPED["sending_university_kk"]
    assert re.search(r'value="paid"\s+(checked|selected)', page)
    assert "Из файла прочитано строк: 3" in text(page)
    assert _cases(ctx) == 0  # nothing registered yet

    # the reviewed rows are submitted with the form: the case holds them
    rows = {f"earlier_results.{i}.{c}": v for i, row in enumerate(_rows(page)) for c, v in zip(
        ("discipline", "discipline_code", "credits", "points", "letter", "term"), row, strict=True)}
    r = registrar.post("/app/cases/new", {**TYPED, **rows})
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == "check_documents"))
    checked = app.test_client().get(f"/api/v1/tasks/{task_id}", headers=deployed["registrar"]).json
    assert [(x["discipline"], x["discipline_code"], x["credits"], x["letter"], x["term"])
            for x in checked["data"]["earlier_results"]] == [
        ("Математический анализ", "MAT101", 5, "A", 1), ("История Казахстана", "HIS101", 5, "B", 1),
        ("Физика", "PHY102", 6, "C+", 2)]


@pytest.mark.parametrize(("lang", "message", "reason"), [
    ("ru", "Транскрипт не принят: исправьте отмеченные строки",
     "Строка 3, «Кредиты ECTS»: кредиты ECTS обязательны: число больше 0, не больше 60"),
    ("kk", "Транскрипт қабылданбады: белгіленген жолдарды түзетіңіз",
     "3-жол, «ECTS кредиттері»: ECTS кредиттері міндетті: 0-ден үлкен, 60-тан аспайтын сан"),
])
def test_a_file_with_a_bad_row_says_why_and_fills_nothing(app, ctx, deployed, lang, message, reason):
    registrar = Staff(app, "registrar", lang=lang)
    typed_row = {"earlier_results.0.discipline": "Химия", "earlier_results.0.credits": "4"}
    page = _fill(registrar, "/app/cases/new", {**TYPED, **typed_row}, BAD, status=422)
    errors = re.search(r'data-fill-errors="earlier_results">(.*?)</div>', page, re.S)
    assert errors, page[:3000]
    assert text(errors.group(1)) == f"{message} {reason}"
    assert _rows(page) == [("Химия", "", "4", "", "", "")]  # the typed rows stay, none from the file
    assert _value(page, "last_name") == "Иванов"
    assert _cases(ctx) == 0


def test_no_file_chosen_or_an_unknown_column_is_said_in_the_page_language(app, ctx, deployed):
    registrar = Staff(app, "registrar", lang="kk")
    r = registrar.post("/app/cases/new", {**TYPED, "fill_from_transcript": "earlier_results"}, status=422)
    assert "Транскрипт файлын таңдаңыз (CSV немесе XLSX)." in text(r.get_data(as_text=True))
    page = _fill(registrar, "/app/cases/new", TYPED, "Пән;Кредит\nФизика;6\n".encode(), status=422)
    assert "Транскрипт қабылданбады: файлда белгісіз бағандар бар" in text(page)
    assert "«кредит» бағаны (1-жол): мұндай өріс жоқ" in text(page)
    assert _cases(ctx) == 0


def test_the_check_step_fills_its_rows_from_an_xlsx_file(app, ctx, deployed):
    from openpyxl import Workbook

    registrar = Staff(app, "registrar")
    r = registrar.post("/app/cases/new", TYPED)
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == "check_documents"))
    book = Workbook()
    sheet = book.active
    for row in (["Пән", "ECTS кредиттері", "Балл", "Семестр"], ["Философия", 5, 88, 2], ["Химия", 4, 61, 3]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    page = _fill(registrar, f"/app/tasks/{task_id}", {"doc_application": "on"}, out.getvalue(),
                 "transcript.xlsx")
    assert _rows(page) == [("Философия", "", "5", "88", "B+", "2"),
                           ("Химия", "", "4", "61", "C-", "3")]
    assert re.search(r'name="doc_application"[^>]*checked', page)  # the ticked box stays ticked
    with ctx.db.read() as session:  # the step is not done by reading the file
        assert session.scalar(select(HumanTask.status).where(HumanTask.id == task_id)) == "open"
