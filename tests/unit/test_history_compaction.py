"""History compaction (server/engine/compaction.py) on looping models: after hundreds of
passes the stored state stays small, the case still runs and completes correctly, the data
the scripts count is right and `completed_path()` lists the whole path taken.

Every step goes through a save and restore, as on the server."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from bench.history_growth import LOOP
from server.engine import Instance, TaskNotReady, compaction, compile_model, load_bundle
from server.engine.loader import ProcessBundle
from server.engine.runtime import HISTORY_KEY
from server.engine.scripting import ScriptFunctions

PASSES = 200
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d_{pid}" targetNamespace="test">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"/>
"""
# count_up → back to `again` while count < limit, else the end.
_TAIL = """    <bpmn:sequenceFlow id="f_up" sourceRef="count_up" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="f_end"/>
    <bpmn:sequenceFlow id="f_again" sourceRef="more" targetRef="{again}">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">count &lt; limit</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_end" sourceRef="more" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
# Two user tasks in parallel, each followed by a script marking its branch, joined, counted,
# and back to the split until `count` reaches `limit`. The marks are new variables deleted after
# the join: SpiffWorkflow 3.2's join keeps the last branch's value of a variable that existed
# before the split, so `a_count = a_count + 1` in a branch would be lost (with or without
# compaction).
PARALLEL_LOOP = _HEAD.format(pid="parallel_loop") + """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init"><bpmn:script>count = 0
a_count = 0
b_count = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="task_a"/>
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="task_b"/>
    <bpmn:userTask id="task_a"/>
    <bpmn:userTask id="task_b"/>
    <bpmn:sequenceFlow id="f5" sourceRef="task_a" targetRef="count_a"/>
    <bpmn:sequenceFlow id="f6" sourceRef="task_b" targetRef="count_b"/>
    <bpmn:scriptTask id="count_a"><bpmn:script>a_step = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="count_b"><bpmn:script>b_step = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f7" sourceRef="count_a" targetRef="join"/>
    <bpmn:sequenceFlow id="f8" sourceRef="count_b" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="count_up"/>
    <bpmn:scriptTask id="count_up"><bpmn:script>count = count + 1
a_count = a_count + a_step
b_count = b_count + b_step
del a_step
del b_step</bpmn:script></bpmn:scriptTask>
""" + _TAIL.format(again="split")
# A user task with an interrupting boundary timer inside the loop: either the task is done
# (counted by `done`) or the timer fires (counted by `timeouts`); both paths count a pass.
TIMER_LOOP = _HEAD.format(pid="timer_loop") + """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init"><bpmn:script>count = 0
done = 0
timeouts = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="step"/>
    <bpmn:userTask id="step"/>
    <bpmn:boundaryEvent id="deadline" attachedToRef="step" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="step" targetRef="count_done"/>
    <bpmn:sequenceFlow id="f4" sourceRef="deadline" targetRef="count_timeout"/>
    <bpmn:scriptTask id="count_done"><bpmn:script>done = done + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="count_timeout"><bpmn:script>timeouts = timeouts + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f5" sourceRef="count_done" targetRef="count_up"/>
    <bpmn:sequenceFlow id="f6" sourceRef="count_timeout" targetRef="count_up"/>
    <bpmn:scriptTask id="count_up"><bpmn:script>count = count + 1</bpmn:script></bpmn:scriptTask>
""" + _TAIL.format(again="step")

# A user task and an embedded subprocess (a script counting inside it) in the loop: each pass
# leaves a completed subprocess behind, which compaction drops with its parent task.
SUBPROCESS_LOOP = _HEAD.format(pid="subprocess_loop") + """
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init"><bpmn:script>count = 0
inner = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="step"/>
    <bpmn:userTask id="step"/>
    <bpmn:sequenceFlow id="f3" sourceRef="step" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="sub_start"/>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sub_count"/>
      <bpmn:scriptTask id="sub_count"><bpmn:script>inner = inner + 1</bpmn:script></bpmn:scriptTask>
      <bpmn:sequenceFlow id="s2" sourceRef="sub_count" targetRef="sub_end"/>
      <bpmn:endEvent id="sub_end"/>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f4" sourceRef="sub" targetRef="count_up"/>
    <bpmn:scriptTask id="count_up"><bpmn:script>count = count + 1</bpmn:script></bpmn:scriptTask>
""" + _TAIL.format(again="step")


def _bundle(xml: str, pid: str) -> ProcessBundle:
    model = compile_model(f"{pid}.bpmn", xml)
    return load_bundle(0, pid, model.dialect, model.bundles[pid], model.task_meta[pid], model.hashes[pid])


class Case:
    """A case stepped as the server does: restore, act, run, dump."""

    def __init__(self, xml: str, pid: str, data: dict[str, Any]) -> None:
        self.bundle = _bundle(xml, pid)
        instance = Instance.start(self.bundle, data, ScriptFunctions(), frozenset())
        instance.run()
        self.state = instance.dump()

    def restore(self) -> Instance:
        return Instance.restore(self.bundle, self.state, ScriptFunctions(), frozenset())

    def complete(self, spec_name: str | None = None) -> Instance:
        instance = self.restore()
        ready = [t for t in instance.ready_user_tasks() if spec_name in (None, t.spec_name)]
        assert ready, f"no ready task {spec_name or ''} (ready: {instance.ready_user_tasks()})"
        instance.complete_user_task(ready[0].id, {})
        self.state = instance.dump()
        return instance

    def fire_timers(self) -> Instance:
        instance = self.restore()
        instance.fire_due_timers()
        self.state = instance.dump()
        return instance


def _stored_tasks(state: str) -> int:
    return len(json.loads(state)["tasks"])


def _assert_flat(sizes: list[tuple[int, int]], start: int = 40) -> None:
    """(tasks, bytes) of the stored state after each pass stay flat once compaction runs (from
    `start` on, past the threshold; the completed case, last, has a tree of its own)."""
    tasks, state_bytes = zip(*sizes[start:-1], strict=True)
    assert max(tasks) <= 40 and max(tasks) - min(tasks) <= 5
    assert max(state_bytes) <= min(state_bytes) * 1.2


def _state_at(xml: str, pid: str, passes: int) -> str:
    case = Case(xml, pid, {"limit": passes + 1})
    for _ in range(passes):
        case.complete()
    return case.state


def test_simple_loop_stays_small_and_completes() -> None:
    case = Case(LOOP, "bench_loop", {"limit": PASSES})
    sizes, compacted = [], []
    for done in range(PASSES):
        instance = case.complete("step")
        sizes.append((_stored_tasks(case.state), len(case.state)))
        compacted.append(HISTORY_KEY in json.loads(case.state))
        if done + 1 < PASSES:
            assert instance.data["count"] == done + 1
    # Untouched below the threshold (100 completed tasks, ~33 passes); flat after it, and
    # smaller than the state of an early, never compacted case.
    assert not any(compacted[:30]) and all(compacted[40:])
    _assert_flat(sizes)
    assert sizes[-2][1] < sizes[4][1]
    assert instance.completed and instance.data["count"] == PASSES
    path = instance.completed_path()
    assert path == ["start", "init", *["step", "count_up", "more"] * PASSES, "end"]


def test_loop_past_engine_depth_limit_keeps_running() -> None:
    """Without compaction SpiffWorkflow's tree iterator (max_depth=1000) stops finding the
    ready task after ~333 passes of a three-task loop and the case stalls."""
    case = Case(LOOP, "bench_loop", {"limit": 400})
    for _ in range(400):
        instance = case.complete("step")
    assert instance.completed and instance.data["count"] == 400
    assert len(instance.completed_path()) == 2 + 3 * 400 + 1


def test_a_pruned_task_is_refused_as_not_ready() -> None:
    """A second submission of a long-done step (its task pruned) is refused like any done task."""
    case = Case(LOOP, "bench_loop", {"limit": 100})
    first = case.restore().ready_user_tasks()[0].id
    for _ in range(60):
        case.complete("step")
    instance = case.restore()
    assert instance.history.pruned > 0
    with pytest.raises(TaskNotReady):
        instance.complete_user_task(first, {})


def test_threshold_leaves_ordinary_cases_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compaction, "COMPACT_AFTER", 10_000)
    state = _state_at(LOOP, "bench_loop", 60)
    assert HISTORY_KEY not in json.loads(state)
    assert _stored_tasks(state) > 180


def _parallel_pass(case: Case, done: int) -> Instance:
    """One pass of PARALLEL_LOOP; alternate which branch finishes first (the join must wait)."""
    first, second = ("task_a", "task_b") if done % 2 else ("task_b", "task_a")
    instance = case.complete(first)
    assert [t.spec_name for t in instance.ready_user_tasks()] == [second]
    assert instance.data["count"] == done
    return case.complete(second)


def test_engine_join_fires_early_on_stale_loop_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why compaction also fixes a parallel join in a loop: SpiffWorkflow 3.2's ParallelGateway
    counts an input as arrived when *any* join task of its spec outside its own ancestry has a
    completed parent, including the cancelled join task of the previous pass. When the other
    branch finishes first in the second pass, the join fires before both branches are done."""
    monkeypatch.setattr(compaction, "COMPACT_AFTER", 10_000)
    case = Case(PARALLEL_LOOP, "parallel_loop", {"limit": 5})
    _parallel_pass(case, 0)
    instance = case.complete("task_a")
    assert sorted(t.spec_name for t in instance.ready_user_tasks()) == ["task_a", "task_b", "task_b"]


def test_parallel_gateway_in_a_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compaction, "COMPACT_AFTER", 0)  # compacted from the first step
    case = Case(PARALLEL_LOOP, "parallel_loop", {"limit": PASSES})
    sizes = []
    for done in range(PASSES):
        instance = _parallel_pass(case, done)
        sizes.append((_stored_tasks(case.state), len(case.state)))
    assert instance.completed
    assert (instance.data["count"], instance.data["a_count"], instance.data["b_count"]) == (PASSES,) * 3
    _assert_flat(sizes)
    path = instance.completed_path()
    for element in ("task_a", "task_b", "count_a", "count_b", "join", "count_up", "more"):
        assert path.count(element) == PASSES, element
    assert path[:3] == ["start", "init", "split"] and path[-1] == "end"


def test_boundary_timer_in_a_loop() -> None:
    sizes = []
    with time_machine.travel("2026-10-01 09:00Z", tick=False) as clock:
        case = Case(TIMER_LOOP, "timer_loop", {"limit": PASSES})
        for done in range(PASSES):
            instance = case.restore()
            assert len(instance.waiting_timers()) == 1
            if done % 3 == 0:
                clock.shift(timedelta(days=2))
                instance = case.fire_timers()
            else:
                instance = case.complete("step")
            clock.shift(timedelta(minutes=1))
            sizes.append((_stored_tasks(case.state), len(case.state)))
            if not instance.completed:
                assert instance.data["count"] == done + 1
    timeouts = len(range(0, PASSES, 3))
    assert instance.completed
    assert (instance.data["done"], instance.data["timeouts"]) == (PASSES - timeouts, timeouts)
    _assert_flat(sizes)
    path = instance.completed_path()
    assert path.count("deadline") == path.count("count_timeout") == timeouts
    assert path.count("count_done") == PASSES - timeouts
    assert path.count("count_up") == PASSES


def test_subprocess_in_a_loop() -> None:
    case = Case(SUBPROCESS_LOOP, "subprocess_loop", {"limit": PASSES})
    sizes = []
    for _ in range(PASSES):
        instance = case.complete("step")
        sizes.append((_stored_tasks(case.state), len(case.state)))
    _assert_flat(sizes)
    # Only the subprocess of the nearest pass stays (kept above the cut), not one per pass.
    assert len(json.loads(case.state)["subprocesses"]) <= 2
    assert instance.completed and (instance.data["count"], instance.data["inner"]) == (PASSES, PASSES)
    path = instance.completed_path()
    assert path.count("sub") == path.count("step") == PASSES
