"""«Fill from the transcript file»: a form's table of earlier results (a field marked
`"x-fill-from": "transcript"`) filled from the sending university's transcript (CSV/XLSX).

The control is a file input and a submit button inside the form itself, so the values typed in
the other fields come back with the filled rows; the file is read by the same service as
POST /api/v1/record/transcript-rows (`difference.read_transcript`) and nothing is stored: the
user reviews the rows and submits the form as usual. A refused file leaves the typed rows and
lists its reasons (the file's line and field) beside the control.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_babel import gettext as _

from server.services.errors import Invalid, Msg
from server.services.record import difference
from server.services.students.spreadsheets import read_table
from server.web.formfields import Field, fields_for
from server.web.i18n import lang, localized, localized_message
from server.web.session import actor, ctx

BUTTON = "fill_from_transcript"  # the submit button's name; its value is the table's field
FILE = "transcript_file"
ROW_REASON = "строка %(line)s: %(reason)s"  # check_earlier's reason, numbered by the table's row


@dataclass
class Filled:
    """What reading the file gave one table: its rows (on success) or the reasons."""

    name: str
    rows: list[dict[str, Any]] | None = None
    reasons: list[str] = field(default_factory=list)


def requested(schema: dict[str, Any] | None) -> str | None:
    """The table the submitted form asks to fill (a field of `schema` that may be filled)."""
    name = request.form.get(BUTTON, "")
    sub = ((schema or {}).get("properties") or {}).get(name)
    return name if isinstance(sub, dict) and sub.get("x-fill-from") == "transcript" else None


def read(schema: dict[str, Any], name: str, data: dict[str, Any]) -> Filled:
    """Read the uploaded file into the table `name` of `data` (replacing its rows), or say why
    not (the typed rows are kept)."""
    upload = request.files.get(FILE)
    if upload is None or not upload.filename:
        return Filled(name, reasons=[_("Choose the transcript file (CSV or XLSX).")])
    content = upload.read(difference.TRANSCRIPT_LIMITS.max_bytes + 1)
    try:
        rows = difference.read_transcript(ctx(), actor(), upload.filename, content,
                                          _mapping(schema, name, upload.filename, content))
    except Invalid as exc:
        return Filled(name, reasons=_reasons(exc, _columns(schema, name)))
    data[name] = [{k: _plain(v) for k, v in row.items() if v is not None} for row in rows]
    return Filled(name, rows=data[name])


def show(fields: list[Field], filled: Filled | None) -> None:
    """Put the outcome beside the table's control."""
    for f in fields:
        if filled is not None and f.name == filled.name:
            f.filled = len(filled.rows) if filled.rows is not None else None
            f.fill_errors = filled.reasons


def _mapping(schema: dict[str, Any], name: str, filename: str, content: bytes) -> dict[str, str]:
    """The file's column of each field where the header names it by the form's Russian or
    Kazakh title («Кредиты ECTS», «Балл»), not by the field's own name."""
    try:
        table = read_table(filename, content, difference.TRANSCRIPT_LIMITS)
    except Invalid:
        return {}  # read_transcript refuses the file with the same reasons
    header = set(table[0]) if table else set()
    props = ((schema["properties"][name].get("items") or {}).get("properties") or {})
    mapping = {}
    for column, sub in props.items():
        titles = {str(sub.get(k) or "").strip().lower() for k in ("title", "x-title-kk")} & header
        if column not in header and titles and column in difference.EARLIER_FIELDS:
            mapping[column] = titles.pop()
    return mapping


def _columns(schema: dict[str, Any], name: str) -> dict[str, str]:
    """The table's column titles in the UI language, by field name."""
    table = fields_for({"properties": {name: schema["properties"][name]}}, {}, lang())[0]
    return {c.name: c.label for c in table.columns}


def _reasons(exc: Invalid, columns: dict[str, str]) -> list[str]:
    """The refusal as lines a person reads: the message, then each line and field of the file."""
    out = [localized_message(exc)]
    for key, reason in exc.fields.items():
        parts = key.split(".")
        if isinstance(reason, Msg) and reason.template == ROW_REASON:
            reason = reason.params["reason"]  # the row's number within the table: the file's line is given
        text = localized(reason)
        if parts[0] == "line" and len(parts) >= 3 and parts[1].isdigit():
            out.append(_("Line %(line)s, «%(field)s»: %(reason)s", line=parts[1],
                         field=columns.get(parts[2], parts[2]), reason=text))
        elif parts[0] == "line" and len(parts) == 2:
            out.append(_("Line %(line)s: %(reason)s", line=parts[1], reason=text))
        elif parts[0] != "file":  # a file's reason is already in the message
            out.append(text)
    return out


def _plain(value: Any) -> Any:
    """6.0 credits shown as 6."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
