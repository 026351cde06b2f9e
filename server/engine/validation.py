"""Deploy-time checks of every piece of code a model carries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from server.engine.errors import ModelIssue, tr
from server.engine.scripting import ScriptRejected, check_code, reason_of


def _code_of(task_spec: Any) -> Iterable[tuple[str, str]]:
    """(mode, code) pairs a task spec will execute or evaluate."""
    script = getattr(task_spec, "script", None)
    if isinstance(script, str):
        yield "exec", script
    for attr in ("prescript", "postscript"):
        code = getattr(task_spec, attr, None)
        if isinstance(code, str) and code.strip():
            yield "exec", code
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        if condition is not None and getattr(condition, "args", None):
            yield "eval", str(condition.args[0])
    event_def = getattr(task_spec, "event_definition", None)
    expression = getattr(event_def, "expression", None)
    if isinstance(expression, str):
        yield "eval", expression
    for definition in getattr(event_def, "event_definitions", []) or []:
        if isinstance(getattr(definition, "expression", None), str):
            yield "eval", definition.expression
    for param in (getattr(task_spec, "operation_params", None) or {}).values():
        if isinstance(param, dict) and isinstance(param.get("value"), str):
            yield "eval", param["value"]
    dmn = getattr(task_spec, "dmnEngine", None)
    if dmn is not None:
        yield from _dmn_table_code(dmn.decision_table)


def _dmn_table_code(table: Any) -> Iterable[tuple[str, str]]:
    for inp in getattr(table, "inputs", []):
        if getattr(inp, "expression", None):
            yield "eval", inp.expression
    for rule in getattr(table, "rules", []):
        for entry in list(getattr(rule, "input_entries", [])) + list(getattr(rule, "output_entries", [])):
            text = getattr(entry, "lhs", None) or getattr(entry, "text", None)
            for part in text if isinstance(text, list) else [text]:
                if isinstance(part, str) and part.strip() and part.strip() != "-":
                    yield "dmn", part


def _check_one(mode: str, code: str, allowed: frozenset[str]) -> None:
    if mode == "dmn":
        code = re.sub(r"\?", "dmninputexpr", code)
        try:
            check_code(code, mode="eval", allowed_calls=allowed)
        except ScriptRejected as exc:
            if "синтаксическая ошибка" not in str(exc):
                raise
            check_code(f"v {code}", mode="eval", allowed_calls=allowed)
        return
    check_code(code, mode=mode, allowed_calls=allowed)


def check_model_code(filename: str, specs: list[Any], allowed: frozenset[str]) -> list[ModelIssue]:
    """Every script, condition, timer and parameter expression of the given specs."""
    issues: list[ModelIssue] = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            for mode, code in _code_of(task_spec):
                try:
                    _check_one(mode, code, allowed)
                except ScriptRejected as exc:
                    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
                    issues.append(ModelIssue(filename, element, tr(
                        "%(reason)s (в коде: %(code)s)", reason=reason_of(exc),
                        code=repr(code.strip()[:80]))))
    return issues


def check_dmn_code(filename: str, root: etree._Element, allowed: frozenset[str]) -> list[ModelIssue]:
    """Input expressions and rule entries of a DMN file (checked from the XML text)."""
    issues: list[ModelIssue] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname != "text":
            continue
        parent = el.getparent()
        kind = etree.QName(parent).localname if parent is not None else ""
        text = (el.text or "").strip()
        if not text or text == "-":
            continue
        mode = "dmn" if kind == "inputEntry" else "eval"
        try:
            _check_one(mode, text, allowed)
        except ScriptRejected as exc:
            owner = parent.get("id") if parent is not None else None
            issues.append(ModelIssue(filename, owner, tr("%(reason)s (в коде: %(code)s)",
                                                         reason=reason_of(exc), code=repr(text[:80]))))
    return issues
