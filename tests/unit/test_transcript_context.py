"""The transcript's context and its languages: numbers with the decimal comma in Russian and
Kazakh and the point in English, a name in Latin letters, the grade scale's legend unbreakable,
the English file's programme without Russian words, and the languages a `document/render`
step may name (checked at deploy, refused at issue)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from server.documents.checking import example_context, template_languages
from server.documents.contexts.transcripts import latin, number, transcript
from server.services.context import ParamCheck
from server.services.documents.issue import issue_languages
from server.services.operators.document_render import OPERATOR

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
UNI = {"name_ru": "Университет", "name_kk": "Университеті", "signatories": {},
       "signatory": {"title_ru": "Ректор", "title_kk": "Ректор", "name": "А. Тулегенов"}}


def test_numbers_in_each_language():
    assert (number(2.5, "ru"), number(2.5, "kk"), number(2.5, "en")) == ("2,50", "2,50", "2.50")
    assert (number(4, "ru"), number(4, "en"), number(5.0, "ru", 0)) == ("4,00", "4.00", "5")
    assert number(None, "ru") == "—"


def test_names_in_latin_letters():
    assert latin("Жаксылыкова Айгерим Серікқызы") == "Zhaksylykova Aigerim Serikkyzy"
    assert latin("Щукин Юрий") == "Shchukin Iurii"
    assert latin("Kim Min-jun") == "Kim Min-jun"


def test_the_context_from_a_snapshot():
    record = {"terms": [{"term": 1, "academic_year": "2025-2026", "gpa": 3.0, "cumulative_gpa": 3.0,
                         "credits_graded": 5, "credits_earned": 5,
                         "lines": [{"code": "MAT-101", "name_ru": "Математика", "name_kk": "Математика",
                                    "name_en": "", "credits": 5, "points": 91, "letter": "A-",
                                    "grade_points": 3.67, "debt": False}]}],
              "gpa": 3.0, "credits_graded": 5, "credits_earned": 5, "debts": [],
              "scale": [{"letter": "A-", "min": 90, "max": 94, "points": 3.67}]}
    student = {"last_name": "Ахметов", "first_name": "Ерлан", "iin": "050401300127",
               "programme_code": "6B06102", "programme_name": "Программная инженерия",
               "programme_name_kk": "Бағдарламалық инженерия", "form": "full_time", "language": "kk"}
    context = transcript({"student": student, "transcript_record": record}, UNI, "7-с", date(2026, 12, 7))
    line = context["terms"][0]["lines"][0]
    assert (line["code"], line["letter"], line["grade_points"], line["grade_points_en"]) == \
        ("MAT\u2011101", "A\u2011", "3,67", "3.67")
    assert line["name_en"] == "Математика"  # a discipline without an English name keeps its own
    assert context["terms"][0]["title_kk"] == "1-семестр, 2025–2026 оқу жылы"
    # no registry names in effect and none in the case: the English file prints the code alone
    assert context["student"]["programme"]["name_en"] == "6B06102"
    assert context["student"]["full_name_en"] == "Akhmetov Erlan"
    assert context["student"]["language_kk"] == "қазақ тілі" and context["student"]["form_en"] == "full-time"
    assert context["scale"] == [{"item": "A\u2011\u00a0—\u00a090\u2060–\u206094\u00a0(3,67)",
                                 "item_en": "A\u2011\u00a0—\u00a090\u2060–\u206094\u00a0(3.67)"}]
    assert context["signatory"]["title_en"] == "Rector" and context["signatory"]["name_en"] == "A. Tulegenov"
    # the documented example has every name the builder gives
    assert set(example_context(TEMPLATES, "transcript")) == set(context)


def test_the_transcript_has_an_english_file_and_the_others_do_not():
    assert template_languages(TEMPLATES, "transcript") == ("ru", "kk", "en")
    assert template_languages(TEMPLATES, "cert_study") == ("ru", "kk")


def test_the_languages_an_issue_names():
    assert issue_languages(None) == ("ru", "kk")
    assert issue_languages(["en", "ru"]) == ("ru", "en")
    assert issue_languages("kk") == ("kk",)
    for wrong in ([], ["de"], 5):
        with pytest.raises(ValueError):
            issue_languages(wrong)


def _problems(**params: str) -> list[str]:
    assert OPERATOR.check is not None
    return [str(p) for p in OPERATOR.check(ParamCheck(params, templates_dir=TEMPLATES))]


def test_the_languages_parameter_is_checked_at_deploy():
    assert _problems(template="'transcript'", register="'certificates'", languages="languages") == []
    assert _problems(template="'transcript'", register="'certificates'", languages="['ru', 'en']") == []
    assert "languages" in " ".join(_problems(template="'transcript'", register="'certificates'",
                                             languages="['de']"))
    # a template without an English file cannot be issued in English
    assert "cert_study_en.docx" in " ".join(_problems(template="'cert_study'", register="'certificates'",
                                                      languages="['en']"))
