from __future__ import annotations

from tests.conftest import FIXTURES


def test_approval_model_through_api(client, people, ctx):
    with open(FIXTURES / "approval.bpmn", "rb") as fh:
        r = client.post("/api/v1/processes", headers=people["admin"],
                        data={"file": (fh, "approval.bpmn")}, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    r = client.post("/api/v1/cases", headers=people["registrar"],
                    json={"process_id": "Process_approval", "data": {"amount": 5}})
    assert r.status_code == 201, r.json
    case = r.json
    assert case["status"] == "in_progress"
    assert len(case["open_tasks"]) == 1
