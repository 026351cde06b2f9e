"""Models drawn in other modelers (Camunda Modeler), deployed and driven through the API
unchanged: each either runs or is refused at deploy naming the element — never a 5xx, a
stuck case or a hang."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest

from tests.conftest import FIXTURES

API = "/api/v1"
CAMUNDA = FIXTURES / "camunda"


def deploy(client: Any, people: dict[str, dict[str, str]], name: str,
           headers: dict[str, str] | None = None) -> Any:
    path = CAMUNDA / name
    return client.post(f"{API}/processes", headers={**people["admin"], **(headers or {})},
                       data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def start(client: Any, people: dict[str, dict[str, str]], process_id: str,
          data: dict[str, Any] | None = None) -> Any:
    return client.post(f"{API}/cases", headers=people["registrar"],
                       json={"process_id": process_id, "data": data or {}})


def case_of(client: Any, people: dict[str, dict[str, str]], case_id: int) -> dict[str, Any]:
    r = client.get(f"{API}/cases/{case_id}", headers=people["head"])
    assert r.status_code == 200, r.json
    return r.json


# --- 1. camunda:formKey naming no file, with camunda:formData -----------------------------

def test_form_key_without_a_file_uses_the_declared_form_fields(client, people):
    assert deploy(client, people, "feature_request.bpmn").status_code == 201
    r = start(client, people, "feature_request")
    assert r.status_code == 201, r.json
    [task] = r.json["open_tasks"]
    r = client.get(f"{API}/tasks/{task['id']}", headers=people["registrar"])
    assert r.status_code == 200, r.json
    form = r.json["form"]
    assert list(form["properties"]) == ["title", "priority", "urgent"]
    assert form["properties"]["priority"] == {"type": "integer", "title": "Priority", "default": 2,
                                              "minimum": 1, "maximum": 5}
    assert form["required"] == ["title"]

    complete = f"{API}/tasks/{task['id']}/complete"
    r = client.post(complete, headers=people["registrar"], json={"data": {"priority": 9}})
    assert r.status_code == 422, r.json
    assert set(r.json["fields"]) == {"title", "priority"}
    r = client.post(complete, headers=people["registrar"], json={"data": {"title": "Dark mode"}})
    assert r.status_code == 200, r.json
    done = case_of(client, people, task["case_id"])
    assert done["status"] == "completed"
    assert (done["data"]["title"], done["data"]["priority"]) == ("Dark mode", 2)


# --- 2. recursive call activities ------------------------------------------------------------

@pytest.mark.parametrize(("model", "cycle"), [
    ("recursive_call.bpmn", "recursive_call → recursive_call"),
    ("mutual_call.bpmn", "ping_process → pong_process → ping_process"),
])
def test_recursive_call_graph_is_refused_at_deploy_naming_the_cycle(client, people, model, cycle):
    r = deploy(client, people, model)
    assert r.status_code == 422, r.json
    assert cycle in r.json["message"], r.json
    assert any(cycle in reason for reason in r.json["fields"].values()), r.json["fields"]
    assert client.get(f"{API}/processes", headers=people["admin"]).json["items"] == []



def test_a_recursive_model_stored_before_the_check_stops_at_a_depth_bound(client, people, ctx, monkeypatch):
    """A self-calling model deployed by an older server: starting it answers 422 naming the
    element and the bound within seconds, stores nothing, and another write meanwhile works."""
    from server.engine import loader

    with monkeypatch.context() as patch:
        patch.setattr(loader, "call_cycle", lambda *a, **k: None)
        assert deploy(client, people, "recursive_call.bpmn").status_code == 201
    assert deploy(client, people, "feature_request.bpmn").status_code == 201
    answers: dict[str, Any] = {}

    def other_write() -> None:
        time.sleep(0.05)
        answers["other"] = start(client, people, "feature_request").status_code

    writer = threading.Thread(target=other_write)
    began = time.monotonic()
    writer.start()
    r = start(client, people, "recursive_call")
    elapsed = time.monotonic() - began
    writer.join(30)
    assert r.status_code == 422, r.json
    assert "«Activity_call_self»" in r.json["message"] and "25" in r.json["message"], r.json
    assert elapsed < 10, elapsed
    assert answers["other"] == 201
    items = client.get(f"{API}/cases", headers=people["head"]).json["items"]
    assert [c["process_id"] for c in items] == ["feature_request"]

# --- 4. multi-instance without its input collection ------------------------------------------

@pytest.mark.parametrize("variant", ["parallel", "sequential"])
def test_multi_instance_without_its_collection_is_422_naming_element_and_variable(client, people, variant):
    assert deploy(client, people, f"mi_{variant}_missing.bpmn").status_code == 201
    r = start(client, people, f"mi_{variant}_missing")
    assert r.status_code == 422, r.json
    text = r.json["message"] + " ".join(r.json.get("fields", {}).values())
    assert "Activity_review" in text and "reviewers" in text, r.json
    assert client.get(f"{API}/cases", headers=people["head"]).json["items"] == []


# --- 3. a timer behind an event-based gateway ------------------------------------------------

def test_timer_behind_an_event_based_gateway_is_registered_and_fires(client, people, ctx):
    from server.services.background.jobs import fire_due_timers

    assert deploy(client, people, "event_gateway_timer.bpmn").status_code == 201
    r = start(client, people, "event_gateway_timer")
    assert r.status_code == 201, r.json
    case = r.json
    assert case["open_tasks"] == []
    [timer] = case["timers"]
    assert timer["spec_name"] == "Event_timeout", timer
    assert fire_due_timers(ctx) == 0  # not yet due
    time.sleep(1.2)
    assert fire_due_timers(ctx) == 1
    after = case_of(client, people, case["id"])
    assert [t["spec_name"] for t in after["open_tasks"]] == ["Activity_follow_up"]
    assert after["timers"] == []
    assert fire_due_timers(ctx) == 0  # fired once


# --- 5. lanes whose flowNodeRefs name no element -----------------------------------------------

def test_lanes_with_unknown_flow_node_refs_are_refused_naming_lane_and_refs(client, people):
    r = deploy(client, people, "lanes_mismatch.bpmn")
    assert r.status_code == 422, r.json
    fields = r.json["fields"]
    assert set(fields) == {"lanes_mismatch.bpmn#Lane_office", "lanes_mismatch.bpmn#Lane_dean"}, fields
    assert "«Офис регистратора»" in fields["lanes_mismatch.bpmn#Lane_office"]
    assert fields["lanes_mismatch.bpmn#Lane_office"].endswith("Task_check; перенесите задачи на дорожку "
                                                              "в редакторе заново")
    assert "Task_approve" in fields["lanes_mismatch.bpmn#Lane_dean"]
    assert "Event_1end" not in fields["lanes_mismatch.bpmn#Lane_dean"]
    assert client.get(f"{API}/processes", headers=people["admin"]).json["items"] == []


# --- 7. scripts written for other engines: print, datetime, timedelta, now() ---------------------

def test_print_is_a_bounded_log_line_and_dates_survive_the_stored_state(client, people):
    assert deploy(client, people, "portable_script.bpmn").status_code == 201
    r = start(client, people, "portable_script")
    assert r.status_code == 201, r.json
    case = r.json
    [log] = [e for e in case["history"] if e["kind"] == "script_log"]
    assert log["payload"]["element"] == "Activity_compute"
    lines = log["payload"]["lines"]
    assert len(lines) == 20 and log["payload"]["omitted"] == 7
    assert lines[0] == "deadline 11.09.2026"
    assert len(lines[1]) == 500 and lines[1].endswith("…")
    assert lines[2:4] == ["line 0", "line 1"]
    assert case["data"]["days"] == 10

    [task] = case["open_tasks"]  # the dates went through the stored state and back
    r = client.post(f"{API}/tasks/{task['id']}/complete", headers=people["registrar"], json={"data": {}})
    assert r.status_code == 200, r.json
    done = case_of(client, people, case["id"])
    assert done["status"] == "completed"
    logs = [e["payload"] for e in done["history"] if e["kind"] == "script_log"]
    assert logs[-1] == {"element": "Activity_after", "lines": ["due again 2026-09-11 10"]}



@pytest.mark.parametrize(("lang", "label", "omitted"), [
    ("ru", "Вывод скрипта", "… не сохранено строк: 7"),
    ("kk", "Скрипт шығысы", "… тағы 7 жол сақталмады"),
    ("en", "Script output", "… 7 more lines not kept"),
])
def test_the_case_page_shows_what_the_script_printed(app, client, people, lang, label, omitted):
    from tests.integration.web import Staff, text

    assert deploy(client, people, "portable_script.bpmn").status_code == 201
    case = start(client, people, "portable_script").json
    page = text(Staff(app, "head", lang=lang).get(f"/app/cases/{case['id']}"))
    assert f"{label} (Activity_compute) deadline 11.09.2026" in page
    assert "line 17" in page and "line 18" not in page
    assert omitted in page


# --- 8. data objects run; data stores are refused at deploy -----------------------------------------

def test_a_data_object_passes_between_steps_across_the_stored_state(client, people):
    assert deploy(client, people, "data_objects.bpmn").status_code == 201
    r = start(client, people, "data_objects")
    assert r.status_code == 201, r.json
    [task] = r.json["open_tasks"]
    view = client.get(f"{API}/tasks/{task['id']}", headers=people["registrar"]).json
    assert view["data"]["application_file"] == {"pages": 3, "checked": False}
    r = client.post(f"{API}/tasks/{task['id']}/complete", headers=people["registrar"],
                    json={"data": {"remark": "ok"}})
    assert r.status_code == 200, r.json
    done = case_of(client, people, task["case_id"])
    assert done["status"] == "completed"
    assert done["data"]["pages"] == 3


def test_a_data_store_is_refused_at_deploy_naming_the_element(client, people):
    r = deploy(client, people, "data_store.bpmn")
    assert r.status_code == 422, r.json
    assert list(r.json["fields"]) == ["data_store.bpmn#DataObjectReference_file"], r.json
    assert "dataStoreReference" in r.json["fields"]["data_store.bpmn#DataObjectReference_file"]
    assert client.get(f"{API}/processes", headers=people["admin"]).json["items"] == []


def test_link_events_are_refused_at_deploy_instead_of_a_case_waiting_on_nothing(client, people):
    """SpiffWorkflow 3.2 reads a link event as a plain one: the case would stop at the throw
    event with nothing to wait for. Refused, naming both events and the kind."""
    r = deploy(client, people, "link_events.bpmn")
    assert r.status_code == 422, r.json
    fields = r.json["fields"]
    assert set(fields) == {"link_events.bpmn#Event_go_to_page_2", "link_events.bpmn#Event_page_2"}, fields
    assert all("linkEventDefinition" in reason for reason in fields.values())
