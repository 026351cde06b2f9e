"""The transcript as printed: a fourth-year student's 40 results over 8 semesters with long
names, issued through the procedure in Russian, Kazakh and English, turned into PDFs by
LibreOffice and read back as the registrar who signs it would — no word broken in a table
cell, the signature on the page of the closing line, no Russian word in the Kazakh file and
no Cyrillic one in the English file but the register number."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.procedures import deployments
from server.services.record import imports
from server.services.record.access import academic_year_start
from server.services.students.names import record_programme
from tests import doc_checks
from tests.integration.api import add_student, case_view, complete
from tests.integration.record_data import MAPPING, transcript_csv

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# (ru, kk, en): what a narrow column used to break
LONG_NAMES = (
    ("Информационно-коммуникационные технологии (на английском языке)",
     "Ақпараттық-коммуникациялық технологиялар (ағылшын тілінде)",
     "Information and Communication Technologies (in English)"),
    ("Модуль социально-политических знаний (социология, политология, культурология, психология)",
     "Әлеуметтік-саяси білім модулі (әлеуметтану, саясаттану, мәдениеттану, психология)",
     "Module of Social and Political Knowledge (Sociology, Political Science, Cultural Studies, Psychology)"),
    ("Профессионально-ориентированный иностранный язык", "Кәсіби бағдарланған шетел тілі",
     "Professionally Oriented Foreign Language"),
    ("Проектирование и администрирование высоконагруженных распределённых баз данных",
     "Жоғары жүктемелі үлестірілген дерекқорларды жобалау және әкімшілендіру",
     "Design and Administration of High-Load Distributed Databases"),
    ("Физическая культура", "Дене шынықтыру", "Physical Education"),
)
SIGNATURE = {"ru": "Руководитель офиса регистратора", "kk": "Тіркеуші кеңсесінің басшысы",
             "en": "Head of the Registrar's Office"}
CLOSING = {"ru": "Транскрипт составлен по данным", "kk": "Транскрипт оқу жетістіктерінің есебі бойынша",
           "en": "This transcript is drawn from"}


def _record(ctx) -> int:
    """A fourth-year student of 6B06102 with 5 disciplines in each of 8 semesters; the
    physical education of the last semester is an FX (academic debt)."""
    admission = academic_year_start(date.today()) - 3
    student = add_student(ctx, make_iin(date(2003, 11, 4), "F", 2468), last_name="Жаксылыкова",
                          first_name="Айгерим", middle_name="Серікқызы", sex="F", year=4)
    plan, rows = io.StringIO(), []
    writer = csv.writer(plan)
    writer.writerow(["programme_code", "admission_year", "discipline_code", "name_ru", "name_kk", "name_en",
                     "credits", "control_form", "semester", "kind"])
    for semester in range(1, 9):
        year = admission + (semester - 1) // 2
        for i, (ru, kk, en) in enumerate(LONG_NAMES):
            code = f"IT{semester}{i}01"
            writer.writerow(["6B06102", admission, code, ru, kk, en, 5, "exam", semester, "compulsory"])
            failed = (semester, i) == (8, 4)
            points, letter = (40, "FX") if failed else (85 - i, ("B+", "B", "B", "B", "B")[i])
            rows.append((make_iin(date(2003, 11, 4), "F", 2468), code, f"{year}-{year + 1}", semester, 1,
                         points, letter))
    imports.import_curricula(ctx, Actor.system(), "plan.csv", plan.getvalue().encode(), dry_run=False)
    report = imports.import_transcripts(ctx, Actor.system(), "t.csv", transcript_csv(rows), mapping=MAPPING,
                                        dry_run=False)
    assert report.count("new") == 40, report.refused[:3]
    return student


def test_the_transcript_prints_whole_words_and_keeps_the_signature(client, ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    with ctx.db.unit_of_work() as session:
        record_programme(session, "6B06102", "Программная инженерия", "Бағдарламалық инженерия",
                         "Software Engineering")
    student = _record(ctx)
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "transcript", "student_id": student,
        "data": {"transcript_languages": "ru_kk_en", "copies": 1}})
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    complete(client, people, "registrar", cid, "check_application",
             {"record_checked": True, "decision": "approve"})
    assert drain(ctx) >= 2
    docs = case_view(client, people, cid)["documents"]
    number = docs[0]["number"]
    headers = {"ru": ("№", "Код", "Дисциплина", "Кредиты ECTS", "Баллы", "Оценка", "Цифровой эквивалент"),
               "kk": ("№", "Коды", "Пән", "ECTS кредиті", "Балл", "Баға", "Сандық баламасы"),
               "en": ("No.", "Code", "Course", "ECTS credits", "Points", "Grade", "Grade points")}
    for doc in docs:
        lang = doc["language"]
        content = client.get(f"/api/v1/documents/{doc['id']}", headers=people["registrar"]).data
        pdf = doc_checks.to_pdf(content)
        assert len(doc_checks.pdf_pages(pdf)) >= 2  # 40 rows and 8 term rows run onto a second page
        names = [x[("ru", "kk", "en").index(lang)] for x in LONG_NAMES]
        doc_checks.assert_words_whole(pdf, [*headers[lang], *names, "B+", "FX", "IT8401"])
        doc_checks.assert_same_page(pdf, CLOSING[lang], SIGNATURE[lang])
        text = doc_checks.docx_text(content)
        if lang == "kk":
            # the register number («1-с») and the holder's name are not Russian words
            checked = text.replace(number, "").replace("Жаксылыкова Айгерим Серікқызы", "")
            assert doc_checks.russian_words(checked) == [], text
        if lang == "en":
            cyrillic = re.findall(r"\S*[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]\S*", text.replace(number, ""))
            assert cyrillic == [], cyrillic
            assert "Student: Zhaksylykova Aigerim Serikkyzy" in text
