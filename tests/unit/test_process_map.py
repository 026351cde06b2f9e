"""The process map: shapes and flows from BPMN DI, marks for done/current steps, escaping."""

from __future__ import annotations

import re
from pathlib import Path

from server.services.cases.process_map import draw

ROOT = Path(__file__).resolve().parents[2]

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" name="Начало"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:userTask id="check" name="Проверка &lt;script&gt;alert(1)&lt;/script&gt;"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="Полный?"/>
    <bpmn:sequenceFlow id="f3" name="да" sourceRef="gw" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="p">
    <bpmndi:BPMNShape id="s1" bpmnElement="start">
      <dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="check">
      <dc:Bounds x="200" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s3" bpmnElement="gw">
      <dc:Bounds x="350" y="93" width="50" height="50"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s4" bpmnElement="end">
      <dc:Bounds x="450" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f1">
      <di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e2" bpmnElement="f2">
      <di:waypoint x="300" y="118"/><di:waypoint x="350" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e3" bpmnElement="f3">
      <di:waypoint x="400" y="118"/><di:waypoint x="450" y="118"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_shapes_flows_and_marks():
    result = draw(MODEL, ["start", "check"], ["gw"], title="Модель")
    svg = result.svg
    assert svg.startswith("<svg") and svg.count("<polyline") == 3
    assert 'class="bpmn startEvent done" data-id="start"' in svg
    assert 'class="bpmn userTask done" data-id="check"' in svg
    assert 'class="bpmn exclusiveGateway current" data-id="gw"' in svg
    assert 'class="bpmn endEvent " data-id="end"' in svg or 'class="bpmn endEvent" data-id="end"' in svg
    taken = re.findall(r'<g class="flow taken" data-id="(\w+)"', svg)
    assert taken == ["f1", "f2"]  # f3 leads to a step not reached
    assert ">да<" in svg  # flow names are drawn


def test_names_are_escaped():
    svg = draw(MODEL, [], []).svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_model_without_diagram():
    bare = re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", MODEL, flags=re.S)
    assert draw(bare, [], []).svg is None


def test_every_model_in_workflows_draws():
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        svg = draw(path.read_text(encoding="utf-8"), [], []).svg
        assert svg and svg.count("<g class=\"bpmn") > 5, path.name
