"""Task forms in HTML: fields from the JSON Schema, and a submitted form back as JSON."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from server.web.formfields import fields_for, parse

SCHEMA = {
    "type": "object",
    "properties": {
        "decision": {"type": "string", "title": "Решение", "x-title-kk": "Шешім",
                     "enum": ["approve", "reject"],
                     "x-enum-titles": {"ru": ["Согласовать", "Отказать"], "kk": ["Келісу", "Бас тарту"]}},
        "ground": {"type": "string", "title": "Основание", "enum": ["a", "b", "c", "d"]},
        "credits": {"type": "integer", "title": "Кредиты", "minimum": 0},
        "gpa": {"type": "number", "title": "GPA"},
        "final": {"type": "boolean", "title": "Выпускной курс"},
        "until": {"type": "string", "format": "date", "title": "Срок"},
        "iin": {"type": "string", "format": "iin", "title": "ИИН"},
        "comment": {"type": "string", "title": "Комментарий", "maxLength": 2000},
        "rows": {"type": "array", "title": "Дисциплины", "items": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "title": "Дисциплина"},
                           "credits": {"type": "integer", "title": "Кредиты"}}}},
    },
    "required": ["decision"],
}


def test_widgets_labels_and_languages():
    fields = {f.name: f for f in fields_for(SCHEMA, {}, "kk")}
    assert fields["decision"].widget == "radio" and fields["decision"].label == "Шешім"
    assert fields["decision"].options == [("approve", "Келісу"), ("reject", "Бас тарту")]
    assert fields["decision"].required and not fields["ground"].required
    assert fields["ground"].widget == "select" and fields["ground"].label == "Основание"  # no kk: ru
    assert fields["credits"].widget == "number" and fields["credits"].attrs == {"min": 0, "step": 1}
    assert fields["final"].widget == "checkbox" and fields["until"].widget == "date"
    assert fields["iin"].attrs["inputmode"] == "numeric" and fields["comment"].widget == "textarea"
    rows = fields["rows"]
    assert rows.widget == "rows" and [c.name for c in rows.columns] == ["name", "credits"]
    assert [c.name for c in rows.rows[0]] == ["rows.0.name", "rows.0.credits"] and len(rows.rows) == 2


def test_existing_rows_and_errors_are_shown():
    data = {"rows": [{"name": "Алгоритмы", "credits": 6}]}
    fields = {f.name: f for f in fields_for(SCHEMA, data, "ru", {"rows.0.credits": "Слишком мало",
                                                                  "decision": "Обязательное поле"})}
    assert fields["decision"].error == "Обязательное поле"
    first = fields["rows"].rows[0]
    assert first[0].value == "Алгоритмы" and first[1].error == "Слишком мало"
    assert len(fields["rows"].rows) == 3  # one filled, two empty


def test_parse_converts_types_and_keeps_bad_input_for_the_validator():
    form = MultiDict([("decision", "approve"), ("credits", "12"), ("gpa", "3,5"), ("final", "on"),
                      ("until", ""), ("comment", "  текст  "), ("rows.1.name", "Базы данных"),
                      ("rows.1.credits", "x"), ("rows.0.name", "Алгоритмы"), ("rows.0.credits", "6"),
                      ("rows.5.name", ""), ("unknown", "ignored"), ("rows.0.evil", "1")])
    data = parse(SCHEMA, form)
    assert data == {"decision": "approve", "credits": 12, "gpa": 3.5, "final": True, "comment": "текст",
                    "rows": [{"name": "Алгоритмы", "credits": 6}, {"name": "Базы данных", "credits": "x"}]}


def test_parse_unchecked_box_and_empty_table():
    assert parse(SCHEMA, MultiDict()) == {"final": False, "rows": []}
