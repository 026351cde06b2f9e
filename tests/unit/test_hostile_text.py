"""User text that looks like code stays text: task instructions print data without evaluating
it, spreadsheet exports never turn a typed "=..." into a formula, and the form samples can
fill every free-text field with such text (the integration sweep in
tests/integration/test_hostile_input.py runs all procedures with it)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook, load_workbook

from server.services.cases.instructions import render_instructions
from server.services.reports.xlsx_cells import append_row
from server.services.tasks.form_samples import is_free_text, sample_object

PAYLOAD = "<script>alert(1)</script>\"'&{{ 7*7 }}{% if 1 %}x{% endif %}<img src=x onerror=alert(2)>"


def test_instructions_print_data_literally():
    template = "Проверьте документы: {{ student.full_name }} ({{ purpose }})."
    data = {"student": {"full_name": PAYLOAD}, "purpose": "{{ ''.__class__.__mro__ }}"}
    out = render_instructions(template, data)
    # the data is substituted once and never rendered again; markup is left for the page to escape
    assert out == f"Проверьте документы: {PAYLOAD} ({{{{ ''.__class__.__mro__ }}}})."
    assert "49" not in out


def test_instructions_sandbox_refuses_unsafe_author_templates():
    # the author's template is the code: the sandbox stops attribute walks, the text stays as written
    template = "{{ student.__class__.__mro__[1].__subclasses__() }}"
    assert render_instructions(template, {"student": {}}) == template


def _round_trip(values: list) -> list:
    book = Workbook()
    append_row(book.active, values)
    out = io.BytesIO()
    book.save(out)
    return list(load_workbook(io.BytesIO(out.getvalue())).active[1])


def test_export_rows_keep_formula_like_text_as_text():
    typed = ['=HYPERLINK("http://x","y")', "=1+1", "+7 701 000 00 00", "-2", "@SUM(A1)", "\t=1"]
    cells = _round_trip([*typed, "Иванов", 5, -3, date(2026, 9, 1)])
    for cell, value in zip(cells, typed, strict=False):
        assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)
    plain, five, minus_three, day = cells[len(typed):]
    assert (plain.value, plain.quotePrefix) == ("Иванов", False)
    assert (five.value, five.data_type, minus_three.value) == (5, "n", -3)
    assert day.value.date() == date(2026, 9, 1)


def test_samples_fill_only_free_text_fields():
    schema = {"properties": {
        "comment": {"type": "string", "maxLength": 2000},
        "number": {"type": "string", "maxLength": 10},
        "iin": {"type": "string", "format": "iin"},
        "kind": {"type": "string", "enum": ["a", "b"]},
        "code": {"type": "string", "pattern": "^[0-9]+$"},
        "rows": {"type": "array", "items": {"type": "object",
                                            "properties": {"name": {"type": ["string", "null"]}}}},
    }}
    assert [n for n, p in schema["properties"].items() if is_free_text(p)] == ["comment", "number"]
    answer = sample_object(schema, lambda prop, _: PAYLOAD if prop.get("maxLength", 10**6) > 100 else None)
    assert answer["comment"] == PAYLOAD and answer["rows"] == [{"name": PAYLOAD}]
    assert answer["number"] == "Образец те" and answer["kind"] == "a" and answer["code"] == "1"
    assert sample_object(schema) == {**answer, "comment": "Образец текста",
                                     "rows": [{"name": "Образец текста"}]}
