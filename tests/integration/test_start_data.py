"""What a registration may carry: the keys the procedure declares (its application form, the
applicant of its registration form, its BPMN data inputs), never a value the server or the
model sets itself, and not more than the size limit. Anything else is refused with 422
naming `data.<key>`, and nothing is stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import AuditEvent, Case
from server.services.procedures import deployments
from tests.conftest import FIXTURES
from tests.integration.api import add_student
from tests.integration.test_transfer_in import APPLICANT

IIN = "040309543217"
UNKNOWN = "Неизвестное поле: его нет в заявлении этой процедуры"
SERVERS = "Это значение устанавливает система, а не заявление"


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN)}


def _register(client: Any, env: Any, process_id: str, data: Any, student: bool = True, **headers: str) -> Any:
    return client.post("/api/v1/cases", headers={**env["h"]["registrar"], **headers}, json={
        "process_id": process_id, "data": data, **({"student_id": env["student_id"]} if student else {})})


def _stored(ctx: Any) -> tuple[int, int]:
    """Cases and the audit events of cases (the deployment's own events have none)."""
    with ctx.db.read() as session:
        return (session.scalar(select(func.count(Case.id))) or 0,
                session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.case_id.is_not(None))) or 0)


def test_a_procedure_without_an_application_form_declares_no_start_data(client, ctx, env):
    """transfer_out and the like register the student alone: any key is undeclared."""
    r = _register(client, env, "transfer_out", {"receiving_university": "КарУ", "junk": "x"})
    assert r.status_code == 422, r.json
    assert r.json["fields"] == {"data.receiving_university": UNKNOWN, "data.junk": UNKNOWN}
    assert _stored(ctx) == (0, 0)
    assert _register(client, env, "transfer_out", {}).status_code == 201


def test_a_registration_form_declares_the_applicant_only(client, ctx, env):
    applicant = dict(APPLICANT)
    r = _register(client, env, "transfer_in", {"applicant": applicant, "junk": "x" * 1000}, student=False)
    assert r.status_code == 422 and r.json["fields"] == {"data.junk": UNKNOWN}
    assert _stored(ctx) == (0, 0)
    # a registered student's case is about the student: an applicant besides is not declared
    r = _register(client, env, "transfer_in", {"applicant": applicant})
    assert r.status_code == 422 and r.json["fields"] == {"data.applicant": UNKNOWN}
    assert _stored(ctx) == (0, 0)
    assert _register(client, env, "transfer_in", {"applicant": applicant}, student=False).status_code == 201


@pytest.mark.parametrize("key, value", [
    ("outcome", "issued"), ("refusal_ground", "not_eligible"), ("parent_case_id", 1),
    ("certificate", {"number": "1"}),  # the result of cert_study's document step
    ("escalation_check", {}),  # the result of its escalation step
])
def test_values_the_server_sets_are_refused(client, ctx, env, key, value):
    r = _register(client, env, "cert_study", {"purpose": "по месту требования", key: value})
    assert r.status_code == 422, r.json
    assert r.json["fields"] == {f"data.{key}": SERVERS}
    assert _stored(ctx) == (0, 0)


def test_the_reasons_are_translated(client, env):
    r = _register(client, env, "cert_study", {"outcome": "issued", "note": "x"}, **{"Accept-Language": "kk"})
    assert r.json["fields"] == {"data.outcome": "Бұл мәнді өтініш емес, жүйе белгілейді",
                                "data.note": "Белгісіз өріс: бұл рәсімнің өтінішінде мұндай өріс жоқ"}
    r = _register(client, env, "cert_study", {"note": "x"}, **{"Accept-Language": "en"})
    assert r.json["fields"] == {
        "data.note": "Unknown field: the application of this procedure has no such field"}


def test_a_model_declares_its_start_data_as_bpmn_data_inputs(client, ctx, env):
    """A model without an application form (approval.bpmn reads `amount`) declares what it
    takes with an ioSpecification; other keys are refused."""
    with open(FIXTURES / "approval.bpmn", "rb") as fh:
        r = client.post("/api/v1/processes", headers=env["h"]["admin"], content_type="multipart/form-data",
                        data={"file": (io.BytesIO(fh.read()), "approval.bpmn")})
    assert r.status_code == 201, r.json
    r = _register(client, env, "Process_approval", {"amount": 5, "extra": True}, student=False)
    assert r.status_code == 422 and r.json["fields"] == {"data.extra": UNKNOWN}
    r = _register(client, env, "Process_approval", {"amount": 5}, student=False)
    assert r.status_code == 201 and r.json["data"]["amount"] == 5


def test_start_data_over_the_size_limit_is_refused(client, ctx, env):
    """A 4.9 MB field is refused before it is read (it used to be stored twice: in the case
    and in its audit trail, a 10 MB GET /cases/<id>)."""
    r = _register(client, env, "cert_study", {"purpose": "x" * (4900 * 1024)})
    assert r.status_code == 422
    assert r.json["fields"] == {"data": "Слишком большой объём данных"}
    assert r.json["message"] == ("Данные заявления больше 1024 КБ: сократите их (файлы прикладываются "
                                 "отдельно)")
    r = _register(client, env, "cert_study", {"junk": "x" * (4900 * 1024)})
    assert r.status_code == 422 and r.json["fields"] == {"data": "Слишком большой объём данных"}
    assert _stored(ctx) == (0, 0)
