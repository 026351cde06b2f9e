"""Deploying models through the API: versions by content, admin only, and every kind of
unsafe or broken model refused with 422 (field -> reason) without storing anything."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from server.config import ROOT
from server.services.tasks.form_samples import sample_object
from tests.conftest import FIXTURES

API = "/api/v1"
APPROVAL = (FIXTURES / "approval.bpmn").read_bytes()
WORKFLOWS = ROOT / "workflows"

SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    f'xmlns:spiffworkflow="{SPIFF}" id="Definitions_bad" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def _linear(body_id: str, body: str, *, executable: str = "true") -> str:
    """start -> <body element with id body_id> -> end."""
    return HEAD + f"""
  <bpmn:process id="Process_bad" name="Bad" isExecutable="{executable}">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{body_id}" />
    <bpmn:sequenceFlow id="f2" sourceRef="{body_id}" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _script(code: str) -> str:
    return _linear("script_evil", f"""<bpmn:scriptTask id="script_evil" name="Evil" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{code}</bpmn:script>
    </bpmn:scriptTask>""")


def _condition(expression: str) -> str:
    return HEAD + f"""
  <bpmn:process id="Process_bad" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw_evil" default="f_default">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f_cond</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_a"><bpmn:incoming>f_cond</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_b"><bpmn:incoming>f_default</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw_evil" />
    <bpmn:sequenceFlow id="f_cond" sourceRef="gw_evil" targetRef="end_a">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{expression}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_default" sourceRef="gw_evil" targetRef="end_b" />
  </bpmn:process>
</bpmn:definitions>
"""


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">
  <bpmn:process id="Process_bad" name="&lol3;" isExecutable="true" />
</bpmn:definitions>
"""

FORM_MISSING = _linear("task_form", """<bpmn:userTask id="task_form" name="With form">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="no_such_process/no_such_form" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>""")

UNKNOWN_OPERATOR = _linear("svc_shell", """<bpmn:serviceTask id="svc_shell" name="Shell">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="shell/exec" resultVariable="out">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="cmd" type="str" value="'ls'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>""")

NOT_EXECUTABLE = _linear("task_x", """<bpmn:userTask id="task_x" name="X">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>""", executable="false")

UNMAPPED_LANE = HEAD + """
  <bpmn:process id="Process_bad" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane_x" name="Специалист по учебно-методической работе">
        <bpmn:flowNodeRef>task_lane</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="task_lane" name="In an unknown lane">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task_lane" />
    <bpmn:sequenceFlow id="f2" sourceRef="task_lane" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

UNKNOWN_ROLE = _linear("task_role", """<bpmn:userTask id="task_role" name="For a janitor">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="janitor" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>""")

# (case id, filename, content, element the issue must name or None, words the reason must contain)
REJECTED = [
    ("script-import", "bad.bpmn", _script("import os\nx = os.getcwd()"), "script_evil", ["Import"]),
    ("script-open", "bad.bpmn", _script("data = open('/etc/passwd').read()"), "script_evil", ["open"]),
    ("script-dunder", "bad.bpmn", _script("klasses = ().__class__.__bases__[0].__subclasses__()"),
     "script_evil", ["__"]),
    ("script-dunder-name", "bad.bpmn", _script("x = __builtins__"), "script_evil", ["__builtins__"]),
    ("condition-import", "bad.bpmn", _condition("__import__('os').system('id') == 0"), "gw_evil",
     ["__import__"]),
    ("billion-laughs", "bad.bpmn", BILLION_LAUGHS, None, ["DOCTYPE"]),
    ("malformed-xml", "bad.bpmn", HEAD + "<bpmn:process id='p' isExecutable='true'>", None,
     ["XML"]),
    ("not-bpmn", "bad.bpmn", '<?xml version="1.0"?><html><body><p>hello</p></body></html>', None,
     ["BPMN"]),
    ("no-executable-process", "bad.bpmn", NOT_EXECUTABLE, None, ["isExecutable"]),
    ("missing-form", "bad.bpmn", FORM_MISSING, "task_form", ["no_such_process/no_such_form"]),
    ("unknown-operator", "bad.bpmn", UNKNOWN_OPERATOR, "svc_shell", ["shell/exec"]),
    # A lane missing from config/lanes.yaml: its tasks would belong to no one (and on
    # PostgreSQL the 41-character "role" broke every case start with a 500).
    ("unmapped-lane", "bad.bpmn", UNMAPPED_LANE, "task_lane",
     ["Специалист по учебно-методической работе", "config/lanes.yaml"]),
    ("unknown-role", "bad.bpmn", UNKNOWN_ROLE, "task_role", ["janitor"]),
]


def deploy(client, headers, filename: str, content: bytes | str):  # type: ignore[no-untyped-def]
    raw = content.encode() if isinstance(content, str) else content
    return client.post(f"{API}/processes", headers=headers,
                       data={"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data")


def processes(client, headers) -> list[dict]:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/processes", headers=headers)
    assert r.status_code == 200, r.json
    return r.json["items"]


def _stored_rows(ctx) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from server.models import AuditEvent, ProcessDefinition

    with ctx.db.read() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_deploy_creates_version_one_and_is_idempotent(client, people):
    r = deploy(client, people["admin"], "approval.bpmn", APPROVAL)
    assert r.status_code == 201, r.json
    [item] = r.json["items"]
    assert item == {"process_id": "Process_approval", "version": 1, "created": True,
                    "definition_id": item["definition_id"]}

    again = deploy(client, people["admin"], "approval.bpmn", APPROVAL)
    assert again.status_code == 201, again.json
    assert again.json["items"] == [{**item, "created": False}]

    listed = processes(client, people["registrar"])
    assert [(p["process_id"], p["version"], p["is_latest"]) for p in listed] == \
        [("Process_approval", 1, True)]
    assert {t["id"] for t in listed[0]["user_tasks"]} == {"task_a", "task_b", "task_c", "task_d"}


def test_changed_model_makes_version_two_and_running_cases_stay_on_version_one(client, people):
    assert deploy(client, people["admin"], "approval.bpmn", APPROVAL).status_code == 201
    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "Process_approval", "data": {"amount": 5}})
    assert r.status_code == 201, r.json
    old_case = r.json
    assert old_case["process_version"] == 1

    changed = APPROVAL.replace(b'name="A: Submit request"', b'name="A: Submit the request (v2)"')
    assert changed != APPROVAL
    r = deploy(client, people["admin"], "approval.bpmn", changed)
    assert r.status_code == 201, r.json
    assert [(i["version"], i["created"]) for i in r.json["items"]] == [(2, True)]

    listed = processes(client, people["admin"])
    assert [(p["process_id"], p["version"]) for p in listed] == [("Process_approval", 2)]

    r = client.get(f"{API}/cases/{old_case['id']}", headers=people["registrar"])
    assert r.status_code == 200
    assert r.json["process_version"] == 1
    assert [t["name"] for t in r.json["open_tasks"]] == ["A: Submit request"]

    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "Process_approval", "data": {"amount": 1}})
    assert r.status_code == 201, r.json
    assert r.json["process_version"] == 2
    assert [t["name"] for t in r.json["open_tasks"]] == ["A: Submit the request (v2)"]

    # Re-deploying v1's content does not resurrect an old version number.
    r = deploy(client, people["admin"], "approval.bpmn", APPROVAL)
    assert r.json["items"][0]["created"] is False
    assert r.json["items"][0]["version"] == 1


@pytest.mark.parametrize("user", ["registrar", "head", "dean_it", "rector", "accountant"])
def test_only_admins_deploy(client, people, ctx, user):
    before = _stored_rows(ctx)
    r = deploy(client, people[user], "approval.bpmn", APPROVAL)
    assert r.status_code == 403, r.json
    assert r.json["error"] == "forbidden"
    assert "администратор" in r.json["message"]
    assert _stored_rows(ctx) == before
    assert processes(client, people["admin"]) == []


def test_deploy_without_token_is_401(client, people):
    r = deploy(client, {}, "approval.bpmn", APPROVAL)
    assert r.status_code == 401
    assert processes(client, people["admin"]) == []


@pytest.mark.parametrize(("filename", "content", "element", "words"),
                         [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_rejected_models_are_422_and_store_nothing(client, people, ctx, filename, content, element, words):
    assert deploy(client, people["admin"], "approval.bpmn", APPROVAL).status_code == 201
    listed_before = processes(client, people["admin"])
    rows_before = _stored_rows(ctx)

    r = deploy(client, people["admin"], filename, content)

    assert r.status_code == 422, r.json
    body = r.json
    assert body["error"] == "model_invalid"
    assert body["message"].startswith(f"Модель {filename} не принята")
    assert body["fields"], "the response must say which file/element is wrong and why"
    if element is None:
        assert filename in body["fields"], body["fields"]
        reason = body["fields"][filename]
    else:
        key = f"{filename}#{element}"
        assert key in body["fields"], body["fields"]
        reason = body["fields"][key]
    for word in words:
        assert word in reason, (word, reason)
    assert processes(client, people["admin"]) == listed_before
    assert _stored_rows(ctx) == rows_before


def test_billion_laughs_is_refused_without_expanding(client, people):
    """The refusal must come from the DOCTYPE ban, not from a (slow) expansion."""
    r = deploy(client, people["admin"], "lol.bpmn", BILLION_LAUGHS)
    assert r.status_code == 422
    assert "lol" not in r.json["message"].replace("lol.bpmn", "")
    assert processes(client, people["admin"]) == []


def test_upload_just_over_the_limit_is_422_naming_the_file(client, people, ctx):
    limit = ctx.settings.max_upload_bytes
    assert limit == 5 * 1024 * 1024
    content = APPROVAL + b" " * (limit + 1 - len(APPROVAL))
    r = deploy(client, people["admin"], "approval.bpmn", content)
    assert r.status_code == 422, r.json
    assert "file" in r.json["fields"]
    assert str(limit) in r.json["fields"]["file"]
    assert processes(client, people["admin"]) == []


def test_upload_far_over_the_limit_is_refused_before_parsing(client, ctx, people):
    """Bodies beyond MAX_CONTENT_LENGTH never reach the service: 413 with a JSON message."""
    r = deploy(client, people["admin"], "approval.bpmn", b" " * (ctx.settings.max_request_bytes + 1024))
    assert r.status_code == 413
    assert r.is_json
    assert r.json["error"] == "too_large" and r.json["message"].startswith("Запрос больше 21 МБ")
    assert processes(client, people["admin"]) == []


def test_model_larger_than_the_xml_limit_is_422(client, people):
    padding = b"<!--" + b"x" * (3 * 1024 * 1024) + b"-->"
    content = APPROVAL.replace(b"<bpmn:definitions", padding + b"<bpmn:definitions", 1)
    r = deploy(client, people["admin"], "approval.bpmn", content)
    assert r.status_code == 422, r.json
    assert "approval.bpmn" in r.json["fields"]
    assert processes(client, people["admin"]) == []


@pytest.mark.parametrize(("filename", "content"), [
    ("approval.txt", APPROVAL), ("approval.bpmn.exe", APPROVAL), ("approval", APPROVAL),
    ("empty.bpmn", b"   \n"),
])
def test_wrong_extension_or_empty_file_is_422(client, people, filename, content):
    r = deploy(client, people["admin"], filename, content)
    assert r.status_code == 422, r.json
    assert "file" in r.json["fields"]
    assert processes(client, people["admin"]) == []


def test_missing_file_field_is_422(client, people):
    r = client.post(f"{API}/processes", headers=people["admin"], data={},
                    content_type="multipart/form-data")
    assert r.status_code == 422, r.json
    assert "file" in r.json["fields"]


def test_non_utf8_file_is_422(client, people):
    r = deploy(client, people["admin"], "approval.bpmn", b"\xff\xfe\x00<" + b"\x9c" * 50)
    assert r.status_code == 422, r.json
    assert r.json["fields"]
    assert processes(client, people["admin"]) == []


def test_bpmn_calling_an_undeployed_decision_is_refused(client, people):
    r = deploy(client, people["admin"], "transfer_in.bpmn", (WORKFLOWS / "transfer_in.bpmn").read_bytes())
    assert r.status_code == 422, r.json
    assert "transfer_in.bpmn#transfer_difference_limit" in r.json["fields"]
    assert "не развёрнут" in r.json["fields"]["transfer_in.bpmn#transfer_difference_limit"]
    assert processes(client, people["admin"]) == []


def _deploy_path(client, headers, path: Path):  # type: ignore[no-untyped-def]
    return deploy(client, headers, path.name, path.read_bytes())


def test_dmn_then_transfer_in_is_listed_with_its_user_tasks(client, people):
    r = _deploy_path(client, people["admin"], WORKFLOWS / "transfer_rules.dmn")
    assert r.status_code == 201, r.json
    assert [(i["process_id"], i["version"]) for i in r.json["items"]] == [("transfer_difference_limit", 1)]

    r = _deploy_path(client, people["admin"], WORKFLOWS / "transfer_in.bpmn")
    assert r.status_code == 201, r.json
    assert [(i["process_id"], i["version"], i["created"]) for i in r.json["items"]] == \
        [("transfer_in", 1, True)]

    listed = {p["process_id"]: p for p in processes(client, people["registrar"])}
    assert listed["transfer_difference_limit"]["kind"] == "dmn"
    proc = listed["transfer_in"]
    assert proc["kind"] == "bpmn"
    assert proc["dialect"] == "spiff"
    assert proc["name"].startswith("Перевод из другого вуза")
    tasks = {t["id"]: t for t in proc["user_tasks"]}
    assert set(tasks) == {
        "check_documents", "resubmit_application", "determine_difference", "enrol_lower_year",
        "check_grant", "paid_contract", "vr_approval", "sign_order", "correct_order", "request_personal_file",
    }
    assert tasks["check_documents"]["form_key"] == "transfer_in/check_documents"
    assert tasks["check_documents"]["lane"] == "Офис регистратора"
    assert tasks["determine_difference"]["lane"] == "Декан"
    assert tasks["sign_order"]["lane"] == "Ректор"

    # The BPMN version carries the DMN it calls: a case runs without looking anything up.
    applicant = {**sample_object(json.loads((ROOT / "forms/transfer_in/register.schema.json")
                                            .read_text(encoding="utf-8"))), "faculty_code": "IT",
                 "programme_code": "6B06102", "citizenship": "KAZ"}  # from the registry's lists
    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "transfer_in", "data": {"applicant": applicant}})
    assert r.status_code == 201, r.json
    assert [t["spec_name"] for t in r.json["open_tasks"]] == ["check_documents"]
    assert r.json["open_tasks"][0]["candidate_roles"] == ["registrar"]


def test_a_dmn_cannot_be_started_as_a_case(client, people):
    assert _deploy_path(client, people["admin"], WORKFLOWS / "transfer_rules.dmn").status_code == 201
    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "transfer_difference_limit"})
    assert r.status_code == 404, r.json
    assert "process_id" in r.json["fields"]
