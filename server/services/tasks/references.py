"""Fields chosen from the registry's lists: a faculty, a programme, a country (citizenship).

A form marks such a field `"x-choices": "<list>"` (forms/*.schema.json; in a table's column
too). Before a form is shown or a submission is checked, `with_choices` writes the list into
the field as a JSON Schema `enum` with its names (`x-enum-titles` in Russian, Kazakh and
English): the staff UI offers a select and the API's schema the same values, and the
server's validation refuses anything else with 422 naming the field — «ИТ» typed in Cyrillic
is not the faculty `IT`. The lists are the registry's faculties and programmes (the admin's
and the import's) and the ISO 3166-1 countries (server/domain/countries.py). A form without
`x-choices` is returned as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.domain import countries
from server.models import Faculty, Programme
from server.services.context import AppContext
from server.services.tasks.forms import camunda_validator

Choices = list[tuple[str, dict[str, str]]]  # (value, {lang: title})
LANGS = ("ru", "kk", "en")


def _faculties(session: Session) -> Choices:
    rows = session.scalars(select(Faculty).order_by(Faculty.code))
    return [(f.code, {"ru": f"{f.code} — {f.name_ru}", "kk": f"{f.code} — {f.name_kk or f.name_ru}",
                      "en": f"{f.code} — {f.name_en or f.name_ru}"}) for f in rows]


def _programmes(session: Session) -> Choices:
    rows = session.scalars(select(Programme).order_by(Programme.code))
    return [(p.code, {"ru": f"{p.code} {p.name_ru}", "kk": f"{p.code} {p.name_kk or p.name_ru}",
                      "en": f"{p.code} {p.name_en or p.name_ru}"}) for p in rows]


def _countries(_session: Session) -> Choices:
    ordered = [code for code, _name in countries.choices("ru")]
    return [(code, {lang: countries.COUNTRIES[code].name(lang) for lang in LANGS}) for code in ordered]


LISTS: dict[str, Callable[[Session], Choices]] = {
    "faculty": _faculties, "programme": _programmes, "country": _countries,
}


def _choice_fields(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every property schema (top level and a table's columns) that names a list."""
    for prop in (schema.get("properties") or {}).values():
        if not isinstance(prop, dict):
            continue
        if prop.get("x-choices") in LISTS:
            yield prop
        items = prop.get("items")
        if isinstance(items, dict):
            yield from _choice_fields(items)


def has_choices(schema: dict[str, Any] | None) -> bool:
    return bool(schema) and next(_choice_fields(schema), None) is not None  # type: ignore[arg-type]


def resolve(schema: dict[str, Any], session: Session) -> dict[str, Any]:
    """A copy of `schema` with each `x-choices` field's list as its `enum` and titles."""
    resolved = copy.deepcopy(schema)
    cache: dict[str, Choices] = {}
    for prop in _choice_fields(resolved):
        kind = prop["x-choices"]
        if kind not in cache:
            cache[kind] = LISTS[kind](session)
        values = cache[kind]
        prop.pop("pattern", None)  # the list decides; a pattern would only repeat it
        prop["enum"] = [value for value, _titles in values]
        prop["x-enum-titles"] = {lang: [titles[lang] for _value, titles in values] for lang in LANGS}
    return resolved


def with_choices(ctx: AppContext, schema: dict[str, Any] | None, validator: Any,
                 session: Session | None = None) -> tuple[dict[str, Any] | None, Any]:
    """(schema, validator) with the registry's lists filled in; as given when the form names
    none. Reads the lists in `session`, or in a read of its own."""
    if schema is None or not has_choices(schema):
        return schema, validator
    if session is None:
        with ctx.db.read() as own:
            resolved = resolve(schema, own)
    else:
        resolved = resolve(schema, session)
    return resolved, _validator(resolved, validator)


def _validator(schema: dict[str, Any], like: Any) -> Draft202012Validator:
    """A validator for the resolved schema with the same format checks as the form's."""
    if isinstance(like, Draft202012Validator) and like.format_checker is not None:
        return Draft202012Validator(schema, format_checker=like.format_checker)
    return camunda_validator(schema)

