"""The engine's bounds on one step, on real SpiffWorkflow without a database: call
activities nested too deep (a self-calling model stored before the deploy check) and a step
running too long end with an error naming the element, quickly; bare ISO 8601 timers read
as literals."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from server.engine import (
    EngineError,
    Instance,
    ScriptFunctions,
    ScriptLimits,
    compile_model,
    load_bundle,
    loader,
)

CAMUNDA = Path(__file__).resolve().parents[1] / "fixtures" / "camunda"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="D" targetNamespace="x">')
# start -> count -> gateway: back to count while n < 10**6, else end (no person, no wait)
SPIN = HEAD + '''<bpmn:process id="Spin" isExecutable="true"><bpmn:startEvent id="start"/>
  <bpmn:scriptTask id="count"><bpmn:script>n = n + 1 if n else 1</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="again" default="f_end"/><bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="count"/>
  <bpmn:sequenceFlow id="f1" sourceRef="count" targetRef="again"/>
  <bpmn:sequenceFlow id="f_back" sourceRef="again" targetRef="count">
    <bpmn:conditionExpression>n &lt; 1000000</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_end" sourceRef="again" targetRef="end"/></bpmn:process></bpmn:definitions>'''


def _bundle(filename: str, text: str, monkeypatch: pytest.MonkeyPatch | None = None):  # type: ignore[no-untyped-def]
    if monkeypatch is not None:
        monkeypatch.setattr(loader, "call_cycle", lambda *a, **k: None)
    model = compile_model(filename, text)
    pid = model.ids[0]
    return load_bundle(0, pid, model.dialect, model.bundles[pid], model.task_meta[pid], model.hashes[pid])


def test_call_depth_bound_names_the_call_activity(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _bundle("recursive_call.bpmn", (CAMUNDA / "recursive_call.bpmn").read_text(), monkeypatch)
    instance = Instance.start(bundle, {}, ScriptFunctions(limits=ScriptLimits(max_call_depth=5)), frozenset())
    began = time.monotonic()
    with pytest.raises(EngineError) as caught:
        instance.run()
    assert time.monotonic() - began < 2
    assert caught.value.element == "Activity_call_self"
    assert "глубже 5 уровней" in str(caught.value)


def test_a_step_past_its_seconds_ends_naming_the_element() -> None:
    bundle = _bundle("spin.bpmn", SPIN.replace("n + 1 if n else 1", "n + 1"))
    limits = ScriptLimits(max_engine_tasks=10**7, max_engine_seconds=0.2)
    instance = Instance.start(bundle, {"n": 0}, ScriptFunctions(limits=limits), frozenset())
    began = time.monotonic()
    with pytest.raises(EngineError) as caught:
        instance.run()
    assert time.monotonic() - began < 3
    assert caught.value.element in ("count", "again", "start")
    assert "дольше 0.2 с" in str(caught.value)


@pytest.mark.parametrize("bare", ["PT1S", "P3D", "2026-09-01T09:00:00+05:00", "R3/PT1H"])
def test_bare_iso_timers_read_as_literals(bare: str) -> None:
    text = (CAMUNDA / "event_gateway_timer.bpmn").read_text().replace(">PT1S<", f">{bare}<")
    bundle = _bundle("event_gateway_timer.bpmn", text)
    gateway = bundle.spec.task_specs["Gateway_wait"]
    timers = [d for d in gateway.event_definition.event_definitions if getattr(d, "expression", None)]
    assert [t.expression for t in timers] == [repr(bare)]
