"""The record's refusal reasons name a field by its words: the same words as the import field
vocabulary (server/domain/labels.py) in Russian, Kazakh and English; a curricula file may give a
form of assessment or a component by its code or by its words in any language."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from server.config import ROOT
from server.domain import labels
from server.services.record import reasons

TRANSLATIONS = ROOT / "server" / "web" / "translations"


def _po(lang: str) -> dict[str, str]:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "errors.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id}


def test_the_fields_words_are_the_vocabulary_s_in_every_language():
    assert set(reasons.FIELD) == set(labels.IMPORT_FIELD)
    kk, en = _po("kk"), _po("en")
    for code, (ru_words, kk_words, en_words) in labels.IMPORT_FIELD.items():
        assert reasons.FIELD[code] == ru_words, code
        assert (kk.get(ru_words), en.get(ru_words)) == (kk_words, en_words), code


def test_a_reason_names_the_field_in_the_reader_s_language():
    kk = _po("kk")
    reason = reasons.required("discipline_code")
    assert reason == "код дисциплины: обязательное поле"
    assert reason.translated(lambda s: kk.get(s) or s) == "пән коды: міндетті өріс"
    assert reasons.whole_number("admission_year", 1990, 2100).translated(lambda s: kk.get(s) or s) \
        == "қабылдау жылы: бүтін сан, 1990–2100 аралығында"


@pytest.mark.parametrize(("cell", "code"), [
    ("exam", "exam"), ("Экзамен", "exam"), (" емтихан ", "exam"), ("зачёт", "credit"),
    ("курстық жұмыс", "coursework"), ("Practical training", "practice"), ("аттестация", "attestation"),
    ("", None), ("устно", None), (None, None),
])
def test_a_form_of_assessment_by_its_code_or_its_words(cell: str | None, code: str | None):
    assert reasons.choice(cell, labels.CONTROL_FORM) == code


def test_a_component_by_its_code_or_its_words():
    assert [reasons.choice(v, labels.CURRICULUM_KIND) for v in ("compulsory", "Міндетті", "по выбору",
                                                                 "elective", "other")] == \
        ["compulsory", "compulsory", "elective", "elective", None]
