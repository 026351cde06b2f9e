"""Deploy-time checks of a model's structure SpiffWorkflow accepts but the server cannot run
as drawn: recursive call activities, lanes naming no element; and bare ISO 8601 timers read
as the literals Camunda Modeler means."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from server.engine.errors import ModelIssue, tr

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def call_graph(roots: Iterable[etree._Element]) -> dict[str, set[str]]:
    """Process id → the process ids its call activities call (every process of the files)."""
    graph: dict[str, set[str]] = {}
    for root in roots:
        for proc in root.iter(f"{{{BPMN_NS}}}process"):
            called = {el.get("calledElement") for el in proc.iter(f"{{{BPMN_NS}}}callActivity")}
            graph.setdefault(proc.get("id") or "", set()).update(c for c in called if c)
    return graph


def call_cycle(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of call activities reachable from `start` ([a, b, a]), or None. A process
    that calls itself, directly or through others, nests subprocesses without end."""
    path: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return None
        path.append(node)
        for callee in sorted(graph.get(node, ())):
            if (cycle := visit(callee)) is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    return visit(start)


def lane_issues(name: str, root: etree._Element) -> list[ModelIssue]:
    """Lanes whose flowNodeRefs name no element of their process. SpiffWorkflow ignores such
    a ref, so the task would silently go to no lane (the office's group): refused instead,
    naming the lane and the refs, because a task routed to the wrong people is worse than a
    one-line fix in the modeler."""
    issues = []
    for proc in root.iter(f"{{{BPMN_NS}}}process"):
        ids = {el.get("id") for el in proc.iter() if isinstance(el.tag, str)
               and etree.QName(el).localname not in ("lane", "laneSet", "flowNodeRef")}
        for lane in proc.iter(f"{{{BPMN_NS}}}lane"):
            refs = [(ref.text or "").strip() for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef")]
            unknown = [ref for ref in refs if ref not in ids]
            if unknown:
                issues.append(ModelIssue(name, lane.get("id"), tr(
                    "дорожка «%(lane)s» ссылается на элементы, которых нет в процессе: %(refs)s; "
                    "перенесите задачи на дорожку в редакторе заново",
                    lane=lane.get("name") or lane.get("id"),
                    refs=", ".join(unknown))))
    return issues


def data_store_issues(name: str, root: etree._Element) -> list[ModelIssue]:
    """Data stores: SpiffWorkflow runs only the store types an application registers, and
    this server registers none (the student registry changes through the operators a signed
    order runs, with its audit trail). Refused naming the element, not failed at run time."""
    return [ModelIssue(name, el.get("id"), tr(
        "хранилище данных «%(name)s» (dataStoreReference) не поддерживается: храните данные в "
        "переменных дела или в объекте данных (dataObject)", name=el.get("name") or el.get("id")))
        for tag in ("dataStoreReference", "dataStore") for el in root.iter(f"{{{BPMN_NS}}}{tag}")]


# The event definitions SpiffWorkflow 3.2 runs; it reads any other (link, compensate) as a
# plain event, so a case would end up waiting on nothing.
SUPPORTED_EVENTS = frozenset({"cancel", "conditional", "error", "escalation", "message", "signal",
                              "terminate", "timer"})


def event_issues(name: str, root: etree._Element) -> list[ModelIssue]:
    """Events whose definition the engine does not run, named with their kind."""
    issues = []
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
            continue
        local = etree.QName(el).localname
        if local.endswith("EventDefinition") and local[:-len("EventDefinition")] not in SUPPORTED_EVENTS:
            owner = el.getparent()
            issues.append(ModelIssue(name, owner.get("id") if owner is not None else el.get("id"), tr(
                "событие вида %(kind)s не поддерживается движком; поддерживаются: %(supported)s",
                kind=local, supported=", ".join(sorted(SUPPORTED_EVENTS)))))
    return issues


def rotated(cycle: list[str]) -> tuple[str, ...]:
    """The cycle [b, a, b] as (a, b, a): one cycle reached from two processes is named once."""
    core = cycle[:-1]
    first = core.index(min(core))
    core = core[first:] + core[:first]
    return (*core, core[0])


# An ISO 8601 duration, date-time or repeating interval written bare, as Camunda Modeler
# writes timers (`PT1S`); SpiffWorkflow evaluates a timer as a Python expression ("'PT1S'").
_ISO_TIMER = re.compile(r"(R\d*/)?(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)"
                        r"(/(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?))?")


def quote_iso_timers(specs: Iterable[Any]) -> None:
    """Read a bare ISO 8601 timer as the literal it is (`PT1S` → `'PT1S'`)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            for definition in [event, *(getattr(event, "event_definitions", None) or [])]:
                expression = getattr(definition, "expression", None)
                if (isinstance(definition, TimerEventDefinition) and isinstance(expression, str)
                        and _ISO_TIMER.fullmatch(expression.strip())):
                    definition.expression = repr(expression.strip())
