"""BPMN messages: what a workflow waits for, delivering one into it, what it threw.

A waiting message catch (intermediate catch event, receive task, boundary event, event
gateway branch, message start event) sits in the workflow's event manager. Its *expected
correlation* is what a message must carry to reach it: for each correlation property of the
message (`bpmn:correlationProperty` with a retrieval expression for that message, or a
spiff `processVariableCorrelation`), the value the workflow already correlated on (a message
it sent or caught before), else the value of the retrieval expression read from the case's
own data (the convention: a property's expression names the case variable that holds it,
e.g. `application_no`). The services layer matches messages to cases with these values and
then delivers to one task: the engine's own correlation check is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from server.engine.errors import TaskNotReady

# The operator name under which a message the workflow threw reaches the services layer
# (a `ServiceCall`, like a service task's): server/services/operators/message_send.py.
MESSAGE_SEND = "message/send"


@dataclass(frozen=True)
class WaitingMessage:
    """A catch event of a workflow waiting for a message."""

    task_id: str
    element: str  # the BPMN id of the catching element
    name: str  # the message's name
    properties: dict[str, str]  # correlation property id -> its retrieval expression
    expected: dict[str, Any]  # correlation property id -> the value a message must carry


@dataclass(frozen=True)
class ThrownMessage:
    """A message the workflow sent that no element of its own caught."""

    name: str
    element: str | None
    payload: Any
    correlation: dict[str, Any]  # property id -> value


def _properties(definition: MessageEventDefinition) -> dict[str, str]:
    props = list(definition.correlation_properties) + list(getattr(definition, "process_correlations", []))
    return {p.name: p.retrieval_expression for p in props if p.name and p.retrieval_expression}


def _flat(correlations: dict[str, Any]) -> dict[str, Any]:
    """SpiffWorkflow's {correlation key: {property: value}} as {property: value}."""
    flat: dict[str, Any] = {}
    for values in correlations.values():
        if isinstance(values, dict):
            flat.update(values)
    return flat


def read_path(expression: str, data: Any) -> tuple[bool, Any]:
    """The value of a retrieval expression that names a variable or a dotted path
    (`application_no`, `payment.contract_no`) in `data`; (False, None) when it is not such
    an expression or the value is missing. Nothing is evaluated."""
    parts = expression.strip().split(".")
    if not parts or not all(p.isidentifier() for p in parts):
        return False, None
    value = data
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _expected(workflow: BpmnWorkflow, task: Any, properties: dict[str, str]) -> dict[str, Any]:
    known = _flat(workflow.correlations)
    expected = {}
    for prop, expression in properties.items():
        if prop in known:
            expected[prop] = known[prop]
            continue
        found, value = read_path(expression, task.data)
        if found and value is not None:
            expected[prop] = value
    return expected


def _message_definitions(task: Any) -> list[tuple[str, MessageEventDefinition]]:
    """(element id, message definition) of what a waiting task catches: its own definition,
    or each message branch of an event-based gateway (SpiffWorkflow moves the branches'
    definitions onto the gateway: one per outgoing event, in order)."""
    definition = task.task_spec.event_definition
    if isinstance(definition, MessageEventDefinition):
        return [(task.task_spec.bpmn_id or task.task_spec.name, definition)]
    if isinstance(definition, MultipleEventDefinition):
        outputs = list(task.task_spec.outputs)
        return [(getattr(outputs[i], "bpmn_id", None) or task.task_spec.name if i < len(outputs)
                 else task.task_spec.name, sub)
                for i, sub in enumerate(definition.event_definitions)
                if isinstance(sub, MessageEventDefinition)]
    return []


def waiting_messages(workflow: BpmnWorkflow) -> list[WaitingMessage]:
    waits = []
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        for element, definition in _message_definitions(task):
            props = _properties(definition)
            waits.append(WaitingMessage(str(task.id), element, str(definition.name), props,
                                        _expected(workflow, task, props)))
    return waits


def deliver(workflow: BpmnWorkflow, task_id: str, name: str, payload: Any,
            correlation: dict[str, Any]) -> None:
    """Let the waiting catch event `task_id` catch message `name` (the caller matched it).

    The payload lands in the case data: a spiff model names the variable
    (`spiffworkflow:messageVariable`); any other model (and a spiff one that names none)
    gets the payload's keys merged into its data."""
    try:
        task = workflow.event_manager.tasks.get(UUID(task_id))
    except ValueError:
        task = None
    found = [d for _, d in _message_definitions(task) if str(d.name) == name] \
        if task is not None and task.state == TaskState.WAITING else []
    if not found:
        raise TaskNotReady(task_id)
    definition = found[0]
    if getattr(definition, "message_var", None) is None and isinstance(payload, dict):
        task.data.update(payload)
    if hasattr(definition, "result_var"):  # a Camunda model keeps the payload in its result variable
        caught: Any = {"payload": payload, "result_var": definition.result_var}
    elif hasattr(definition, "message_var") or isinstance(payload, dict):
        caught = payload
    else:  # a plain BPMN message merges its payload into the data: only an object can be merged
        caught = {}
    keyed = {key: {prop: correlation[prop]} for prop in correlation
             for key in _keys_of(definition, prop)}
    for key, values in keyed.items():
        workflow.correlations.setdefault(key, {}).update(values)
    if definition is not task.task_spec.event_definition:  # a branch of an event-based gateway
        if isinstance(caught, dict):  # its catch reads the correlation from the payload
            caught = {**correlation, **caught}
        event = BpmnEvent(definition, payload=caught, correlations=keyed)
        task._set_internal_data(seen_events=[*task.internal_data.get("seen_events", []), event])
    else:
        event = BpmnEvent(definition, payload=caught, correlations=keyed)
        definition.update_internal_data(task, event)
        task._set_internal_data(event_fired=True)  # what EventDefinition.catch does
    task.task_spec._update(task)


def _keys_of(definition: MessageEventDefinition, prop: str) -> list[str]:
    for p in [*definition.correlation_properties, *getattr(definition, "process_correlations", [])]:
        if p.name == prop:
            return list(p.correlation_keys) or ["MainCorrelationKey"]
    return []


def thrown_messages(workflow: BpmnWorkflow) -> list[ThrownMessage]:
    """The messages thrown in the last steps that nothing in this workflow caught (taken:
    the next call returns only newer ones)."""
    thrown = []
    for event in workflow.get_events():
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        payload = event.payload
        if hasattr(definition, "result_var") and isinstance(payload, dict):  # Camunda's wrapping
            payload = payload.get("payload")
        correlation = _flat(event.correlations)
        if isinstance(payload, dict):  # properties the sender did not compute, read from the payload
            for prop, expression in _properties(definition).items():
                found, value = read_path(expression, payload)
                if found and prop not in correlation:
                    correlation[prop] = value
        thrown.append(ThrownMessage(str(definition.name), None, payload, correlation))
    return thrown


def message_start_names(spec: Any) -> frozenset[str]:
    """The messages a process's start events catch (a message start event)."""
    return frozenset(str(ts.event_definition.name) for ts in spec.bpmn_start_events
                     if isinstance(getattr(ts, "event_definition", None), MessageEventDefinition))

