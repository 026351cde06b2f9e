"""The certificate-layout templates of procedures 6, 7 and 14: tags in runs of their own, the
documented examples (templates/<base>.example.json) render, and the context builders of
server/documents/contexts/ give every variable the templates use."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest

from server.documents import render_docx, template_variables
from server.documents.checking import example_context
from server.documents.contexts import BUILDERS
from server.services.documents.verification import KIND_NAMES, qr_png

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
UNIVERSITY = {"name_ru": "НАО «Университет»", "name_kk": "«Университет» КеАҚ", "city_ru": "г. Алматы",
              "city_kk": "Алматы қ.", "legal_basis_ru": "", "legal_basis_kk": "",
              "signatory": {"title_ru": "Ректор", "title_kk": "Ректор", "name": "А. Сериков"},
              "visas": {"registrar_head": {"title_ru": "Руководитель офиса регистратора",
                                           "title_kk": "Тіркеуші кеңсесінің басшысы", "name": "Г. Садыкова"}}}
STUDENT = {"iin": "040512300127", "last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич",
           "sex": "M", "year": 2, "programme_code": "6B06102", "programme_name": "Информационные системы",
           "programme_name_kk": "Ақпараттық жүйелер", "faculty_name": "Факультет информационных технологий",
           "faculty_name_kk": "Ақпараттық технологиялар факультеті", "form": "full_time", "language": "ru",
           "funding": "paid"}
# a minimal case for each template: the data its model collects
CASES = {
    "cert_incomplete": {"student": STUDENT, "reason": "expulsion", "leave_order_number": "7-у",
                        "leave_order_date": "2026-02-01", "study_start": "2024-09-01",
                        "study_end": "2026-02-01", "disciplines": [
                            {"semester": 1, "discipline": "Физика", "discipline_kk": "Физика",
                             "credits": 5, "hours": 150, "grade": "B", "grade_points": 80.5}]},
    "duplicate": {"applicant": {**STUDENT, "graduation_year": 2022, "document_type": "transcript",
                                "trigger": "loss"},
                  "original_series": "TR", "original_number": "1", "original_date": "2022-06-30",
                  "qualification_ru": "бакалавр", "qualification_kk": "бакалавр"},
    "cert_military": {"student": STUDENT, "military_office": "УДО", "military_office_kk": "ҚІЖБ",
                      "study_end": "2029-06-30"},
}


NAMES = [f"{base}_{lang}.docx" for base in ("cert_incomplete", "cert_military", "duplicate")
         for lang in ("ru", "kk")]


def example_for(name: str) -> dict:
    return example_context(TEMPLATES, name.rsplit("_", 1)[0])


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("name", NAMES)
def test_tags_are_runs_of_their_own(name):
    document = docx.Document(TEMPLATES / name)
    paragraphs = list(document.paragraphs) + [p for t in document.tables for row in t.rows
                                              for c in row.cells for p in c.paragraphs]
    for paragraph in paragraphs:
        for run in paragraph.runs:
            if "{{" in run.text or "{%" in run.text:
                assert run.text.strip().startswith(("{{", "{%")) and run.text.strip().endswith(("}}", "%}"))


@pytest.mark.parametrize("name", NAMES)
def test_documented_example_renders(name):
    example = example_for(name)
    text = _text(render_docx(TEMPLATES / name, example, images={"qr": qr_png("https://x/verify/1")}))
    assert example["number"] in text and "{{" not in text


@pytest.mark.parametrize("name", NAMES)
def test_builder_gives_every_variable(name):
    kind = name.rsplit("_", 1)[0]
    assert kind in KIND_NAMES  # shown on the public verification page
    context = BUILDERS[kind](CASES[kind], UNIVERSITY, "5-с", date(2026, 10, 15))
    assert template_variables(TEMPLATES / name) <= set(context) | {"qr"}
    text = _text(render_docx(TEMPLATES / name, context, images={"qr": qr_png("https://x/verify/1")}))
    assert "5-с" in text


def test_incomplete_certificate_rows_and_totals():
    context = BUILDERS["cert_incomplete"](CASES["cert_incomplete"], UNIVERSITY, "5-с", date(2026, 10, 15))
    assert context["disciplines"] == [{"n": 1, "semester": 1, "name": "Физика", "name_kk": "Физика",
                                       "credits": 5, "hours": 150, "grade": "B", "points": "80.5",
                                       "failed": False}]
    assert context["totals"] == {"disciplines": 1, "failed": 0, "credits": 5, "hours": 150}
    assert context["left_ru"] == "отчислен приказом № 7-у от 01.02.2026"
    assert context["left_kk"] == "01.02.2026 № 7-у бұйрықпен оқудан шығарылғаны"
    assert context["student"]["studied_ru"] == "он действительно обучался"


def test_failed_disciplines_are_listed_but_earn_no_credits():
    """5 + 6 + 4 credits listed; the FX (6 credits, 180 h) and the F (4 credits, 120 h) are
    not earned: 5 credits and 150 hours of 3 disciplines, 2 of them failed."""
    rows = [{"semester": 1, "discipline": "Физика", "credits": 5, "hours": 150, "grade": "B"},
            {"semester": 2, "discipline": "Химия", "credits": 6, "hours": 180, "grade": "FX",
             "grade_points": 45},
            {"semester": 2, "discipline": "Биология", "credits": 4, "hours": 120, "grade": "F"}]
    context = BUILDERS["cert_incomplete"]({**CASES["cert_incomplete"], "disciplines": rows},
                                          UNIVERSITY, "5-с", date(2026, 10, 15))
    assert [r["failed"] for r in context["disciplines"]] == [False, True, True]
    assert context["totals"] == {"disciplines": 3, "failed": 2, "credits": 5, "hours": 150}
    text = _text(render_docx(TEMPLATES / "cert_incomplete_ru.docx", context,
                             images={"qr": qr_png("https://x/verify/1")}))
    assert ("Всего дисциплин: 3, из них не освоено (оценки FX, F): 2. Освоено кредитов ECTS: 5 "
            "(часов: 150).") in text
    text_kk = _text(render_docx(TEMPLATES / "cert_incomplete_kk.docx", context,
                                images={"qr": qr_png("https://x/verify/1")}))
    assert ("Барлық пәндер саны: 3, оның ішінде меңгерілмегені (FX, F бағалары): 2. "
            "Меңгерілген ECTS кредиттері: 5 (сағат: 150).") in text_kk


@pytest.mark.parametrize(("given", "ru", "kk"), [
    ({}, "по месту требования", "талап етілген жерге"),
    ({"purpose": "в банк", "purpose_kk": "банкке"}, "в банк", "банкке"),
    # the template's own words typed into the field are not printed twice
    ({"purpose": "Для предоставления в акимат.", "purpose_kk": "әкімдікке ұсыну үшін"},
     "в акимат", "әкімдікке"),
    # a case registered before the Kazakh field: no Russian words in the Kazakh certificate
    ({"purpose": "в спортивную секцию"}, "в спортивную секцию", "талап етілген жерге"),
])
def test_purpose_reads_once_in_each_language(given, ru, kk):
    context = BUILDERS["cert_study"]({"student": STUDENT, **given}, UNIVERSITY, "5-с", date(2026, 10, 15))
    assert (context["purpose_ru"], context["purpose_kk"]) == (ru, kk)


def test_duplicate_wording_by_document_and_trigger():
    context = BUILDERS["duplicate"](CASES["duplicate"], UNIVERSITY, "1-д", date(2026, 10, 15))
    assert context["document"]["name_gen_ru"] == "транскрипта"
    assert (context["reason_ru"], context["trigger_kk"]) == ("утерянного", "түпнұсқаның жоғалуы")
    assert context["qualification_kk"] == "бакалавр"  # the form's Kazakh field, as typed
    assert context["blank"] == {"series": "", "number": ""}
    assert context["student"]["full_name_dat"] == "Иванову Петру Сергеевичу"
