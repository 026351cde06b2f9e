"""The OpenAPI document is valid, complete (every /api/v1 route), says how to authenticate
and which errors to expect, and describes what the API really returns."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import FIXTURES

API = "/api/v1"
SPEC_URL = f"{API}/openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(SPEC_URL)
    assert r.status_code == 200
    assert r.is_json
    return r.json


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_document_is_valid_openapi_3(spec):
    from openapi_spec_validator import validate

    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "regoffice API"
    assert spec["info"]["version"]
    validate(spec)


def test_every_reference_resolves(spec):
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(spec)))
    assert refs, "schemas are shared through components"
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_api_route_is_documented(app, spec):
    documented = {(m.upper(), p) for m, p, _ in operations(spec)}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{API}/") or rule.rule == SPEC_URL:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((method, _flask_to_openapi(rule.rule)))
    assert routed, "no API routes found"
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations without a route"


def test_every_operation_declares_bearer_security_and_401(spec):
    schemes = spec["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("type") == "http" and s.get("scheme") == "bearer"]
    assert bearer, schemes
    for method, path, op in operations(spec):
        where = f"{method.upper()} {path}"
        security = op.get("security", spec.get("security"))
        assert security, f"{where}: no security requirement"
        assert any(set(req) & set(bearer) for req in security), f"{where}: not bearer"
        assert {} not in security, f"{where}: anonymous access allowed"
        responses = op["responses"]
        assert "401" in responses, f"{where}: no 401 response"
        content = responses["401"].get("content", {}).get("application/json", {})
        assert content.get("schema", {}).get("$ref", "").endswith("/ErrorOut"), where
        assert op.get("summary"), f"{where}: no summary"


def test_error_schema_describes_what_the_api_returns(client, spec):
    error = spec["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"error", "message"}
    assert set(error["properties"]) == {"error", "message", "fields"}
    r = client.get(f"{API}/cases")
    assert r.status_code == 401
    _validate(spec, r.json, {"$ref": "#/components/schemas/ErrorOut"})


def test_operations_with_input_document_422_and_their_bodies(spec):
    ops = {(m, p): op for m, p, op in operations(spec)}
    for key in [("post", f"{API}/cases"), ("post", f"{API}/processes"),
                ("post", f"{API}/tasks/{{task_id}}/complete"),
                ("post", f"{API}/cases/{{case_id}}/cancel"),
                ("post", f"{API}/tasks/{{task_id}}/delegate"), ("get", f"{API}/cases"),
                ("get", f"{API}/tasks")]:
        assert "422" in ops[key]["responses"], key
    for key in [("post", f"{API}/tasks/{{task_id}}/complete"), ("post", f"{API}/tasks/{{task_id}}/claim"),
                ("post", f"{API}/cases/{{case_id}}/cancel")]:
        assert "409" in ops[key]["responses"], key
    upload = ops[("post", f"{API}/processes")]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    file_schema = _resolve(spec, upload["multipart/form-data"]["schema"])["properties"]["file"]
    assert file_schema.get("format") == "binary" or file_schema.get("contentMediaType"), file_schema
    case_body = ops[("post", f"{API}/cases")]["requestBody"]["content"]["application/json"]
    case_in = _resolve(spec, case_body["schema"])
    assert "process_id" in case_in["required"]
    params = {p["name"] for p in ops[("get", f"{API}/tasks")]["parameters"]}
    assert {"scope", "overdue", "q", "limit", "offset"} <= params
    path_params = {p["name"] for p in ops[("get", f"{API}/cases/{{case_id}}")]["parameters"]}
    assert path_params == {"case_id"}


def test_responses_match_their_documented_schemas(client, people, spec):
    """Real responses validate against the document (a drifted schema fails here)."""
    with open(FIXTURES / "approval.bpmn", "rb") as fh:
        r = client.post(f"{API}/processes", headers=people["admin"],
                        data={"file": (io.BytesIO(fh.read()), "approval.bpmn")},
                        content_type="multipart/form-data")
    assert r.status_code == 201
    _validate_response(spec, "post", f"{API}/processes", r)
    r = client.get(f"{API}/processes", headers=people["registrar"])
    _validate_response(spec, "get", f"{API}/processes", r)
    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "Process_approval", "data": {"amount": 5}})
    assert r.status_code == 201
    _validate_response(spec, "post", f"{API}/cases", r)
    case_id, task_id = r.json["id"], r.json["open_tasks"][0]["id"]
    _validate_response(spec, "get", f"{API}/cases/{{case_id}}",
                       client.get(f"{API}/cases/{case_id}", headers=people["registrar"]))
    _validate_response(spec, "get", f"{API}/cases", client.get(f"{API}/cases", headers=people["registrar"]))
    _validate_response(spec, "get", f"{API}/tasks",
                       client.get(f"{API}/tasks?scope=group", headers=people["registrar"]))
    _validate_response(spec, "get", f"{API}/tasks/{{task_id}}",
                       client.get(f"{API}/tasks/{task_id}", headers=people["registrar"]))
    _validate_response(spec, "post", f"{API}/tasks/{{task_id}}/claim",
                       client.post(f"{API}/tasks/{task_id}/claim", headers=people["registrar"]))
    conflict = client.post(f"{API}/tasks/{task_id}/claim", headers=people["registrar2"])
    assert conflict.status_code == 409
    _validate_response(spec, "post", f"{API}/tasks/{{task_id}}/claim", conflict)
    invalid = client.post(f"{API}/tasks/{task_id}/complete", headers=people["registrar"],
                          json={"data": {"__x": 1}})
    assert invalid.status_code == 422
    _validate_response(spec, "post", f"{API}/tasks/{{task_id}}/complete", invalid)
    _validate_response(spec, "post", f"{API}/tasks/{{task_id}}/complete",
                       client.post(f"{API}/tasks/{task_id}/complete", headers=people["registrar"],
                                   json={"data": {"approved": False}}))
    missing = client.get(f"{API}/cases/999999", headers=people["registrar"])
    _validate_response(spec, "get", f"{API}/cases/{{case_id}}", missing)


def test_messages_endpoint_is_described_and_answers_as_described(client, people, spec):
    op = spec["paths"][f"{API}/messages"]["post"]
    body = _resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])
    assert {"name", "idempotency_key", "case_id", "correlation", "payload"} <= set(body["properties"])
    assert set(body["required"]) == {"name", "idempotency_key"}
    assert {"200", "201", "401", "403", "404", "409", "422"} <= set(op["responses"])
    model = FIXTURES / "messages" / "msg_recognition.bpmn"
    r = client.post(f"{API}/processes", headers=people["admin"],
                    data={"file": (io.BytesIO(model.read_bytes()), model.name)},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    for number in ("R-1", "R-2"):
        client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "msg_recognition", "data": {"application_no": number}})
    message = {"name": "enic_decision", "idempotency_key": "enic-1"}
    several = client.post(f"{API}/messages", headers=people["intl"], json=message)
    assert several.status_code == 409
    _validate_response(spec, "post", f"{API}/messages", several)
    message["payload"] = {"application_no": "R-1", "enic_result": "recognised"}
    for status in (201, 200):  # delivered, then the repeat
        r = client.post(f"{API}/messages", headers=people["intl"], json=message)
        assert r.status_code == status, r.json
        _validate_response(spec, "post", f"{API}/messages", r)
    nothing = client.post(f"{API}/messages", headers=people["intl"],
                          json={**message, "idempotency_key": "enic-2"})
    assert nothing.status_code == 404
    _validate_response(spec, "post", f"{API}/messages", nothing)


def test_spec_is_public_and_docs_page_is_not_served(client):
    assert client.get(SPEC_URL).status_code == 200
    assert client.get("/docs").status_code == 404


# --- helpers -----------------------------------------------------------------------------

def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _validate(spec: dict[str, Any], instance: Any, schema: dict[str, Any]) -> None:
    # Refs are "#/components/schemas/X": give the schema the document's components.
    errors = list(Draft202012Validator({**schema, "components": spec["components"]}).iter_errors(instance))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def _validate_response(spec: dict[str, Any], method: str, path: str, response: Any) -> None:
    responses = spec["paths"][path][method]["responses"]
    code = str(response.status_code)
    assert code in responses, f"{method.upper()} {path} returned undocumented {code}"
    schema = responses[code]["content"]["application/json"]["schema"]
    _validate(spec, response.json, schema)


def test_codes_people_read_come_with_their_words(client, people, spec):
    """Next to each code a person reads (a case's status and channel, a task's status) the API
    gives its words in the client's language; the codes stay as they are."""
    for schema, names in (("CaseOut", ("status_display", "outcome_display", "channel_display",
                                       "refusal_ground_display", "process_display")),
                          ("TaskOut", ("status_display",)),
                          ("DocumentOut", ("status_display", "kind_display", "language_display")),
                          ("RegisterRowOut", ("status_display", "kind_display", "case_status_display",
                                              "register_display"))):
        properties = spec["components"]["schemas"][schema]["properties"]
        assert set(names) <= set(properties), (schema, set(names) - set(properties))
    with open(FIXTURES / "approval.bpmn", "rb") as fh:
        assert client.post(f"{API}/processes", headers=people["admin"],
                           data={"file": (io.BytesIO(fh.read()), "approval.bpmn")},
                           content_type="multipart/form-data").status_code == 201
    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "Process_approval", "data": {"amount": 5}})
    assert r.status_code == 201
    case_id = r.json["id"]
    words = {}
    for lang in ("ru", "kk", "en"):
        got = client.get(f"{API}/cases/{case_id}", headers={**people["registrar"], "Accept-Language": lang})
        assert got.status_code == 200
        _validate_response(spec, "get", f"{API}/cases/{{case_id}}", got)
        assert got.json["status"] == "in_progress" and got.json["open_tasks"][0]["status"] == "open"
        words[lang] = (got.json["status_display"], got.json["open_tasks"][0]["status_display"],
                       got.json["channel_display"])
    assert words["ru"] == ("в работе", "ожидает", "Непосредственно в университете")
    assert words["kk"] == ("орындалуда", "күтуде", "Университетке тікелей")
    assert words["en"][:2] == ("in progress", "waiting")
