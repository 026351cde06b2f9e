"""A task's JSON Schema (forms/) as HTML form fields, and a submitted HTML form back as the
JSON the services validate. Labels come from the schema in the user's language (`title` is
Russian, `x-title-kk` Kazakh, `x-enum-titles` both); validation stays in the services.

HTML names: a top-level field is its property name; a cell of an array of rows is
``<array>.<row>.<column>`` — the same dotted path the services use for field errors, so an
error lands next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

EXTRA_ROWS = 2  # empty rows offered under an array's rows (more can be added with JS)


@dataclass
class Field:
    name: str
    label: str
    widget: str  # text, textarea, date, number, select, radio, checkbox, rows
    value: Any = None
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    # A text field's suggested values (`examples`; labelled in Kazakh by `x-examples-kk`).
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    columns: list[Field] = field(default_factory=list)  # rows: the columns
    rows: list[list[Field]] = field(default_factory=list)  # rows: one list of cells per row
    # rows that may be filled from a file (`x-fill-from`: "transcript"), and what the file gave
    fill_from: str = ""
    filled: int | None = None  # rows read from the file just now
    fill_errors: list[str] = field(default_factory=list)  # why the file was refused


def _label(schema: dict[str, Any], lang: str, fallback: str) -> str:
    if lang == "kk" and schema.get("x-title-kk"):
        return str(schema["x-title-kk"])
    return str(schema.get("title") or fallback)


def _help(schema: dict[str, Any], lang: str) -> str:
    if lang == "kk" and schema.get("x-description-kk"):
        return str(schema["x-description-kk"])
    return str(schema.get("description") or "")


def _options(schema: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    values = [str(v) for v in schema.get("enum", [])]
    titles = (schema.get("x-enum-titles") or {})
    names = titles.get(lang) or titles.get("ru") or values
    return list(zip(values, [str(n) for n in names], strict=False))


def _suggestions(schema: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    values = [str(v) for v in schema.get("examples") or []]
    labels = [str(v) for v in schema.get("x-examples-kk") or []] if lang == "kk" else []
    return list(zip(values, labels + values[len(labels):], strict=False))


def _widget(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "array" and (schema.get("items") or {}).get("type") == "object":
        return "rows"
    if "enum" in schema:
        # a registry's list (x-choices: faculties, programmes, countries) grows: always a select
        return "radio" if len(schema["enum"]) <= 3 and not schema.get("x-choices") else "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if schema.get("format") == "date":
        return "date"
    if kind == "string" and (schema.get("maxLength") or 0) > 300:
        return "textarea"
    return "text"


def _attrs(schema: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, html in (("minimum", "min"), ("maximum", "max"), ("maxLength", "maxlength"),
                      ("pattern", "pattern")):
        if key in schema:
            attrs[html] = schema[key]
    if schema.get("type") == "integer":
        attrs["step"] = 1
    elif schema.get("type") == "number":
        attrs["step"] = "any"
    if schema.get("format") == "iin":
        attrs.update(inputmode="numeric", maxlength=12, pattern=r"\d{12}")
    return attrs


def _field(name: str, schema: dict[str, Any], value: Any, lang: str, required: bool,
           errors: dict[str, str]) -> Field:
    widget = _widget(schema)
    f = Field(name=name, label=_label(schema, lang, name), widget=widget, value=value,
              required=required, options=_options(schema, lang), error=errors.get(name),
              help=_help(schema, lang), attrs=_attrs(schema),
              suggestions=_suggestions(schema, lang) if widget == "text" else [])
    if widget == "rows":
        items = schema.get("items") or {}
        props = items.get("properties") or {}
        needed = set(items.get("required") or [])
        f.columns = [_field(col, sub, None, lang, col in needed, {}) for col, sub in props.items()]
        f.fill_from = str(schema.get("x-fill-from") or "")
        rows = value if isinstance(value, list) else []
        for i in range(len(rows) + EXTRA_ROWS):
            row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
            f.rows.append([_field(f"{name}.{i}.{col}", sub, row.get(col), lang, col in needed, errors)
                           for col, sub in props.items()])
    return f


def fields_for(schema: dict[str, Any], data: dict[str, Any], lang: str,
               errors: dict[str, str] | None = None, *, today: date | None = None) -> list[Field]:
    """The form's fields, filled with `data` (the task's current data or a rejected submission).
    A date field marked `"x-default": "today"` (the day of signing, of issue) starts at `today`."""
    errors = errors or {}
    required = set(schema.get("required") or [])
    fields = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        shown_in_kazakh = _kazakh_default(sub, lang) if name not in data else None
        value = None if shown_in_kazakh else data.get(name, _default(sub, today))
        field = _field(name, sub, value, lang, name in required, errors)
        if shown_in_kazakh:
            field.attrs["placeholder"] = shown_in_kazakh
        fields.append(field)
    return fields


def _kazakh_default(schema: dict[str, Any], lang: str) -> str | None:
    """On the Kazakh form, the Kazakh wording of a suggested default (a certificate's purpose
    «по месту требования» reads «талап етілген жерге»): shown as the empty field's
    placeholder, not typed in in Russian; left empty, the server fills in the default."""
    default = schema.get("default")
    if lang != "kk" or not isinstance(default, str):
        return None
    for value, label in _suggestions(schema, lang):
        if value == default and label != value:
            return label
    return None


def _default(schema: dict[str, Any], today: date | None) -> Any:
    if schema.get("x-default") == "today" and today is not None:
        return today.isoformat()
    return schema.get("default")


def _convert(schema: dict[str, Any], raw: str) -> Any:
    """One submitted string as the schema's type; a value that does not convert is kept as
    text, so the services' validation names the field and the reason."""
    kind = schema.get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            return raw
        return int(value) if value.is_integer() else value  # «4» stays 4, not «4.0» on the page
    return raw


def parse(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """The submitted HTML form as JSON for the task. Empty inputs are left out (a required
    field then fails validation with "required"); unchecked checkboxes are false; a table
    of rows with every row empty is an empty list."""
    data: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        widget = _widget(sub)
        if widget == "checkbox":
            data[name] = form.get(name) in ("on", "true", "1")
        elif widget == "rows":
            props = (sub.get("items") or {}).get("properties") or {}
            rows: dict[int, dict[str, Any]] = {}
            for key in form:
                parts = key.split(".")
                if len(parts) != 3 or parts[0] != name or not parts[1].isdigit() or parts[2] not in props:
                    continue
                raw = form.get(key, "").strip()
                if raw:
                    rows.setdefault(int(parts[1]), {})[parts[2]] = _convert(props[parts[2]], raw)
            # An empty table is an empty list ("no disciplines"), not a missing answer.
            data[name] = [rows[i] for i in sorted(rows)]
        else:
            raw = (form.get(name) or "").strip()
            if raw:
                data[name] = _convert(sub, raw)
    return data
