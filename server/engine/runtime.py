"""A running workflow instance: create, restore, step, inspect, dump.

State is serialized *without* the spec (the spec lives once per version), as JSON with the
SpiffWorkflow serializer's format version stored beside it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import TaskState
from SpiffWorkflow.util.deep_merge import DeepMerge

from server.engine import patches  # noqa: F401  (SpiffWorkflow corrections, applied at import)
from server.engine.budget import ScriptLimitError
from server.engine.compaction import History, compact
from server.engine.errors import EngineError, TaskNotReady, tr
from server.engine.loader import ProcessBundle
from server.engine.messages import MESSAGE_SEND, WaitingMessage, deliver, thrown_messages, waiting_messages
from server.engine.scripting import CaseScriptEngine, ScriptFunctions, ScriptLog, ScriptRejected, ServiceCall
from server.engine.versions import MigrationPlan, migrate, plan_migration

SERIALIZER_VERSION = VERSION
# The pruned history's key in the stored state, beside SpiffWorkflow's own keys (it ignores it).
HISTORY_KEY = "regoffice_history"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """The top-level workflow converter without `spec`/`subprocess_specs`."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_with_spec(self, dct: dict[str, Any], bundle: ProcessBundle) -> BpmnWorkflow:
        workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _Codec:
    def __init__(self, config: dict[Any, Any]) -> None:
        self.registry = BpmnWorkflowSerializer.configure(config)
        # SpiffWorkflow registers datetime and timedelta; a script's `datetime.date` too.
        self.registry.register(date, lambda v: {"value": v.isoformat()},
                               lambda v: date.fromisoformat(v["value"]))
        self.converter = _SpeclessWorkflowConverter(BpmnWorkflow, self.registry)
        self.encoder = create_encoder(self.registry, None)

    def dumps(self, workflow: BpmnWorkflow, history: History) -> str:
        self.registry._encoder_mode = True
        try:
            dct = self.converter.to_dict(workflow)
            if (pruned := history.to_dict()) is not None:
                dct[HISTORY_KEY] = pruned
            return json.dumps(dct, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False

    def loads(self, state: str, bundle: ProcessBundle) -> tuple[BpmnWorkflow, History]:
        dct = json.loads(state)
        history = History.from_dict(dct.pop(HISTORY_KEY, None))
        return self.converter.restore_with_spec(dct, bundle), history

    def data(self, state: str) -> dict[str, Any]:
        """`Instance.data` of the stored state without restoring the workflow: the data of
        the last completed task, rebuilt as the task converter's `from_dict` does it (a task
        whose parent was restored before it takes the parent's data plus its delta; any other
        its own stored data), along that task's ancestors only; the workflow's data when there
        is no last task."""
        dct = json.loads(state)
        tasks = dct["tasks"]
        last = dct["last_task"]
        if not isinstance(last, str) or last not in tasks:
            return dict(self.registry.restore(dct.get("data", {})))
        order = {tid: i for i, tid in enumerate(tasks)}
        chain, tid = [], last
        while True:
            task = tasks[tid]
            parent = task["parent"]
            if task.get("delta") and parent is not None and order.get(parent, len(order)) < order[tid]:
                chain.append(task["delta"])
                tid = parent
                continue
            data = self.registry.restore(task["data"])
            break
        for delta in reversed(chain):
            data = DeepMerge.merge({}, data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        return dict(data)


_CODECS = {"spiff": _Codec(SPIFF_CONFIG), "camunda": _Codec(CAMUNDA_CONFIG)}


@dataclass(frozen=True)
class ReadyTask:
    id: str
    spec_name: str
    name: str
    lane: str | None
    meta: dict[str, Any]


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    spec_name: str
    due_at: datetime


def _wrap(exc: Exception) -> EngineError:
    task = getattr(exc, "task", None)
    element = getattr(getattr(task, "task_spec", None), "bpmn_id", None) if task else None
    data_input = getattr(exc, "data_input", None)
    if isinstance(exc, WorkflowDataException) and data_input is not None:
        return EngineError(tr("элемент «%(element)s»: нет входной коллекции «%(variable)s» "
                              "многоэкземплярной задачи; задайте её на предыдущих шагах или в заявлении",
                              element=element or "?", variable=data_input.bpmn_id), element)
    limit = _chained(exc, (ScriptLimitError, ScriptRejected))
    if limit is not None:  # a budget or sandbox rule stopped the code: say which, and where
        return EngineError(tr("элемент «%(element)s»: %(reason)s", element=element or "?",
                              reason=limit.args[0] if limit.args else limit), element)
    return EngineError(str(exc), element, _missing_name(exc))


def _chained(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None or isinstance(seen, kinds):
            return seen
        seen = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__
    return None


def _missing_name(exc: BaseException) -> str | None:
    """The undefined name behind a failed script or expression: SpiffWorkflow raises its own
    exception while handling the script's NameError, which stays chained to it."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, NameError):
            return seen.name
        seen = seen.__cause__ or seen.__context__
    return None


def _timer_element(task: Any, definition: TimerEventDefinition) -> str:
    """The BPMN id of the element that waits on the timer: the timer catch event behind an
    event-based gateway (the gateway holds its events in the order of its outgoing flows)."""
    spec = task.task_spec
    inner = getattr(spec.event_definition, "event_definitions", None) or []
    if definition in inner and isinstance(spec, EventBasedGateway):
        index = inner.index(definition)
        if index < len(spec.outputs):
            spec = spec.outputs[index]
    return spec.bpmn_id or spec.name


class Instance:
    """One workflow instance bound to its process bundle."""

    def __init__(self, bundle: ProcessBundle, workflow: BpmnWorkflow, engine: CaseScriptEngine,
                 history: History | None = None) -> None:
        self.bundle = bundle
        self.workflow = workflow
        self.script_engine = engine
        self.history = history or History()

    @classmethod
    def start(cls, bundle: ProcessBundle, data: dict[str, Any], functions: ScriptFunctions,
              async_operators: frozenset[str]) -> Instance:
        engine = CaseScriptEngine(functions, async_operators)
        workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine)
        workflow.data.update(data)
        start = workflow.task_tree  # the root task carries initial data to its children
        start.data.update(data)
        return cls(bundle, workflow, engine)

    @classmethod
    def restore(cls, bundle: ProcessBundle, state: str, functions: ScriptFunctions,
                async_operators: frozenset[str]) -> Instance:
        engine = CaseScriptEngine(functions, async_operators)
        workflow, history = _CODECS[bundle.dialect].loads(state, bundle)
        workflow.script_engine = engine
        return cls(bundle, workflow, engine, history)

    @staticmethod
    def stored_data(bundle: ProcessBundle, state: str) -> dict[str, Any]:
        """`Instance.restore(bundle, state, ...).data`, read from the stored state without
        restoring the workflow (what a view of the case needs)."""
        return _CODECS[bundle.dialect].data(state)

    def take_printed(self) -> list[ScriptLog]:
        """What the model's code printed since the last call (per element, bounded)."""
        return self.script_engine.environment.take_printed()

    def dump(self) -> str:
        return _CODECS[self.bundle.dialect].dumps(self.workflow, self.history)

    # --- stepping -------------------------------------------------------------------
    def run(self) -> list[ServiceCall]:
        """Run engine steps until human input or a wait; return the service calls made."""
        self.script_engine.calls = []
        limits = self.script_engine.environment.limits
        limit = limits.max_engine_tasks
        deadline = time.monotonic() + limits.max_engine_seconds
        counted = 0

        def count(task: Any) -> None:
            """A step ends with a clear error when the engine runs without bound: a cycle of
            engine tasks (no person, no wait), call activities nested too deep (a process that
            calls itself, deployed before the deploy check existed) or a step running too long."""
            nonlocal counted
            counted += 1
            element = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
            reason = None
            if counted > limit:
                reason = tr("шаг процесса прошёл больше %(limit)s элементов без участия человека "
                            "(цикл в модели?)", limit=limit)
            elif getattr(task.workflow, "depth", 0) > limits.max_call_depth:
                caller = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
                element = getattr(caller.task_spec, "bpmn_id", None) or element
                reason = tr("вызовы подпроцессов вложены глубже %(limit)s уровней (процесс вызывает "
                            "сам себя?)", limit=limits.max_call_depth)
            elif counted % 32 == 0 and time.monotonic() > deadline:
                reason = tr("шаг процесса длится дольше %(limit)s с без участия человека",
                            limit=limits.max_engine_seconds)
            if reason is not None:
                raise EngineError(tr("элемент «%(element)s»: %(reason)s", element=element,
                                     reason=reason), element)

        try:
            self.workflow.do_engine_steps(will_complete_task=count)
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _wrap(exc) from exc
        compact(self.workflow, self.history)
        sent = [ServiceCall(f"msg-{uuid4()}", "", MESSAGE_SEND,
                            {"name": m.name, "payload": m.payload, "correlation": m.correlation,
                             "thrown": True}, False)
                for m in thrown_messages(self.workflow)]
        return list(self.script_engine.calls) + sent

    def _task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, WorkflowException):
            task = None
        if task is None:
            raise TaskNotReady(task_id)
        return task

    def complete_user_task(self, task_id: str, data: dict[str, Any]) -> list[ServiceCall]:
        task = self._task(task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        task.data.update(data)
        try:
            task.run()
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _wrap(exc) from exc
        return self.run()

    def complete_service_task(self, task_id: str, result: dict[str, Any]) -> list[ServiceCall]:
        task = self._task(task_id)
        if task.state != TaskState.STARTED:
            raise TaskNotReady(task_id)
        task.data[task.task_spec.result_variable] = result
        task.complete()
        return self.run()

    def fire_due_timers(self) -> list[ServiceCall]:
        """Refresh timers (a due timer becomes ready) and run on (engine trap 2). Refreshing
        may evaluate a timer expression: its failure is the engine's error like any other."""
        try:
            self.workflow.refresh_timers()
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _wrap(exc) from exc
        return self.run()

    def deliver_message(self, task_id: str, name: str, payload: Any,
                        correlation: dict[str, Any]) -> list[ServiceCall]:
        """The waiting catch event `task_id` catches message `name`; the workflow runs on."""
        try:
            deliver(self.workflow, task_id, name, payload, correlation)
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _wrap(exc) from exc
        return self.run()

    def waiting_messages(self) -> list[WaitingMessage]:
        return waiting_messages(self.workflow)

    def migration_plan(self, bundle: ProcessBundle) -> MigrationPlan:
        """What moving this workflow to `bundle` (another version) would do."""
        return plan_migration(_CODECS[self.bundle.dialect].registry, self.workflow, bundle)[0]

    def migrate_to(self, bundle: ProcessBundle) -> MigrationPlan:
        """Move to `bundle` when the plan allows it (then `run` goes on in the new version)."""
        plan, diffs = plan_migration(_CODECS[self.bundle.dialect].registry, self.workflow, bundle)
        if plan.possible:
            try:
                migrate(self.workflow, bundle, diffs)
            except (SpiffWorkflowException, WorkflowException) as exc:
                raise _wrap(exc) from exc
            self.bundle = bundle
        return plan

    def cancel(self, result: dict[str, Any] | None = None) -> None:
        """Cancel every open task; `result` (an outcome another case decided) goes into the data."""
        last = self.workflow.last_task
        (last.data if last is not None else self.workflow.data).update(result or {})
        self.workflow.cancel()

    # --- inspection -----------------------------------------------------------------
    @property
    def completed(self) -> bool:
        return self.workflow.completed

    @property
    def data(self) -> dict[str, Any]:
        """Data of the last completed task (the case's current view), else workflow data."""
        last = self.workflow.last_task
        return dict(last.data) if last is not None else dict(self.workflow.data)

    def ready_user_tasks(self) -> list[ReadyTask]:
        tasks = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        meta = self.bundle.task_meta
        return [ReadyTask(str(t.id), t.task_spec.name, meta.get(t.task_spec.name, {}).get("name")
                          or t.task_spec.bpmn_name or t.task_spec.name, t.task_spec.lane,
                          meta.get(t.task_spec.name, {})) for t in tasks]

    def task_data(self, task_id: str) -> dict[str, Any]:
        return dict(self._task(task_id).data)

    def started_service_tasks(self) -> list[str]:
        return [str(t.id) for t in self.workflow.get_tasks(state=TaskState.STARTED)
                if hasattr(t.task_spec, "operation_name")]

    def waiting_timers(self) -> list[WaitingTimer]:
        timers = []
        for task in self.workflow.event_manager.tasks.values():
            event = task.task_spec.event_definition
            # An event-based gateway (or a multiple event) holds its timer among its events.
            definitions = [event, *(getattr(event, "event_definitions", None) or [])]
            definition = next((d for d in definitions if isinstance(d, TimerEventDefinition)), None)
            if definition is None:
                continue
            details = definition.details(task)
            if details.value is None:
                continue
            due = datetime.fromisoformat(details.value)
            due = due if due.tzinfo else due.replace(tzinfo=UTC)
            timers.append(WaitingTimer(str(task.id), _timer_element(task, definition), due.astimezone(UTC)))
        return timers

    def current_ids(self) -> list[str]:
        """BPMN ids of the steps the case is at now: ready or started tasks, waiting events."""
        states = TaskState.READY | TaskState.STARTED | TaskState.WAITING
        return list(dict.fromkeys(
            t.task_spec.bpmn_id for t in self.workflow.get_tasks(state=states)
            if getattr(t.task_spec, "bpmn_id", None)))

    def completed_path(self) -> list[str]:
        """BPMN ids of completed tasks, in order (for the process map): the part pruned from
        the tree by history compaction first, then the completed tasks still in it."""
        listed = self.history.kept
        done = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if getattr(t.task_spec, "bpmn_id", None) and str(t.id) not in listed]
        done.sort(key=lambda t: t.last_state_change)
        return self.history.path + [t.task_spec.bpmn_id for t in done]
