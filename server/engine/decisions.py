"""A decision table read outside a running case: what a business rule task would decide for
given inputs, when the table's entries are literals (a proposal shown to a person before the
case reaches the task — the academic difference's limit of the transfer rules)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from server.engine.loader import ProcessBundle

_UNKNOWN = object()


def _literal(text: str | None) -> Any:
    if text is None or text.strip() in ("", "-"):
        return None  # «any value»
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return _UNKNOWN


def literal_decision(bundle: ProcessBundle, task_name: str,
                     values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The outputs of the first rule of the task's table whose entries equal `values` (keyed by
    the table's input expressions). None when the task has no table, an input is not given, or
    an entry or output is not a literal: the caller then says it does not know."""
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    task = next((s.task_specs[task_name] for s in specs if task_name in s.task_specs), None)
    table = getattr(getattr(task, "dmnEngine", None), "decision_table", None)
    if table is None:
        return None
    expressions = [i.expression for i in table.inputs]
    if any(e not in values for e in expressions):
        return None
    for rule in table.rules:
        entries = [_literal(e.lhs[0] if e.lhs else None) for e in rule.inputEntries]
        if any(x is _UNKNOWN for x in entries):
            return None
        if all(x is None or x == values[e] for x, e in zip(entries, expressions, strict=True)):
            pairs = zip(table.outputs, rule.outputEntries, strict=True)
            outputs = {o.name: _literal(r.text) for o, r in pairs}
            return None if _UNKNOWN in outputs.values() else outputs
    return None
