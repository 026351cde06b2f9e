"""Moving a running workflow to another version of its process (SpiffWorkflow's spec diff).

Tasks are aligned by element id. A workflow can move when every task it is at (ready,
started or waiting, in the process and in its subprocesses) exists in the new version; its
waiting branches are then predicted again from the new model. A waiting timer keeps its due
time and a waiting message catch what it caught: their internal data survives the move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.task import TaskState

from server.engine.loader import ProcessBundle

_AT = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass
class MigrationPlan:
    """What moving a workflow to `bundle` would do."""

    at: list[str] = field(default_factory=list)  # element ids the workflow is at now
    missing: list[str] = field(default_factory=list)  # of those, the ones the new version lacks
    removed_subprocesses: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.missing and not self.removed_subprocesses


def _bpmn_id(task: Any) -> str | None:
    return getattr(task.task_spec, "bpmn_id", None)


def plan_migration(registry: Any, workflow: Any, bundle: ProcessBundle) -> tuple[MigrationPlan, Any]:
    """The plan, and the diffs `migrate` needs (`registry`: the dialect's serializer registry)."""
    top, subs = diff_workflow(registry, workflow, bundle.spec, bundle.subprocess_specs)
    plan = MigrationPlan()
    for task in workflow.get_tasks(state=_AT):
        if (element := _bpmn_id(task)) and element not in plan.at:
            plan.at.append(element)
    for sp_id, diff in subs.items():
        sp = workflow.subprocesses[sp_id]
        if diff is None and not sp.completed:
            plan.removed_subprocesses.append(sp.spec.name)
    # By element id, as the office sees it: SpiffWorkflow's diff would also pair a removed
    # step with a new one by its place in the flow.
    for task in workflow.get_tasks(state=_AT):
        element = _bpmn_id(task)
        spec = bundle.spec if task.workflow is workflow else \
            bundle.subprocess_specs.get(task.workflow.spec.name)
        if element and (spec is None or task.task_spec.name not in spec.task_specs) \
                and element not in plan.missing:
            plan.missing.append(element)
    return plan, (top, subs)


def migrate(workflow: Any, bundle: ProcessBundle, diffs: Any) -> None:
    """Move `workflow` to `bundle` (a plan that was `possible`)."""
    top, subs = diffs
    kept = {t.id: dict(t.internal_data) for t in workflow.get_tasks(state=TaskState.WAITING)}
    for sp_id, diff in subs.items():
        if diff is not None:
            sp = workflow.subprocesses[sp_id]
            migrate_workflow(diff, sp, bundle.subprocess_specs[sp.spec.name])
    migrate_workflow(top, workflow, bundle.spec)
    workflow.subprocess_specs = bundle.subprocess_specs
    for task_id, internal in kept.items():
        task = workflow.get_task_from_id(task_id)
        if task is not None and task.state == TaskState.WAITING and internal:
            task.internal_data.update(internal)
