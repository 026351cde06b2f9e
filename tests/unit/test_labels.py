"""The one vocabulary of codes in words (server/domain/labels.py)."""

from datetime import date, datetime

from server.domain import labels
from server.domain.registry import CHOICES, STUDENT_STATUSES
from server.models.case import CASE_STATUSES


def test_every_registry_code_has_words_in_three_languages() -> None:
    kinds = {"level": "level", "form": "form", "language": "language", "funding": "funding"}
    for field, kind in kinds.items():
        for code in CHOICES[field]:
            assert labels.known(kind, code), (field, code)
            words = [labels.label(kind, code, lang) for lang in labels.LANGS]
            assert all(words) and words[0] != code and words[1] != code, (field, code, words)
    for code in STUDENT_STATUSES:
        assert labels.known("student_status", code)
    for code in CASE_STATUSES:
        assert labels.known("case_status", code)


def test_words_in_the_chosen_language() -> None:
    assert labels.label("form", "full_time", "ru") == "очная"
    assert labels.label("form", "full_time", "kk") == "күндізгі"
    assert labels.label("citizenship", "kor", "kk") == "Корея Республикасы"
    assert labels.label("funding", "paid", "en") == "tuition fee"
    assert labels.label("yes_no", True, "kk") == "иә"


def test_unknown_code_is_shown_as_is_and_missing_value_as_dash() -> None:
    assert labels.label("form", "hybrid", "ru") == "hybrid"
    assert not labels.known("form", "hybrid")
    assert labels.label("form", None, "kk") == "—"


def test_dates_in_the_office_format() -> None:
    assert labels.date_text(date(2027, 1, 11)) == "11.01.2027"
    assert labels.date_text(datetime(2027, 1, 11, 10, 30)) == "11.01.2027"
    assert labels.date_text("2027-01-11") == "11.01.2027"
    assert labels.date_text("скоро") == "скоро"
    assert labels.humanize("с 2027-01-11 по 2027-06-30") == "с 11.01.2027 по 30.06.2027"
    assert labels.humanize("2027-02-30") == "2027-02-30"
    assert labels.has_iso_date("due 2027-01-11T00:00:00+05:00")
    assert not labels.has_iso_date("№ 2027-15")


def test_field_label_picks_the_kind_of_the_field() -> None:
    assert labels.field_label("status", "on_leave", "kk") == "академиялық демалыста"
    assert labels.field_label("citizenship", "KAZ", "ru") == "Казахстан"
    assert labels.field_label("leave_start", "2027-01-11", "ru") == "11.01.2027"
    assert labels.choices("level", "en")[0] == ("bachelor", "bachelor's")


def test_decimals_with_a_comma_in_russian_and_kazakh() -> None:
    assert labels.decimal_text(3.67, "ru") == "3,67"
    assert labels.decimal_text(3.5, "kk") == "3,50"
    assert labels.decimal_text(1.666, "en") == "1.67"
    assert labels.decimal_text(4, "ru", 1) == "4,0"
    assert labels.decimal_text(None, "kk") == "—"
