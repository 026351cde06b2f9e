"""The grade sheets' screens (/app/record/sheets) as the registrar office and the deans use them:
a sheet opened, filled in, checked, returned for correction, checked again and locked into the
record; bad input refused beside its field in Russian and Kazakh with nothing stored; a dean of
another faculty and other roles kept out; a locked sheet read-only."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from server.models import GradeSheet, GradeSheetLine, Result
from tests.integration.record_data import FIRST_YEAR, IIN_A, IIN_B, IIN_UNKNOWN, seed
from tests.integration.web import Staff, text

SHEETS = "/app/record/sheets"


@pytest.fixture
def ids(ctx, people):
    return seed(ctx)


def _count(ctx, model, *where) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _open(staff: Staff, discipline: str = "PHY102", term: int = 2) -> int:
    r = staff.post(f"{SHEETS}/new", {"group": "ПИ-24-1", "discipline_code": discipline,
                                     "academic_year": FIRST_YEAR, "term": str(term)})
    found = re.search(r"/app/record/sheets/(\d+)$", r.location)
    assert found, r.location
    return int(found.group(1))


def test_a_sheet_from_draft_to_locked_through_the_pages(app, ctx, ids):
    registrar = Staff(app, "registrar")
    assert "Успеваемость" in text(registrar.get("/app/"))  # the menu (sheets: its first tab)
    form = registrar.get(f"{SHEETS}/new")
    assert "ПИ-24-1" in form and "PHY102 Физика" in form
    sheet_id = _open(registrar)
    path = f"{SHEETS}/{sheet_id}"
    page = text(registrar.get(path))
    # the group's students are the rows, before any line is entered
    assert "Ахметов Ерлан" in page and "Серикова Айгерим" in page and IIN_A in page and IIN_B in page
    # the file's columns named in words (the file may head them so)
    assert "«ИИН», «баллы», «буквенная оценка», «попытка»" in page
    assert "черновик" in page and "Registrar" in page  # who opened it
    a, b = str(ids["a"]), str(ids["b"])
    # B's points only: A's row left empty is not entered
    registrar.post(f"{path}/lines", {f"points-{a}": "", f"attempt-{a}": "1", f"points-{b}": "77",
                                     f"attempt-{b}": "1"})
    assert _count(ctx, GradeSheetLine, GradeSheetLine.sheet_id == sheet_id) == 1
    page = registrar.get(path)
    assert 'value="77"' in page and "B-" in page and "2,67" in page  # the server's letter and grade points
    registrar.post(f"{path}/check", {})
    page = registrar.get(path)
    assert "проверена" in text(page) and f'name="points-{b}"' not in page
    registrar.post(f"{path}/reopen", {})
    assert "черновик" in text(registrar.get(path))
    # a row emptied on the page takes its line off the sheet
    registrar.post(f"{path}/lines", {f"points-{a}": "", f"points-{b}": ""})
    assert _count(ctx, GradeSheetLine, GradeSheetLine.sheet_id == sheet_id) == 0
    # A retakes PHY102 (attempt 1 was imported as FX): attempt 2
    registrar.post(f"{path}/lines", {f"points-{a}": "65", f"attempt-{a}": "2", f"points-{b}": "81",
                                     f"attempt-{b}": "1"})
    registrar.post(f"{path}/check", {})
    confirm = text(registrar.get(f"{path}/lock"))
    assert "эти результаты (2)" in confirm and "PHY102 Физика" in confirm and "Ахметов" in confirm
    assert _count(ctx, Result, Result.sheet_id == sheet_id) == 0  # nothing written before the confirmation
    registrar.post(f"{path}/lock", {})
    with ctx.db.read() as session:
        written = sorted((r.student_id, r.attempt, r.points, r.letter)
                         for r in session.scalars(select(Result).where(Result.sheet_id == sheet_id)))
    assert written == sorted([(ids["a"], 2, 65, "C"), (ids["b"], 1, 81, "B")])
    page = registrar.get(path)
    words = text(page)
    assert "закрыта" in words and "только по апелляции" in words
    assert 'name="points-' not in page and "Проверить" not in words and "Вернуть на исправление" not in words
    assert f'href="/app/students/{ids["b"]}#term-2"' in page  # each line leads to the student's record
    appeal = re.search(r'href="(/app/cases/new\?process=grade_appeal[^"]+)"', page)  # how a change starts
    form = registrar.get(appeal.group(1).replace("&amp;", "&"))
    assert 'value="PHY102"' in form and IIN_A in form
    # the list shows it with its people and dates in words
    listed = text(registrar.get(f"{SHEETS}/?status=locked"))
    assert f"№ {sheet_id}" in listed and "закрыта" in listed and not re.search(r"\d{4}-\d{2}-\d{2}\b", listed)
    # the locked sheet refuses a change: nothing stored
    before = _count(ctx, Result)
    registrar.post(f"{path}/lines", {f"points-{b}": "95", f"attempt-{b}": "1"}, status=409)
    registrar.post(f"{path}/reopen", {}, status=409)
    assert _count(ctx, Result) == before
    # the student's record links to the sheet
    assert f'href="/app/record/sheets/{sheet_id}"' in registrar.get(f"/app/students/{ids['b']}")


@pytest.mark.parametrize(("lang", "points_reason", "unknown", "duplicate", "no_group", "wrong_term"), [
    ("ru", "баллы — целое число от 0 до 100", "нет в реестре", "эта ведомость уже есть",
     "группы НЕТ-1 нет в реестре обучающихся", "дисциплина PHY102 — в семестре 2"),
    ("kk", "балл — 0–100 аралығындағы бүтін сан", "тізілімде жоқ", "бұл тізімдеме бұрыннан бар",
     "НЕТ-1 тобы білім алушылар тізілімінде жоқ", "PHY102 пәні 2 семестрде оқытылады"),
], ids=["ru", "kk"])
def test_bad_input_is_refused_beside_its_field_and_stores_nothing(app, ctx, ids, lang, points_reason, unknown,
                                                                 duplicate, no_group, wrong_term):
    registrar = Staff(app, "registrar", lang=lang)
    sheet_id = _open(registrar)
    path = f"{SHEETS}/{sheet_id}"
    a, b = str(ids["a"]), str(ids["b"])
    # points 101: the row's own message, no line stored (B's good line neither)
    r = registrar.post(f"{path}/lines", {f"points-{a}": "101", f"attempt-{a}": "2", f"points-{b}": "70",
                                         f"attempt-{b}": "1"}, status=422)
    page = r.get_data(as_text=True)
    row = re.search(rf'<p class="field-error" id="e-{a}">([^<]+)</p>', page)
    assert row and points_reason in row.group(1), page[:3000]
    assert f'id="e-{b}"' not in page and 'value="101"' in page  # what was typed stays
    assert _count(ctx, GradeSheetLine) == 0
    # an upload naming a student not in the registry: the file's list of errors, nothing stored
    upload = f"iin,points\n{IIN_B},80\n{IIN_UNKNOWN},60\n".encode()
    r = registrar.post(f"{path}/upload", {"file": (io.BytesIO(upload), "sheet.csv")}, status=422,
                       content_type="multipart/form-data")
    errors = text(re.search(r'<ul class="row-errors">(.*?)</ul>', r.get_data(as_text=True), re.S).group(1))
    assert unknown in errors and IIN_UNKNOWN in errors and IIN_B not in errors
    assert ("строка 3:" if lang == "ru" else "3-жол:") in errors  # the file's line (1: the header)
    assert _count(ctx, GradeSheetLine) == 0
    # a second sheet of the same group, discipline and term: refused beside the term
    sheets_before = _count(ctx, GradeSheet)
    r = registrar.post(f"{SHEETS}/new", {"group": "ПИ-24-1", "discipline_code": "PHY102",
                                         "academic_year": FIRST_YEAR, "term": "2"}, status=409)
    term_error = re.search(r'id="e-term">([^<]+)<', r.get_data(as_text=True))
    assert term_error and duplicate in term_error.group(1) and f"№ {sheet_id}" in term_error.group(1)
    # a group the registry does not have; a term the curriculum does not have the discipline in
    r = registrar.post(f"{SHEETS}/new", {"group": "НЕТ-1", "discipline_code": "PHY102",
                                         "academic_year": FIRST_YEAR, "term": "2"}, status=422)
    assert no_group in re.search(r'id="e-group">([^<]+)<', r.get_data(as_text=True)).group(1)
    r = registrar.post(f"{SHEETS}/new", {"group": "ПИ-24-1", "discipline_code": "PHY102",
                                         "academic_year": FIRST_YEAR, "term": "3"}, status=422)
    assert wrong_term in re.search(r'id="e-term">([^<]+)<', r.get_data(as_text=True)).group(1)
    assert _count(ctx, GradeSheet) == sheets_before


def test_deans_read_their_faculty_s_sheets_and_others_are_kept_out(app, ctx, ids):
    registrar = Staff(app, "registrar")
    sheet_id = _open(registrar)
    path = f"{SHEETS}/{sheet_id}"
    registrar.post(f"{path}/lines", {f"points-{ids['b']}": "77", f"attempt-{ids['b']}": "1"})
    dean = Staff(app, "dean_it", lang="kk")
    assert f"№ {sheet_id}" in text(dean.get(f"{SHEETS}/"))
    page = dean.get(path)
    assert "жоба" in text(page) and 'name="points-' not in page and "Тексеру" not in text(page)
    dean.post(f"{path}/lines", {f"points-{ids['b']}": "99"}, status=403)
    dean.post(f"{path}/check", {}, status=403)
    assert dean.client.get(f"{path}/lock").status_code == 403
    other = Staff(app, "dean_econ")
    assert f"№ {sheet_id}" not in text(other.get(f"{SHEETS}/"))
    other.get(path, status=404)
    accountant = Staff(app, "accountant")
    accountant.get(f"{SHEETS}/", status=403)
    accountant.get(path, status=403)
    assert "/app/record/sheets" not in accountant.get("/app/")  # no menu link
    assert _count(ctx, GradeSheetLine, GradeSheetLine.points == 99) == 0


def test_a_summer_group_s_sheet_takes_its_students_by_iin(app, ctx, ids):
    """A summer semester's group (retakes) is not in the registry: its sheet is opened with the
    mark, and its students are entered by their IINs (each checked against the curriculum)."""
    registrar = Staff(app, "registrar")
    refused = registrar.post(f"{SHEETS}/new", {"group": "ПИ-24-1", "discipline_code": "PHY102", "term": "2",
                                               "academic_year": FIRST_YEAR, "summer_group": "on"},
                             status=422)
    assert "это не группа летнего семестра" in text(refused.get_data(as_text=True))
    r = registrar.post(f"{SHEETS}/new", {"group": "ЛС-ПИ-24", "discipline_code": "PHY102",
                                         "academic_year": FIRST_YEAR, "term": "2", "summer_group": "on"})
    path = r.location
    assert "Another student" not in registrar.get(path) and "Другой обучающийся" in text(registrar.get(path))
    bad = registrar.post(f"{path}/lines", {"extra-iin": IIN_UNKNOWN, "extra-points": "60"}, status=422)
    assert "нет в реестре" in re.search(r'id="e-extra">([^<]+)<', bad.get_data(as_text=True)).group(1)
    registrar.post(f"{path}/lines", {"extra-iin": IIN_A, "extra-points": "58", "extra-attempt": "2"})
    page = text(registrar.get(path))
    assert "Ахметов Ерлан" in page and "D+" in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_has_a_sheet_in_each_status(app, ctx):
    """The demo's group has a locked, a checked and a draft sheet, the locked ones in the record."""
    from server import demo
    from server.auth import Actor
    from server.services.procedures import deployments

    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    demo.seed(ctx)
    with ctx.db.read() as session:
        statuses = sorted(session.scalars(select(GradeSheet.status)))
    assert statuses == ["checked", "draft", "locked", "locked"]
    assert _count(ctx, Result, Result.sheet_id.is_not(None)) == 10
    listed = text(Staff(app, "dean_it", password=demo.DEMO_PASSWORD, lang="kk").get(f"{SHEETS}/"))
    assert all(word in listed for word in ("жоба", "тексерілді", "жабылды")), listed


def test_a_dean_lists_a_summer_group_s_sheet_by_its_students(app, ctx, ids):
    registrar = Staff(app, "registrar")
    r = registrar.post(f"{SHEETS}/new", {"group": "ЛС-ПИ-24", "discipline_code": "PHY102",
                                         "academic_year": FIRST_YEAR, "term": "2", "summer_group": "on"})
    sheet_id = int(r.location.rsplit("/", 1)[1])
    dean, other = Staff(app, "dean_it"), Staff(app, "dean_econ")
    assert f"№ {sheet_id}" not in text(dean.get(f"{SHEETS}/"))  # no students yet: nobody's faculty
    registrar.post(f"{SHEETS}/{sheet_id}/lines", {"extra-iin": IIN_B, "extra-points": "70"})
    assert f"№ {sheet_id}" in text(dean.get(f"{SHEETS}/"))
    dean.get(f"{SHEETS}/{sheet_id}")
    assert f"№ {sheet_id}" not in text(other.get(f"{SHEETS}/"))
    other.get(f"{SHEETS}/{sheet_id}", status=404)
