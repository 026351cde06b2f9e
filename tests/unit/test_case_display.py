"""A case's data in words (server/services/cases/display.py) over the shipped forms."""

from pathlib import Path

from server.services.cases import display
from server.services.tasks.forms import FormRegistry

FORMS = FormRegistry(Path(__file__).resolve().parents[2] / "forms")


def test_a_choice_reads_as_its_title_in_each_language() -> None:
    fields = display.procedure_fields(FORMS, "academic_leave")
    assert display.display_value("leave_ground", "medical", "ru", fields).startswith("Заключение врачебно")
    assert display.display_value("leave_ground", "medical", "kk", fields).startswith("Дәрігерлік")
    assert display.display_value("leave_start", "2027-01-11", "kk", fields) == "11.01.2027"


def test_display_data_turns_nested_codes_into_words() -> None:
    fields = display.procedure_fields(FORMS, "academic_leave")
    data = {"leave_ground": "military", "student": {"form": "full_time", "funding": "paid",
                                                    "citizenship": "KOR", "full_name": "Ким Мин"}}
    shown = display.display_data(data, "kk", fields)
    assert shown["student"] == {"form": "күндізгі", "funding": "ақылы негіз",
                                "citizenship": "Корея Республикасы", "full_name": "Ким Мин"}
    assert shown["leave_ground"] == "Әскери қызметке шақыру"


def test_rows_name_the_fields_and_leave_out_untitled_ones() -> None:
    fields = display.procedure_fields(FORMS, "academic_leave")
    rows = dict(display.display_rows({"leave_ground": "medical", "leave_start": "2027-01-11",
                                      "_internal": 1}, "ru", fields))
    assert rows["Дата начала отпуска"] == "11.01.2027"
    assert len(rows) == 2


def test_unknown_procedure_has_no_fields() -> None:
    assert display.procedure_fields(FORMS, "no_such") == {}
    assert display.procedure_fields(FORMS, "../etc") == {}
