"""The letter templates (templates/letter_*_ru/kk.docx) as printed: each rendered with its
documented example context (templates/<name>.example.json) through LibreOffice, the signature
on the page of the last paragraph, no word of the students table broken, no Russian word in the
Kazakh letter; the builders refuse to print Russian where Kazakh is missing; who is reported to
the military office."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from server.documents import render_docx
from server.documents.contexts import BUILDERS
from server.documents.contexts.letters import LetterDataMissing
from server.domain.iin import make_iin
from server.domain.military import military_liable
from server.services.documents.verification import qr_png
from tests.doc_checks import assert_same_page, assert_words_whole, docx_text, russian_words, to_pdf

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LETTERS = ("letter_refusal", "letter_personal_file", "letter_military", "letter_migration")
# the last paragraph of each letter, as printed (its first words)
LAST_PARAGRAPH = {
    ("letter_refusal", "ru"): "Настоящее решение может быть обжаловано",
    ("letter_refusal", "kk"): "Бұл шешімге",
    ("letter_personal_file", "ru"): "просим направить в наш адрес",
    ("letter_personal_file", "kk"): "жеке ісін үш жұмыс күні ішінде",
    ("letter_military", "ru"): "Уведомление направляется в соответствии",
    ("letter_military", "kk"): "Хабарлама «Әскери қызмет",
    ("letter_migration", "ru"): "Уведомление направляется в соответствии",
    ("letter_migration", "kk"): "Хабарлама «Халықтың көші-қоны",
}


def _example(name: str) -> dict:
    return json.loads((TEMPLATES / f"{name}.example.json").read_text(encoding="utf-8"))


def _render(name: str, lang: str, context: dict) -> bytes:
    return render_docx(TEMPLATES / f"{name}_{lang}.docx", context,
                       images={"qr": qr_png(context["verification_url"])})


@pytest.mark.parametrize("name", LETTERS)
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_letter_as_printed(name, lang):
    context = _example(name)
    docx = _render(name, lang, context)
    text = docx_text(docx)
    assert context["number"] in text and context["date"] in text
    if lang == "kk":
        assert russian_words(text) == [], text
    pdf = to_pdf(docx)
    assert_same_page(pdf, LAST_PARAGRAPH[(name, lang)], context["signatory"]["name"])
    assert_same_page(pdf, context["signatory"]["name"], "/verify/")
    for student in context.get("students") or []:
        assert_words_whole(pdf, [student["full_name"], student["iin"], student["group"]])


def test_long_military_list_keeps_the_header_and_the_signature_with_the_text():
    context = _example("letter_military")
    person = context["students"][0]
    context["students"] = [{**person, "iin": make_iin(date(2005, 1, 1), "M", n)} for n in range(60)]
    pdf = to_pdf(_render("letter_military", "ru", context))
    assert_same_page(pdf, LAST_PARAGRAPH[("letter_military", "ru")], context["signatory"]["name"])
    assert_words_whole(pdf, [person["full_name"]] * 60)


UNI = {"name_ru": "У", "name_kk": "У", "city_ru": "г. Алматы", "city_kk": "Алматы қ.",
       "legal_basis_ru": "Правилами", "legal_basis_kk": "Қағидаларына",
       "signatory": {"title_ru": "Ректор", "title_kk": "Ректор", "name": "А. Т."}}
PERSON = {"iin": make_iin(date(2004, 3, 9), "M", 4321), "last_name": "Иванов", "first_name": "Пётр",
          "sending_university": "КарУ"}


def test_no_russian_fallback_in_the_kazakh_letters():
    with pytest.raises(LetterDataMissing) as err:
        BUILDERS["letter_personal_file"]({"applicant": PERSON, "order": {"number": "1-у"}}, UNI,
                                         "1-п", date(2026, 9, 1))
    assert err.value.field == "sending_university_kk"
    with pytest.raises(LetterDataMissing) as err:
        BUILDERS["letter_military"]({"letter": {"event": "enrolment", "order": {"number": "1-у"},
                                                "students": [PERSON]}}, UNI, "1-п", date(2026, 9, 1))
    assert err.value.field == "military_office_ru"
    with pytest.raises(LetterDataMissing) as err:
        BUILDERS["letter_migration"]({"student": PERSON, "registration_kind": "arrival"},
                                     {**UNI, "migration_service_ru": "У"}, "1-п", date(2026, 9, 1))
    assert err.value.field == "migration_service_kk"


def test_who_is_reported_to_the_military_office():
    on = date(2026, 9, 1)
    man = {"iin": make_iin(date(2004, 3, 9), "M", 1), "citizenship": "KAZ"}
    assert military_liable(man, on)
    assert military_liable({"iin": man["iin"]}, on)  # sex from the ИИН, citizen by default
    assert not military_liable({**man, "citizenship": "UZB"}, on)
    assert not military_liable({"iin": make_iin(date(2004, 3, 9), "F", 1)}, on)
    assert not military_liable({"iin": make_iin(date(2009, 3, 9), "M", 1)}, on)  # 17
    assert military_liable({"iin": make_iin(date(1999, 9, 1), "M", 1)}, on)  # 27 today
    assert not military_liable({"iin": make_iin(date(1998, 9, 1), "M", 1)}, on)  # 28
    assert not military_liable({"iin": "123"}, on)
