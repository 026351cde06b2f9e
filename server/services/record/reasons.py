"""The record's refusal reasons that name a field (an import's rows, a grade sheet's lines): the
field by its name in the reader's language, never by the code a file's mapping uses.

The names are the import field vocabulary of `server/domain/labels.py` (IMPORT_FIELD); they are
written here once more as literal templates so that the `errors` catalog (make i18n) extracts
them, and tests/unit/test_import_reasons.py keeps both the same in Russian, Kazakh and English.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.domain.labels import Words
from server.services.errors import Msg, tr

FIELD: dict[str, Msg] = {
    "iin": tr("ИИН"),
    "discipline_code": tr("код дисциплины"),
    "academic_year": tr("учебный год"),
    "term": tr("семестр"),
    "attempt": tr("попытка"),
    "points": tr("баллы"),
    "letter": tr("буквенная оценка"),
    "admission_year": tr("год набора"),
    "programme_code": tr("шифр образовательной программы"),
    "name_ru": tr("название на русском"),
    "name_kk": tr("название на казахском"),
    "name_en": tr("название на английском"),
    "credits": tr("кредиты"),
    "control_form": tr("форма контроля"),
    "semester": tr("семестр по плану"),
    "kind": tr("компонент"),
}


def required(field: str) -> Msg:
    return tr("%(field)s: обязательное поле", field=FIELD[field])


def whole_number(field: str, low: int, high: int) -> Msg:
    return tr("%(field)s: целое число от %(low)s до %(high)s", field=FIELD[field], low=low, high=high)


def too_long(field: str, limit: int) -> Msg:
    return tr("%(field)s: длиннее %(limit)s символов", field=FIELD[field], limit=limit)


def term_range() -> Msg:
    return tr("семестр: номер от 1 до 12")


def attempt_range() -> Msg:
    return tr("попытка: номер от 1 до 9")


def control_form_choices() -> Msg:
    return tr("форма контроля: экзамен, зачёт, курсовая работа, практика или аттестация")


def kind_choices() -> Msg:
    return tr("компонент: обязательный или по выбору")


def choice(value: str | None, vocabulary: Mapping[str, Words]) -> str | None:
    """The code a file's cell means: the code itself or its words in any of the three languages
    (case and surrounding spaces ignored); None when it is neither."""
    text = (value or "").strip().lower()
    for code, words in vocabulary.items():
        if text == code or text in (w.lower() for w in words):
            return code
    return None
