"""A case's data as people read it: each field's title and each value in words, in a language.

The words come from two places: the procedure's forms (a field's `title` / `x-title-kk`, a choice's
`x-enum-titles`) and the one vocabulary of codes (`server/domain/labels.py`: statuses, forms of
study, funding, citizenship…). Dates become dd.mm.yyyy. Task instructions, the case page, the
task page and e-mails read a case's data through `display_data` / `display_rows`, so a code or an
ISO date never reaches a person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.domain import labels
from server.services.tasks.forms import FormRegistry

_LANG_INDEX = {"ru": 0, "kk": 1, "en": 2}


@dataclass
class FieldWords:
    """What the forms of a procedure say about one field."""

    titles: dict[str, str] = field(default_factory=dict)          # lang -> title
    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> code -> title
    is_date: bool = False

    def title(self, lang: str) -> str | None:
        return self.titles.get(lang) or self.titles.get("ru")

    def choice(self, value: Any, lang: str) -> str | None:
        words = self.choices.get(lang) or self.choices.get("ru") or {}
        return words.get(str(value))


def _collect(schema: Mapping[str, Any], into: dict[str, FieldWords]) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        words = into.setdefault(name, FieldWords())
        if prop.get("title"):
            words.titles.setdefault("ru", str(prop["title"]))
        if prop.get("x-title-kk"):
            words.titles.setdefault("kk", str(prop["x-title-kk"]))
        if prop.get("x-title-en"):
            words.titles.setdefault("en", str(prop["x-title-en"]))
        if prop.get("format") == "date":
            words.is_date = True
        enum = prop.get("enum") or (prop.get("items") or {}).get("enum")
        titles = prop.get("x-enum-titles") or (prop.get("items") or {}).get("x-enum-titles") or {}
        if enum and isinstance(titles, Mapping):
            for lang, names in titles.items():
                if isinstance(names, list) and len(names) == len(enum):
                    words.choices.setdefault(lang, {}).update(
                        {str(code): str(name) for code, name in zip(enum, names, strict=True)})
        items = prop.get("items")
        if isinstance(items, Mapping) and items.get("properties"):
            _collect(items, into)
        if prop.get("properties"):
            _collect(prop, into)
    for part in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(part) or []:
            if isinstance(sub, Mapping):
                _collect(sub, into)
                for branch in ("then", "else"):
                    if isinstance(sub.get(branch), Mapping):
                        _collect(sub[branch], into)


def procedure_fields(forms: FormRegistry, process_id: str) -> dict[str, FieldWords]:
    """Every field the forms of `process_id` (forms/<process_id>/*.schema.json) describe."""
    found: dict[str, FieldWords] = {}
    folder = forms.forms_dir / process_id
    if not folder.is_dir() or ".." in process_id:
        return found
    for path in sorted(folder.glob("*.schema.json")):
        key = f"{process_id}/{path.name.removesuffix('.schema.json')}"
        try:
            schema, _validator = forms.load(key)
        except (OSError, ValueError):
            continue
        _collect(schema, found)
    return found


def display_value(name: str, value: Any, lang: str, fields: Mapping[str, FieldWords] | None = None) -> Any:
    """One value in words: a form's choice title, a code of the vocabulary, a date as
    dd.mm.yyyy; lists value by value; mappings key by key."""
    if isinstance(value, Mapping):
        return {k: display_value(str(k), v, lang, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [display_value(name, v, lang, fields) for v in value]
    words = (fields or {}).get(name)
    if words is not None and value is not None and not isinstance(value, (dict, list)):
        chosen = words.choice(value, lang)
        if chosen:
            return chosen
    if name in labels.FIELD_KINDS or isinstance(value, bool):
        return labels.field_label(name, value, lang)
    if isinstance(value, str):
        return labels.humanize(value)
    return value


def display_data(data: Mapping[str, Any], lang: str,
                 fields: Mapping[str, FieldWords] | None = None) -> dict[str, Any]:
    """A copy of `data` with every value as people read it (for instructions and e-mails)."""
    return {key: display_value(key, value, lang, fields) for key, value in data.items()}


def display_rows(data: Mapping[str, Any], lang: str, fields: Mapping[str, FieldWords],
                 only: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(title, value in words) of each field the forms name and `data` holds, in the forms'
    order; fields without a title (internal ones) are left out."""
    rows = []
    for name in only if only is not None else fields:
        words = fields.get(name)
        if words is None or name not in data or data[name] in (None, "", []):
            continue
        title = words.title(lang)
        if not title:
            continue
        value = display_value(name, data[name], lang, fields)
        if isinstance(value, list):
            value = "; ".join(", ".join(map(str, item.values())) if isinstance(item, dict) else str(item)
                              for item in value)
        elif isinstance(value, dict):
            value = ", ".join(str(v) for v in value.values())
        rows.append((title, str(value)))
    return rows
