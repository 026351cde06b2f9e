"""Response serialization without marshmallow's per-field machinery.

Every API response passes through its output schema (`@api_bp.output`). marshmallow's `dump`
calls several methods per field (value lookup, default handling, `_serialize`), a good part of
what the API layer itself spends on a request (docs/performance.md). The output schemas here use
a handful of plain field types, so each schema is compiled once into a function that does what
`dump` does for those types: keys missing from the object are left out,
None stays None, strings and numbers are converted as marshmallow converts them, dates and
times are formatted by the field's own format function, dicts are copied.

A schema with anything else (another field type, a hook, a default, a dotted attribute,
`only`/`exclude`) is not compiled and goes through marshmallow as before;
tests/unit/test_fast_dump.py holds the compiled functions to marshmallow's output for every
schema of the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from apiflask.schema_adapters.marshmallow import MarshmallowAdapter
from marshmallow import Schema, fields, missing

Dump = Callable[[Any], Any]
_MISSING = object()


def _text(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _integer(value: Any) -> Any:
    return None if value is None else int(value)


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _temporal_for(field: Any) -> Dump:
    data_format = field.format or field.DEFAULT_FORMAT
    convert = field.SERIALIZATION_FUNCS.get(data_format)

    def dump(value: Any) -> Any:
        if value is None:
            return None
        return convert(value) if convert else value.strftime(data_format)

    return dump


def _mapping(value: Any) -> Any:
    return None if value is None else dict(value)


def _as_is(value: Any) -> Any:
    return value


def _field_dump(field: fields.Field) -> Dump | None:
    """The dump of one field's value, or None when this module does not know the field."""
    kind = type(field)
    if field.dump_default is not missing:
        return None
    if kind in (fields.String, fields.Str):
        return _text
    if kind in (fields.Integer, fields.Int) and not field.as_string:
        return _integer
    if kind is fields.Float and not field.as_string:
        return _float
    if kind in (fields.Boolean, fields.Bool):
        return _as_is  # marshmallow 4 dumps a boolean field's value unchanged
    if kind in (fields.DateTime, fields.Date, fields.Time):
        return _temporal_for(field)
    if kind is fields.Dict and field.key_field is None and field.value_field is None:
        return _mapping
    if kind is fields.List:
        inner = _field_dump(field.inner)
        if inner is None:
            return None
        return lambda value: None if value is None else [inner(each) for each in value]
    if kind is fields.Nested and not field.many and not field.only and not field.exclude:
        target = field.nested
        if isinstance(target, Schema) and not (target.only or target.exclude or target.many):
            target = type(target)
        if not (isinstance(target, type) and issubclass(target, Schema)):
            return None  # a schema by name, a callable, or an instance with options
        compiled = compile_dump(target)
        if compiled is None:
            return None
        return lambda value: None if value is None else compiled(value)
    return None


_COMPILED: dict[type[Schema], Dump | None] = {}


def compile_dump(schema_cls: type[Schema]) -> Dump | None:
    """`schema_cls().dump` as one function, or None when the schema uses what it does not know."""
    if schema_cls in _COMPILED:
        return _COMPILED[schema_cls]
    _COMPILED[schema_cls] = None  # a schema nested in itself is left to marshmallow
    schema = schema_cls()
    compiled: Dump | None = None
    if not schema._hooks or not any(schema._hooks.values()):
        plan = []
        for name, field in schema.dump_fields.items():
            dump = None if "." in (field.attribute or name) else _field_dump(field)
            if dump is None:
                plan = None
                break
            plan.append((field.attribute or name, field.data_key or name, dump))
        if plan is not None:
            compiled = _dump_with(tuple(plan))
    _COMPILED[schema_cls] = compiled
    return compiled


def _dump_with(plan: tuple[tuple[str, str, Dump], ...]) -> Dump:
    def dump(obj: Any) -> dict[str, Any]:
        out = {}
        if isinstance(obj, Mapping):
            for attribute, key, convert in plan:
                # as marshmallow: a key the mapping lacks is looked up as an attribute
                value = obj[attribute] if attribute in obj else getattr(obj, attribute, _MISSING)
                if value is not _MISSING:
                    out[key] = convert(value)
        else:
            for attribute, key, convert in plan:
                value = getattr(obj, attribute, _MISSING)
                if value is not _MISSING:
                    out[key] = convert(value)
        return out

    return dump


class FastMarshmallowAdapter(MarshmallowAdapter):
    """apiflask's marshmallow adapter, dumping output with the compiled function where the
    schema has one."""

    @cached_property
    def _dump(self) -> Dump | None:
        """The schema's compiled dump (found once per route, not per response)."""
        schema = self.schema
        if not isinstance(schema, Schema) or schema.only or schema.exclude or schema.many:
            return None
        return compile_dump(type(schema))

    def serialize_output(self, data: Any, many: bool = False) -> Any:
        dump = self._dump
        if dump is None:
            return super().serialize_output(data, many=many)
        return [dump(each) for each in data] if many else dump(data)


def install() -> None:
    """Serve every marshmallow output schema through `FastMarshmallowAdapter` (before the
    routes are declared: apiflask picks a schema's adapter when `@output` is applied)."""
    from apiflask.schema_adapters import registry

    registry.register("marshmallow", FastMarshmallowAdapter)

