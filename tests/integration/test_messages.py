"""BPMN messages delivered through `POST /api/v1/messages` and between cases: an intermediate
catch (the ENIC decision in a recognition case, by application number), a boundary event
(the accounting system confirming a contract payment), a receive task (the State
Corporation's status), a message start event (the migration service's confirmation), a
two-pool collaboration run as linked cases; one delivery per idempotency key; 404 when
nothing waits, 409 when several cases do."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES

API = "/api/v1"
MODELS = FIXTURES / "messages"


def deploy(client: Any, headers: dict, name: str) -> None:
    path = MODELS / name
    r = client.post(f"{API}/processes", headers=headers,
                    data={"file": (io.BytesIO(path.read_bytes()), path.name)},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json


def start(client: Any, headers: dict, process_id: str, **data: Any) -> dict[str, Any]:
    r = client.post(f"{API}/cases", headers=headers, json={"process_id": process_id, "data": data})
    assert r.status_code == 201, r.json
    return r.json


def view(client: Any, headers: dict, case_id: int) -> dict[str, Any]:
    r = client.get(f"{API}/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def send(client: Any, headers: dict, name: str, key: str, **body: Any):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/messages", headers=headers,
                       json={"name": name, "idempotency_key": key, **body})


def tasks_of(case: dict[str, Any]) -> list[str]:
    return [t["spec_name"] for t in case["open_tasks"]]


def history(case: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [h["payload"] for h in case["history"] if h["kind"] == kind]


def deliveries(ctx: Any) -> int:
    from server.models import MessageDelivery

    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(MessageDelivery))


@pytest.fixture
def enic(client, people) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """Two recognition cases waiting for the ENIC decision, R-1 and R-2."""
    deploy(client, people["admin"], "msg_recognition.bpmn")
    first = start(client, people["registrar"], "msg_recognition", application_no="R-1")
    second = start(client, people["registrar"], "msg_recognition", application_no="R-2")
    assert tasks_of(first) == tasks_of(second) == []
    return first, second


def test_enic_decision_reaches_its_case_by_application_number(client, people, ctx, enic):
    first, second = enic
    r = send(client, people["intl"], "enic_decision", "enic-2026-0042",
             payload={"application_no": "R-2", "enic_result": "recognised"})
    assert r.status_code == 201, r.json
    assert (r.json["outcome"], r.json["case_id"], r.json["element"], r.json["duplicate"]) == \
        ("delivered", second["id"], "wait_enic", False)
    after = view(client, people["registrar"], second["id"])
    assert tasks_of(after) == ["record_decision"]
    assert after["data"]["enic_result"] == "recognised"
    [received] = history(after, "message_received")
    assert (received["name"], received["element"], received["correlation"]) == \
        ("enic_decision", "wait_enic", {"application_no": "R-2"})
    assert tasks_of(view(client, people["registrar"], first["id"])) == []  # R-1 still waits

    # The same message again (a retry of the ENIC's system): the first result, nothing delivered twice.
    again = send(client, people["intl"], "enic_decision", "enic-2026-0042",
                 payload={"application_no": "R-2", "enic_result": "refused"})
    assert again.status_code == 200, again.json
    assert {**again.json, "duplicate": False} == r.json and again.json["duplicate"] is True
    after = view(client, people["registrar"], second["id"])
    assert len(history(after, "message_received")) == 1 and after["data"]["enic_result"] == "recognised"
    assert deliveries(ctx) == 1


def test_several_waiting_cases_answer_409_naming_the_message(client, people, ctx, enic):
    r = send(client, people["intl"], "enic_decision", "k-1", payload={"enic_result": "recognised"})
    assert r.status_code == 409, r.json
    assert "enic_decision" in r.json["message"] and str(enic[0]["id"]) in r.json["message"]
    en = client.post(f"{API}/messages", headers={**people["intl"], "Accept-Language": "en"},
                     json={"name": "enic_decision", "idempotency_key": "k-1"})
    kk = client.post(f"{API}/messages", headers={**people["intl"], "Accept-Language": "kk"},
                     json={"name": "enic_decision", "idempotency_key": "k-1"})
    assert en.status_code == kk.status_code == 409
    assert "enic_decision" in en.json["message"] and "several cases" in en.json["message"].lower()
    assert "enic_decision" in kk.json["message"] and "ждут" not in kk.json["message"]
    assert deliveries(ctx) == 0  # refused: nothing stored, the key may be used again
    assert send(client, people["intl"], "enic_decision", "k-1",
                payload={"application_no": "R-1"}).status_code == 201


def test_nothing_waiting_answers_404_naming_the_message(client, people, ctx, enic):
    r = send(client, people["intl"], "enic_decision", "k-2", payload={"application_no": "R-9"})
    assert r.status_code == 404, r.json
    assert "enic_decision" in r.json["message"] and r.json["fields"]["name"]
    en = client.post(f"{API}/messages", headers={**people["intl"], "Accept-Language": "en"},
                     json={"name": "no_such_message", "idempotency_key": "k-3"})
    assert en.status_code == 404 and "no_such_message" in en.json["message"]
    assert "no case waits" in en.json["message"].lower()
    # a case that exists but waits for nothing of the kind
    r = send(client, people["intl"], "enic_decision", "k-4", case_id=enic[0]["id"] + 100)
    assert r.status_code == 404
    assert deliveries(ctx) == 0


def test_who_may_send_and_what_a_message_must_name(client, people, enic):
    assert send(client, people["dean_it"], "enic_decision", "k-5",
                payload={"application_no": "R-1"}).status_code == 403
    r = send(client, people["intl"], "", "k-6")
    assert r.status_code == 422 and "name" in r.json["fields"]
    r = client.post(f"{API}/messages", headers=people["intl"], json={"name": "enic_decision"})
    assert r.status_code == 422 and "idempotency_key" in r.json["fields"]


def test_accounting_confirms_a_contract_payment_through_a_boundary_event(client, people):
    deploy(client, people["admin"], "msg_payment.bpmn")
    paid = start(client, people["registrar"], "msg_payment", contract_no="C-17")
    other = start(client, people["registrar"], "msg_payment", contract_no="C-18")
    assert tasks_of(paid) == ["await_payment"]
    r = send(client, people["accountant"], "contract_paid", "1c-payment-9001",
             payload={"contract_no": "C-17", "amount": 1250000})
    assert r.status_code == 201, r.json
    assert (r.json["case_id"], r.json["element"]) == (paid["id"], "payment_confirmed")
    after = view(client, people["registrar"], paid["id"])
    assert tasks_of(after) == ["enrol"]  # the interrupting boundary event ended the waiting task
    assert after["data"]["amount"] == 1250000
    assert tasks_of(view(client, people["registrar"], other["id"])) == ["await_payment"]


def test_a_receive_task_gets_the_state_corporation_status_by_correlation_key(client, people):
    deploy(client, people["admin"], "msg_status.bpmn")
    waiting = start(client, people["registrar"], "msg_status", request_no="Q-1")
    start(client, people["registrar"], "msg_status", request_no="Q-2")
    r = send(client, people["registrar"], "gov_status", "gk-1", correlation={"request_no": "Q-1"},
             payload={"status": "issued"})
    assert r.status_code == 201, r.json
    assert (r.json["case_id"], r.json["element"]) == (waiting["id"], "wait_status")
    after = view(client, people["registrar"], waiting["id"])
    assert tasks_of(after) == ["review_status"] and after["data"]["status"] == "issued"


def test_a_camunda_modeler_message_catch(client, people):
    deploy(client, people["admin"], "msg_camunda.bpmn")
    case = start(client, people["registrar"], "msg_camunda")
    r = send(client, people["registrar"], "contract_signed", "sig-1", case_id=case["id"],
             payload={"signed_on": "2026-12-01"})
    assert r.status_code == 201, r.json
    after = view(client, people["registrar"], case["id"])
    assert tasks_of(after) == ["Activity_file"] and after["data"]["signed_on"] == "2026-12-01"


def test_a_payload_may_not_set_what_the_server_sets(client, people, ctx, enic):
    r = send(client, people["intl"], "enic_decision", "k-8",
             payload={"application_no": "R-1", "outcome": "issued", "case_id": 5})
    assert r.status_code == 422, r.json
    assert {"payload.outcome", "payload.case_id"} <= set(r.json["fields"])
    assert deliveries(ctx) == 0
    assert tasks_of(view(client, people["registrar"], enic[0]["id"])) == []


def test_a_message_start_event_opens_a_case(client, people):
    deploy(client, people["admin"], "msg_confirmation.bpmn")
    r = send(client, people["intl"], "migration_confirmed", "mvd-77",
             payload={"passport": "N1234567", "registered_until": "2027-06-30"})
    assert r.status_code == 201, r.json
    assert (r.json["outcome"], r.json["element"]) == ("started", "confirmation_received")
    case = view(client, people["registrar"], r.json["case_id"])
    assert case["process_id"] == "msg_confirmation" and tasks_of(case) == ["file_confirmation"]
    assert case["data"]["registered_until"] == "2027-06-30"
    again = send(client, people["intl"], "migration_confirmed", "mvd-77", payload={})
    assert again.status_code == 200 and again.json["case_id"] == r.json["case_id"]


def test_a_two_pool_collaboration_runs_as_linked_cases(client, people):
    deploy(client, people["admin"], "msg_collaboration.bpmn")
    office = start(client, people["registrar"], "msg_office")
    office = view(client, people["registrar"], office["id"])
    [sent] = history(office, "message_sent")
    archive = view(client, people["registrar"], sent["to_case"])
    assert archive["process_id"] == "msg_archive" and tasks_of(archive) == ["prepare_transcript"]
    assert archive["data"]["request_no"] == office["data"]["request_no"] == f"TR-{office['id']}"
    assert tasks_of(office) == []  # waits for the archive's answer

    [task] = archive["open_tasks"]
    r = client.post(f"{API}/tasks/{task['id']}/complete", headers=people["registrar"],
                    json={"data": {"pages": 3}})
    assert r.status_code == 200, r.json
    assert view(client, people["registrar"], archive["id"])["status"] == "completed"
    office = view(client, people["registrar"], office["id"])
    assert tasks_of(office) == ["hand_over"] and office["data"]["pages"] == 3
    [received] = history(office, "message_received")
    assert (received["name"], received["from_case"]) == ("transcript_ready", archive["id"])


@pytest.mark.parametrize("lang, waits, received, history_kind", [
    ("ru", "Дело ждёт сообщения", "Полученные сообщения", "Получено сообщение"),
    ("kk", "Іс күтетін хабарламалар", "Алынған хабарламалар", "Хабарлама алынды"),
    ("en", "The case waits for", "Messages received", "Message received"),
])
def test_the_case_page_shows_awaited_and_received_messages(app, client, people, enic, lang, waits,
                                                           received, history_kind):
    from tests.integration.web import Staff

    first, _second = enic
    staff = Staff(app, "registrar", lang=lang)
    page = staff.get(f"/app/cases/{first['id']}")
    assert waits in page and "enic_decision" in page and "application_no = R-1" in page
    assert received not in page
    assert send(client, people["intl"], "enic_decision", "enic-7",
                payload={"application_no": "R-1"}).status_code == 201
    page = staff.get(f"/app/cases/{first['id']}")
    assert waits not in page  # it waits for nothing now
    assert received in page and history_kind in page and "wait_enic" in page and "Intl" in page


def deploy_office_sending(client: Any, headers: dict, name_value: str):  # type: ignore[no-untyped-def]
    """The collaboration with the office's message/send step naming `name_value` instead."""
    text = (MODELS / "msg_collaboration.bpmn").read_text(encoding="utf-8").replace(
        """value="'transcript_request'" """, f'value="{name_value}" ')
    return client.post(f"{API}/processes", headers=headers,
                       data={"file": (io.BytesIO(text.encode()), "msg_collaboration.bpmn")},
                       content_type="multipart/form-data")


def test_deploy_refuses_a_message_send_without_a_quoted_name(client, people):
    r = deploy_office_sending(client, people["admin"], "transcript_request")
    assert r.status_code == 422, r.json
    assert "message/send" in str(r.json)


def test_a_message_no_case_waits_for_is_noted_and_the_sender_goes_on(client, people):
    r = deploy_office_sending(client, people["admin"], "'archive_closed_today'")
    assert r.status_code == 201, r.json
    office = view(client, people["registrar"], start(client, people["registrar"], "msg_office")["id"])
    [undelivered] = history(office, "message_undelivered")
    assert undelivered["name"] == "archive_closed_today" and "archive_closed_today" in undelivered["reason"]
    assert office["status"] == "in_progress" and not history(office, "message_sent")
    waiting = client.get(f"{API}/cases?process_id=msg_archive", headers=people["registrar"]).json
    assert waiting["total"] == 0


def test_an_event_gateway_takes_the_first_message_and_stops_waiting_for_the_other(client, people, ctx):
    from server.models import MessageWait

    deploy(client, people["admin"], "msg_decision_or_withdrawal.bpmn")
    withdrawn = start(client, people["registrar"], "msg_decision_or_withdrawal", application_no="R-5")
    decided = start(client, people["registrar"], "msg_decision_or_withdrawal", application_no="R-6")
    with ctx.db.read() as session:
        assert sorted(session.scalars(select(MessageWait.message_name).where(
            MessageWait.case_id == withdrawn["id"]))) == ["application_withdrawn", "enic_verdict"]
    r = send(client, people["registrar"], "application_withdrawn", "w-5", payload={"application_no": "R-5"})
    assert r.status_code == 201 and r.json["element"] == "withdrawal_received"
    assert view(client, people["registrar"], withdrawn["id"])["status"] == "completed"
    late = send(client, people["intl"], "enic_verdict", "v-5", payload={"application_no": "R-5"})
    assert late.status_code == 404  # the withdrawn case waits for nothing now
    r = send(client, people["intl"], "enic_verdict", "v-6", payload={"application_no": "R-6"})
    assert r.status_code == 201 and r.json["case_id"] == decided["id"]
    assert tasks_of(view(client, people["registrar"], decided["id"])) == ["record_verdict"]
    with ctx.db.read() as session:
        assert session.scalars(select(MessageWait)).all() == []
