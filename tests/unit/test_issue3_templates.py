"""The certificate-layout templates of procedures 6, 7 and 14 (templates/build.py,
ISSUE3_TEMPLATES): built reproducibly, tags in runs of their own, the documented examples
render, and the context builders of server/documents/contexts/ give every variable
the templates use."""

from __future__ import annotations

import copy
import importlib.util
import io
import sys
from datetime import date
from pathlib import Path

import docx
import pytest

from server.documents import render_docx, template_variables
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
                            {"semester": 1, "discipline": "Физика", "credits": 5, "hours": 150,
                             "grade": "B", "grade_points": 80.5}]},
    "duplicate": {"applicant": {**STUDENT, "graduation_year": 2022, "document_type": "transcript",
                                "trigger": "loss"},
                  "original_series": "TR", "original_number": "1", "original_date": "2022-06-30",
                  "qualification_ru": "бакалавр", "qualification_kk": "бакалавр"},
    "cert_military": {"student": STUDENT, "military_office": "УДО", "military_office_kk": "ҚІЖБ",
                      "study_end": "2029-06-30"},
}


def _build_module():
    spec = importlib.util.spec_from_file_location("templates_build_issue3", TEMPLATES / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


BUILD = _build_module()
NAMES = sorted(BUILD.ISSUE3_TEMPLATES)


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_committed_templates_match_the_script():
    built = BUILD.build_issue3_certificates()
    assert set(built) == set(NAMES)
    for name, data in built.items():
        assert (TEMPLATES / name).read_bytes() == data, f"{name} is stale: run templates/build.py"


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
    example = copy.deepcopy(BUILD.example_for(name))
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
    assert context["disciplines"] == [{"n": 1, "semester": 1, "name": "Физика", "credits": 5,
                                       "hours": 150, "grade": "B", "points": "80.5"}]
    assert context["totals"] == {"disciplines": 1, "credits": 5, "hours": 150}
    assert context["left_ru"] == "отчислен приказом № 7-у от 01.02.2026"
    assert context["student"]["studied_ru"] == "он действительно обучался"


def test_duplicate_wording_by_document_and_trigger():
    context = BUILDERS["duplicate"](CASES["duplicate"], UNIVERSITY, "1-д", date(2026, 10, 15))
    assert context["document"]["name_gen_ru"] == "транскрипта"
    assert (context["reason_ru"], context["trigger_kk"]) == ("утерянного", "түпнұсқаның жоғалуы")
    assert context["qualification_kk"] == "бакалавр"  # falls back to the Russian wording
    assert context["student"]["full_name_dat"] == "Иванову Петру Сергеевичу"
