"""The compiled output dumps (server/api/fast_dump.py) give what marshmallow gives, for every
output schema the API declares, on full, partial, empty and None-valued data, as dicts and as
objects."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

from server.api.fast_dump import FastMarshmallowAdapter, compile_dump


def _output_schemas() -> list[type[Schema]]:
    """The response schema of every API view (apiflask keeps it on the view as `_spec`)."""
    from server.api import admin_routes, register_routes, report_routes, routes

    found: dict[str, type[Schema]] = {}
    for module in (routes, admin_routes, register_routes, report_routes):
        for view in vars(module).values():
            if not inspect.isfunction(view):
                continue
            schema = (getattr(view, "_spec", None) or {}).get("response", {}).get("schema")
            if isinstance(schema, Schema):
                found[type(schema).__name__] = type(schema)
    return [found[name] for name in sorted(found)]


OUTPUT_SCHEMAS = _output_schemas()


def _sample(field: fields.Field, variant: int) -> Any:
    """A value of the field's type; the variant changes strings, numbers and truth values."""
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        return _data(nested, variant)
    if isinstance(field, fields.List):
        return [_sample(field.inner, variant), _sample(field.inner, variant + 1)]
    if isinstance(field, fields.DateTime):
        return datetime(2026, 12, 5, 9, 30, variant % 60, 123456, tzinfo=UTC)
    if isinstance(field, fields.Date):
        return date(2026, 12, 1 + variant % 28)
    if isinstance(field, fields.Time):
        return time(9, variant % 60)
    if isinstance(field, fields.Boolean):
        return (True, False, "t", 0, "yes")[variant % 5]
    if isinstance(field, fields.Integer):
        return (7, "8", 9.0)[variant % 3]
    if isinstance(field, fields.Float):
        return (1.5, 2, "3.25")[variant % 3]
    if isinstance(field, fields.Dict) and field.value_field is not None:
        return {"Әлия": _sample(field.value_field, variant), "n": _sample(field.value_field, variant + 1)}
    if isinstance(field, fields.Dict):
        return {"ФИО": "Әлия", "n": [1, {"b": None}], "at": "2026-12-05"}
    if isinstance(field, fields.String):
        return ("Әлия Сәрсенқызы", 12, b"bytes")[variant % 3]
    raise AssertionError(f"no sample for {type(field).__name__}")


def _data(schema_cls: type[Schema], variant: int) -> dict[str, Any]:
    schema = schema_cls()
    return {field.attribute or name: _sample(field, variant) for name, field in schema.dump_fields.items()}


@pytest.mark.parametrize("schema_cls", OUTPUT_SCHEMAS, ids=lambda s: s.__name__)
def test_every_output_schema_dumps_as_marshmallow_does(schema_cls: type[Schema]) -> None:
    """Through the adapter the API uses: the compiled dump where the schema has one, marshmallow
    itself where it has not."""
    schema = schema_cls()
    dump = FastMarshmallowAdapter(schema).serialize_output
    for variant in range(5):
        full = _data(schema_cls, variant)
        nones = dict.fromkeys(full)
        partial = {k: v for i, (k, v) in enumerate(full.items()) if i % 2 == variant % 2}
        for data in (full, nones, partial, {}):
            assert _outcome(dump, data) == _outcome(schema.dump, data), (variant, data)
            obj = SimpleNamespace(**data)
            assert _outcome(dump, obj) == _outcome(schema.dump, obj), (variant, data)


def _outcome(dump: Any, data: Any) -> Any:
    """The dump, or the error it raises: a dict without an `items` key has the method `items`,
    which marshmallow then dumps as the field's value and fails on, as the compiled dump does."""
    try:
        return dump(data)
    except TypeError as exc:
        return ("TypeError", str(exc))


def test_most_output_schemas_are_compiled() -> None:
    compiled = [s.__name__ for s in OUTPUT_SCHEMAS if compile_dump(s) is not None]
    assert {"CaseStepOut", "CaseDetailOut", "TaskListOut", "TaskDetailOut", "CaseListOut"} <= set(compiled)


class _WithHook(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: v.upper() for k, v in data.items()}


class _WithMethod(Schema):
    name = fields.Method("first_letter")

    def first_letter(self, obj: Any) -> str:
        return str(obj["name"])[:1]


class _WithDefault(Schema):
    name = fields.String(dump_default="нет")


class _WithPath(Schema):
    name = fields.String(attribute="person.name")


@pytest.mark.parametrize("schema_cls", [_WithHook, _WithMethod, _WithDefault, _WithPath])
def test_a_schema_with_anything_else_is_left_to_marshmallow(schema_cls: type[Schema]) -> None:
    assert compile_dump(schema_cls) is None
    adapter = FastMarshmallowAdapter(schema_cls())
    data = {"name": "Әлия", "person": {"name": "Айгерим"}}
    assert adapter.serialize_output(data) == schema_cls().dump(data)


def test_the_adapter_dumps_lists() -> None:
    from server.api.schemas import TaskOut

    rows = [_data(TaskOut, 0), _data(TaskOut, 1)]
    fast = FastMarshmallowAdapter(TaskOut()).serialize_output(rows, many=True)
    assert fast == TaskOut().dump(rows, many=True)
