"""A model's code cannot hang a request or a worker, nor write unbounded state, nor read the
server's secrets: scripts, conditions and timer expressions end on their budget with an error
naming the element (422 at start/complete over the API, an incident in the background), and
a refused request stores nothing."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from server.db import utcnow
from server.engine import validation
from tests.conftest import FIXTURES

API = "/api/v1"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'id="Definitions_b" targetNamespace="http://bpmn.io/schema/bpmn">\n')
SPIN = "sum(1 for a in range(10**6) for b in range(10**6))"  # 10^12 turns, each range allowed

# SQLite is enough for what the engine does; the background case (a row lock held while the
# script runs) is also run on PostgreSQL.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _process(pid: str, body: str) -> str:
    return HEAD + f'<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'


def _linear(pid: str, *elements: tuple[str, str]) -> str:
    """start -> elements (id, xml without flows) -> end."""
    ids = ["start"] + [e[0] for e in elements] + ["end"]
    parts = ['<bpmn:startEvent id="start"/>'] + [e[1] for e in elements] + ['<bpmn:endEvent id="end"/>']
    flows = [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
             for i, (a, b) in enumerate(pairwise(ids))]
    return _process(pid, "".join(parts + flows))


def _script(eid: str, code: str) -> tuple[str, str]:
    return eid, (f'<bpmn:scriptTask id="{eid}" scriptFormat="python">'
                 f'<bpmn:script>{code}</bpmn:script></bpmn:scriptTask>')


def _timer(eid: str, expression: str) -> tuple[str, str]:
    return eid, (f'<bpmn:intermediateCatchEvent id="{eid}"><bpmn:timerEventDefinition>'
                 f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration>'
                 '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def _gateway(pid: str, condition: str) -> str:
    return _process(pid, f"""
      <bpmn:startEvent id="start"/>
      <bpmn:exclusiveGateway id="gw_spin" default="f_default"/>
      <bpmn:endEvent id="end_a"/><bpmn:endEvent id="end_b"/>
      <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw_spin"/>
      <bpmn:sequenceFlow id="f_cond" sourceRef="gw_spin" targetRef="end_a">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
      </bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="f_default" sourceRef="gw_spin" targetRef="end_b"/>""")


def _deploy(client: Any, people: dict, filename: str, xml: str | bytes) -> Any:
    raw = xml.encode() if isinstance(xml, str) else xml
    return client.post(f"{API}/processes", headers=people["admin"],
                       data={"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data")


def _start(client: Any, people: dict, pid: str, data: dict | None = None) -> Any:
    return client.post(f"{API}/cases", headers=people["registrar"],
                       json={"process_id": pid, "data": data or {}})


def _cases(ctx: Any) -> int:
    from server.models import Case

    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def _approval_still_works(client: Any, people: dict) -> None:
    approval = (FIXTURES / "approval.bpmn").read_bytes()
    assert _deploy(client, people, "approval.bpmn", approval).status_code in (200, 201)
    r = _start(client, people, "Process_approval", {"amount": 5})
    assert r.status_code == 201, r.json


@SQLITE
@pytest.mark.parametrize(("pid", "xml", "element", "words"), [
    ("Spin_script", _linear("Spin_script", _script("script_spin", "n = 0\nwhile True:\n    n = n + 1")),
     "script_spin", ["шагов"]),
    ("Spin_gateway", _gateway("Spin_gateway", f"{SPIN} &gt; 0"), "gw_spin", ["шагов"]),
    ("Spin_timer", _linear("Spin_timer", _timer("timer_spin", f"'PT' + str({SPIN}) + 'S'")),
     "timer_spin", ["шагов"]),
    ("Huge_range", _linear("Huge_range", _script("script_range", "total = sum(range(10**12))")),
     "script_range", ["1000000000000"]),
    ("Huge_pow", _linear("Huge_pow", _script("script_pow", "n = 10**10**8")), "script_pow", ["бит"]),
    ("Huge_str", _linear("Huge_str", _script("script_str", "s = 'x' * 10**10")), "script_str",
     ["10000000000"]),
    ("Huge_state", _linear("Huge_state", _script("script_state", "junk = [s * 10**6 for s in ['x'] * 20]")),
     "script_state", ["REGOFFICE_SCRIPT_MAX_STATE_BYTES"]),
])
def test_runaway_code_at_start_is_422_naming_the_element_and_stores_nothing(
        client, people, ctx, pid, xml, element, words):
    assert _deploy(client, people, f"{pid}.bpmn", xml).status_code == 201
    before = _cases(ctx)
    began = time.monotonic()
    r = _start(client, people, pid)
    assert time.monotonic() - began < 30
    assert r.status_code == 422, r.json
    assert f"«{element}»" in r.json["message"], r.json
    for word in words:
        assert word in r.json["message"], r.json
    assert _cases(ctx) == before
    _approval_still_works(client, people)


def test_runaway_script_after_a_timer_becomes_an_incident(client, people, ctx):
    from server.models import AuditEvent, Case
    from server.services.background.jobs import fire_timers_for_case

    xml = _linear("Spin_later", _timer("wait", "'PT1H'"), _script("script_later", "while True:\n    pass"))
    assert _deploy(client, people, "Spin_later.bpmn", xml).status_code == 201
    r = _start(client, people, "Spin_later")
    assert r.status_code == 201, r.json
    case_id = r.json["id"]
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=False):
        began = time.monotonic()
        assert fire_timers_for_case(ctx, case_id) == 0
        assert time.monotonic() - began < 30
    with ctx.db.read() as session:
        assert session.get(Case, case_id).status == "error"
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                           AuditEvent.kind == "incident")).all()
        assert "«script_later»" in event.payload["error"] and "шагов" in event.payload["error"], event.payload
    _approval_still_works(client, people)


ISSUE_MODEL = _linear("Leak", _script("script_leak", "leak = '{0.__self__.settings}'.format(working_days)"))


@SQLITE
def test_the_issues_leaking_model_is_refused_at_deploy_and_stores_nothing(client, people, ctx):
    from server.models import ProcessDefinition

    r = _deploy(client, people, "leak.bpmn", ISSUE_MODEL)
    assert r.status_code == 422, r.json
    assert "format" in r.json["fields"]["leak.bpmn#script_leak"]
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


@SQLITE
def test_a_leaking_model_stored_before_the_check_is_stopped_at_run_time(client, people, ctx, monkeypatch):
    """A model deployed by an older server (no format rule): its script is checked again when
    it runs, so the case is refused and nothing of the settings reaches anyone."""
    with monkeypatch.context() as patch:
        patch.setattr(validation, "check_code", lambda *a, **k: None)
        assert _deploy(client, people, "leak.bpmn", ISSUE_MODEL).status_code == 201
    before = _cases(ctx)
    r = _start(client, people, "Leak")
    assert r.status_code == 422, r.json
    assert "«script_leak»" in r.json["message"] and "format" in r.json["message"], r.json
    assert ctx.settings.secret_key not in r.get_data(as_text=True)
    assert _cases(ctx) == before


@SQLITE
def test_runaway_script_at_a_completion_is_422_and_the_task_stays_open(client, people, ctx):
    """The approval model with its script (after the third task) replaced by a loop: the
    third completion is refused naming the script, and the task and the case stay as they were."""
    xml = (FIXTURES / "approval.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('total = amount * 2\nstatus = "approved"', "while True:\n    pass")
    assert "while True" in xml
    assert _deploy(client, people, "approval.bpmn", xml).status_code == 201
    r = _start(client, people, "Process_approval", {"amount": 5})
    assert r.status_code == 201, r.json
    case_id = r.json["id"]
    for n, data in enumerate([{"approved": True}, {"manager_note": "ок"}, {"finance_ok": True}]):
        case = client.get(f"{API}/cases/{case_id}", headers=people["registrar"]).json
        [task] = case["open_tasks"]
        done = client.post(f"{API}/tasks/{task['id']}/complete", headers=people["registrar"],
                           json={"data": data})
        if n < 2:
            assert done.status_code == 200, done.json
    assert done.status_code == 422, done.json
    assert "«script_compute»" in done.json["message"] and "шагов" in done.json["message"], done.json
    after = client.get(f"{API}/cases/{case_id}", headers=people["registrar"]).json
    assert [t["id"] for t in after["open_tasks"]] == [task["id"]]
    assert after["status"] == "in_progress"


@SQLITE
def test_the_budget_error_is_translated(client, people):
    xml = _linear("Spin_en", _script("script_spin", "while True:\n    pass"))
    assert _deploy(client, people, "Spin_en.bpmn", xml).status_code == 201
    r = client.post(f"{API}/cases", headers={**people["registrar"], "Accept-Language": "en"},
                    json={"process_id": "Spin_en", "data": {}})
    assert r.status_code == 422, r.json
    assert "element «script_spin»: the model's code went over the limit of" in r.json["message"], r.json


@SQLITE
def test_a_cycle_of_engine_tasks_ends_with_an_error_naming_the_element(client, people, ctx):
    """Each turn is cheap and within budget; the cycle itself has no end (no person, no wait)."""
    xml = _process("Cycle", """
      <bpmn:startEvent id="start"/>
      <bpmn:scriptTask id="s_turn" scriptFormat="python"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
      <bpmn:exclusiveGateway id="gw_again" default="f_back"/>
      <bpmn:endEvent id="end"/>
      <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="s_turn"/>
      <bpmn:sequenceFlow id="f2" sourceRef="s_turn" targetRef="gw_again"/>
      <bpmn:sequenceFlow id="f_back" sourceRef="gw_again" targetRef="s_turn"/>
      <bpmn:sequenceFlow id="f_out" sourceRef="gw_again" targetRef="end">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x == 2</bpmn:conditionExpression>
      </bpmn:sequenceFlow>""")
    assert _deploy(client, people, "Cycle.bpmn", xml).status_code == 201
    before = _cases(ctx)
    began = time.monotonic()
    r = _start(client, people, "Cycle")
    assert time.monotonic() - began < 60
    assert r.status_code == 422, r.json
    assert "без участия человека" in r.json["message"] and "1000" in r.json["message"], r.json
    assert "«s_turn»" in r.json["message"] or "«gw_again»" in r.json["message"], r.json
    assert _cases(ctx) == before
