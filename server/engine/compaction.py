"""History compaction: keep a looping case's task tree (and so its state) small.

SpiffWorkflow 3.2 never drops a finished task: every pass through a loop hangs below the
previous one, so the stored state, its restore and serialization and every whole-tree scan
of the engine (`get_tasks` in `do_engine_steps`, the joins' scans) grow with the number of
steps taken. Worse, the engine's tree iterator stops descending at depth 1000
(`TaskIterator(max_depth=1000)`): after 333 passes through a three-task loop the ready task
is no longer found and the case silently stops.

What the engine can still need is derived from the *live* tasks:

- the anchors are every task that is not COMPLETED or CANCELLED (ready, started, waiting,
  predicted, in error), the workflow's `last_task` (`Instance.data` and a subprocess's result
  read it) and the parent of each anchor (a task that becomes ready copies its parent's data;
  a join reads the parents of its sibling branches);
- the cut is the lowest common ancestor of the anchors. The ready and waiting tasks, the
  branches a parallel, inclusive or boundary join still inspects, an active subprocess, call
  activity or multi-instance task with its children, an event-based gateway with its waiting
  events: all of it lies in the cut's subtree, which is kept whole;
- above the cut only what an ancestor climb can find is kept: the root (the process's start
  task) and the nearest ancestor of each task spec (see `_nearest_of_each_spec`), linked as a
  line. Every other finished task goes: the earlier passes of a loop, the finished branches
  hanging off the line (cancelled join branches of earlier passes, cancelled boundary events,
  finished multi-instance children) and the subprocesses of removed call activities.

So a climb from a live task meets the same first task of any given spec as before, and the
kept tasks keep their data and their ancestor relations. What changes: whole-tree scans no
longer see removed tasks. For a parallel join that is a fix (it counted the cancelled join of
an earlier pass as an arrived input, see tests/unit/test_history_compaction.py); an inclusive
join inside a loop, which SpiffWorkflow 3.2 evaluates against the topmost pass it finds, then
sees the latest kept pass instead.

The BPMN ids of the completed tasks compacted away (and of those kept above the cut) are
appended, in completion order, to a compressed path stored beside the state (`History`), so
`completed_path()` and the process map still show the whole path taken. The audit trail lives
in the database and is not affected.

Only the top-level process is compacted; a loop inside an active subprocess keeps its history
until the subprocess completes (then its tree goes as a whole with its parent task).
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

# A case is left alone until its top-level tree holds this many completed tasks: ordinary
# registrar cases never reach it (the round-trip walks of the registrar models, a return for
# correction included, peak at 48).
COMPACT_AFTER = 100
_DONE = TaskState.COMPLETED | TaskState.CANCELLED


@dataclass
class History:
    """BPMN ids of the completed tasks compacted out of the tree's live part, in completion order.

    `kept` are the ids of the compacted tasks still in the tree (the chain of earlier tasks kept
    for the joins, see `compact`): they are listed here already, not again from the tree. The
    path is stored zlib-compressed: a loop repeats the same few ids, so hundreds of passes take a
    few dozen bytes instead of ~400 bytes of task JSON per task."""

    pruned: int = 0
    packed: str = ""
    kept: set[str] = field(default_factory=set)
    _path: list[str] | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, dct: dict[str, Any] | None) -> History:
        if not dct:
            return cls()
        return cls(pruned=int(dct.get("pruned", 0)), packed=str(dct.get("path", "")),
                   kept=set(dct.get("kept", [])))

    def to_dict(self) -> dict[str, Any] | None:
        if not self.pruned:
            return None
        if self._path is not None:
            raw = "\n".join(self._path).encode()
            self.packed = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
        return {"pruned": self.pruned, "path": self.packed, "kept": sorted(self.kept)}

    @property
    def path(self) -> list[str]:
        if self._path is None:
            raw = zlib.decompress(base64.b64decode(self.packed)).decode() if self.packed else ""
            self._path = raw.split("\n") if raw else []
        return self._path

    def record(self, tasks: list[Task], kept: list[Task]) -> None:
        """Append the completed tasks among `tasks` (removed) and `kept` not listed before."""
        new = [t for t in tasks + kept if t.state == TaskState.COMPLETED and str(t.id) not in self.kept]
        new.sort(key=lambda t: t.last_state_change)
        self.path.extend(t.task_spec.bpmn_id for t in new if getattr(t.task_spec, "bpmn_id", None))
        self.pruned += len(tasks)
        self.kept = {str(t.id) for t in kept}


def compact(workflow: BpmnWorkflow, history: History, threshold: int | None = None) -> int:
    """Prune the finished history of the top-level process; return how many tasks were removed.

    Does nothing below `threshold` completed tasks unless the case was compacted before (then it
    is compacted after every step, which keeps the cost of a step flat), nor while the engine is
    mid-run (an automatic task is ready) or after the workflow has completed."""
    if workflow.completed:
        return 0
    threshold = COMPACT_AFTER if threshold is None else threshold
    tasks = workflow.tasks
    if not history.pruned and sum(t.state == TaskState.COMPLETED for t in tasks.values()) <= threshold:
        return 0
    if any(t.state == TaskState.READY and not t.task_spec.manual for t in tasks.values()):
        return 0
    cut = _cut(workflow)
    if cut is None:
        return 0
    root, chain, lca = cut
    keep = {t.id for t in _subtree(lca)} | {t.id for t in chain}
    removed = [t for t in _subtree(root) if t.id not in keep]
    if not removed:
        return 0
    _detach(workflow, [*chain, lca], removed)
    history.record(removed, chain[1:])
    return len(removed)


def _cut(workflow: BpmnWorkflow) -> tuple[Task, list[Task], Task] | None:
    """(the root, the chain kept above the cut starting with the root, the cut) or None."""
    anchors = [t for t in workflow.tasks.values() if not t.has_state(_DONE)]
    if workflow.last_task is not None and workflow.last_task.workflow is workflow:
        anchors.append(workflow.last_task)
    anchors += [t.parent for t in anchors if t.parent is not None]
    if not anchors:
        return None
    lca = _lowest_common_ancestor(anchors)
    chain = _ancestors(lca)[:-1]  # root first
    if not chain:
        return None  # the cut is the root (the process's start task)
    return chain[0], [chain[0], *_nearest_of_each_spec(chain[1:])], lca


def _nearest_of_each_spec(chain: list[Task]) -> list[Task]:
    """Of a root-first chain of ancestors, the nearest task of each spec, root first.

    A parallel gateway decides whether its inputs have arrived by climbing from its predicted
    descendants through *all* its ancestors until it meets a task of each input's spec: the
    gateway that opens a loop (inputs: the task before the loop and the loop's back edge) finds
    the task before the loop at the very top of the tree. A boundary join finds its split as the
    nearest ancestor of that spec. Keeping the nearest ancestor of every spec keeps both answers
    while bounding what is kept by the size of the model, not the length of the history."""
    seen: set[str] = set()
    kept = []
    for task in reversed(chain):
        if task.task_spec.name not in seen:
            seen.add(task.task_spec.name)
            kept.append(task)
    kept.reverse()
    return kept


def _ancestors(task: Task) -> list[Task]:
    """The task's ancestors and the task itself, root first."""
    chain = []
    node: Task | None = task
    while node is not None:
        chain.append(node)
        node = node.parent
    chain.reverse()
    return chain


def _lowest_common_ancestor(tasks: list[Task]) -> Task:
    common = _ancestors(tasks[0])
    for task in tasks[1:]:
        chain = _ancestors(task)
        depth = 0
        while depth < min(len(common), len(chain)) and common[depth] is chain[depth]:
            depth += 1
        common = common[:depth]
    return common[-1]


def _subtree(task: Task) -> list[Task]:
    """The task and all its descendants in its own workflow (no depth limit, unlike TaskIterator)."""
    found, stack = [], [task]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


def _detach(workflow: BpmnWorkflow, chain: list[Task], removed: list[Task]) -> None:
    """Remove `removed` from the workflow and link `chain` (root first, the cut last) as a line."""
    for task in removed:
        if task.id in workflow.subprocesses:  # a finished subprocess or call activity
            workflow.delete_subprocess(task)
    for task in removed:
        workflow.event_manager.remove_task(task)
        del workflow.tasks[task.id]
    for parent, child in pairwise(chain):
        parent._children = [child.id]
        child._parent = parent.id
