"""Valid sample data for a form schema: used by the demo, `regoffice check` and tests.

Decisions default to the positive choice ("approve"), booleans to true.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from server.domain.iin import make_iin
from server.services.context import AppContext
from server.services.tasks.references import with_choices

POSITIVE = ("approve", "approved", "yes", "issued", "complete")
# A free-text string's value instead of the sample, given the field's schema and name (None
# keeps the sample): tests fill every free-text field with hostile input this way.
TextHook = Callable[[dict[str, Any], str], "str | None"]


def is_free_text(prop: dict[str, Any]) -> bool:
    """A string field a person types freely: no choice, pattern, format or constant."""
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "string" in kinds and not any(k in prop for k in ("enum", "const", "pattern", "format"))


def sample_value(prop: dict[str, Any], name: str = "", text: TextHook | None = None) -> Any:
    if "const" in prop:
        return prop["const"]
    if text is not None and is_free_text(prop):
        value = text(prop, name)
        if value is not None:
            return value
    if "default" in prop:
        return prop["default"]
    if "enum" in prop:
        for choice in POSITIVE:
            if choice in prop["enum"]:
                return choice
        return prop["enum"][0]
    kind = prop.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "boolean":
        return True
    if kind in ("integer", "number") and isinstance(prop.get("examples"), list) and prop["examples"]:
        return prop["examples"][0]  # a value that agrees with another field (points and letter)
    if kind in ("integer", "number"):
        return prop.get("minimum", 0) if prop.get("minimum", 0) > 0 else (1 if kind == "integer" else 1.0)
    if kind == "array":
        items = prop.get("items") or {}
        return [sample_value(items, name, text) for _ in range(max(1, prop.get("minItems", 1)))]
    if kind == "object":
        return sample_object(prop, text)
    if prop.get("format") == "date":
        # a period's start a month ago and its end months ahead: ordered, and what has
        # happened is not in the future (config/procedures.yaml, date_rules)
        shift = -30 if name.endswith("_start") else 120 if name.endswith("_end") else 0
        return (date.today() + timedelta(days=shift)).isoformat()
    if prop.get("format") == "iin":

        return make_iin(date(2004, 5, 17), "M", 1234)
    if "x-sample" in prop:  # a formatted value (a blank's number): the form's own sample
        return prop["x-sample"]
    if "pattern" in prop and "0-9" in prop["pattern"]:
        return "1" * 12 if "{12}" in prop["pattern"] else "1"
    text = _sample_text(prop, name)
    if len(text) < prop.get("minLength", 0):
        return "x" * prop["minLength"]
    return text[: prop.get("maxLength", 200)]


def _sample_text(prop: dict[str, Any], name: str) -> str:
    """A free text as a person would type it: the form's first suggestion, a number for a
    number field, a sample sentence otherwise (never the field's code, which pages would show)."""
    examples = prop.get("examples")
    if isinstance(examples, list) and examples and isinstance(examples[0], str):
        return examples[0]
    if name.endswith(("_number", "_no")):
        return "12"
    if name.endswith("_kk"):
        return "Үлгі мәтін"
    return "Образец текста"


def sample_object(schema: dict[str, Any], text: TextHook | None = None) -> dict[str, Any]:
    props = schema.get("properties") or {}
    return {name: sample_value(prop, name, text) for name, prop in props.items()
            if not prop.get("readOnly")}


def answer_for(ctx: AppContext, form_key: str | None, text: TextHook | None = None) -> dict[str, Any]:
    if not form_key or form_key.startswith("camunda:"):
        return {}
    schema, _ = with_choices(ctx, *ctx.forms.load(form_key))  # a list's first value
    return sample_object(schema, text)
