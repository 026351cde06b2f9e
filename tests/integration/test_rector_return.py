"""The rector's return is a correction loop: unticking «Приказ подписан» with a remark sends
the case to the registrar's correction step (the remark in its instruction), the corrected
data renders the next version of the same order, which goes back to the rector; the history
shows the remark and the correction. Every model with a rector's signing gateway returns
through a registrar's step."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import docx
import pytest
from lxml import etree

from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from tests.integration.api import add_student, case_view, complete, group_inbox, history_kinds, spec_names
from tests.integration.procs import deploy_all

START = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}
CHECKED = {**START, "doc_application": True, "doc_medical_conclusion": True,
           "documents_complete": True, "decision": "approve"}
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return {"h": people, "student_id": add_student(ctx, make_iin(date(2004, 3, 9), "M", 4321), group=None)}


def _to_signature(client, ctx, env):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "academic_leave", "student_id": env["student_id"], "channel": "direct",
        "data": START})
    cid = r.json["id"]
    complete(client, env["h"], "registrar", cid, "check_documents", CHECKED)
    complete(client, env["h"], "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    return cid


def _ru_text(client, env, view, version):
    doc = next(d for d in view["documents"] if d["language"] == "ru" and d["version"] == version)
    data = client.get(f"/api/v1/documents/{doc['id']}", headers=env["h"]["registrar"]).data
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_return_correct_and_sign(client, ctx, env):
    cid = _to_signature(client, ctx, env)
    remark = "Дата окончания отпуска по заключению ВКК — 30.06.2027"
    # a return without a remark is refused: the registrar must know what to correct
    body = complete(client, env["h"], "rector", cid, "sign_order", {"signed": False}, status=422)
    assert "rector_comment" in body["fields"]
    complete(client, env["h"], "rector", cid, "sign_order", {"signed": False, "rector_comment": remark})
    view = case_view(client, env["h"], cid)
    # not straight back to the rector: the registrar's correction step, the remark shown
    assert spec_names(view) == ["correct_order"]
    task = group_inbox(client, env["h"], "registrar")[(cid, "correct_order")]
    assert remark in task["instructions"]
    assert (cid, "sign_order") not in group_inbox(client, env["h"], "rector")
    assert drain(ctx) == 0  # nothing renders before the correction
    # the correction needs its description
    body = complete(client, env["h"], "registrar", cid, "correct_order", {"leave_end": "2027-06-30"},
                    status=422)
    assert "correction" in body["fields"]
    complete(client, env["h"], "registrar", cid, "correct_order",
             {"leave_end": "2027-06-30", "correction": "Дата окончания исправлена по заключению ВКК"})
    assert drain(ctx) >= 1
    view = case_view(client, env["h"], cid)
    assert spec_names(view) == ["sign_order"]
    # the next version of the same order, with the corrected data; the first superseded
    assert sorted((d["number"], d["version"]) for d in view["documents"]) == [
        ("1-у", 1), ("1-у", 1), ("1-у", 2), ("1-у", 2)]
    assert "по 31.08.2027" in _ru_text(client, env, view, 1)
    assert "с 01.12.2026 по 30.06.2027" in _ru_text(client, env, view, 2)
    # the history shows the remark and the correction
    returned = next(e for e in view["history"] if e["kind"] == "order_returned")
    assert returned["payload"]["remark"] == remark
    corrected = next(e for e in view["history"] if e["kind"] == "order_corrected")
    assert corrected["payload"]["correction"] == "Дата окончания исправлена по заключению ВКК"
    assert corrected["payload"]["changed"] == {"leave_end": ["2027-08-31", "2027-06-30"]}
    assert corrected["payload"]["remark"] == remark
    kinds = history_kinds(view)
    assert kinds.index("order_returned") < kinds.index("order_corrected")
    # the rector signs version 2: the case goes on
    complete(client, env["h"], "rector", cid, "sign_order",
             {"signed": True, "signed_date": utcnow().date().isoformat()})
    view = case_view(client, env["h"], cid)
    assert spec_names(view) == ["leave_return_control"] and view["outcome"] == "issued"
    assert history_kinds(view).count("document_issued") == 2


def test_signed_at_once_has_no_correction(client, ctx, env):
    cid = _to_signature(client, ctx, env)
    complete(client, env["h"], "rector", cid, "sign_order",
             {"signed": True, "signed_date": utcnow().date().isoformat()})
    view = case_view(client, env["h"], cid)
    assert spec_names(view) == ["leave_return_control"]
    assert "order_returned" not in history_kinds(view) and "order_corrected" not in history_kinds(view)


def _signing_gateways(root):
    """(gateway, its default flow) of each gateway deciding on `signed == True`."""
    flows = {f.get("id"): f for f in root.iter(f"{BPMN}sequenceFlow")}
    for gw in root.iter(f"{BPMN}exclusiveGateway"):
        outs = [flows[o.text] for o in gw.findall(f"{BPMN}outgoing")]
        if any(re.search(r"signed\s*==\s*True", "".join(f.itertext())) for f in outs):
            yield gw, flows[gw.get("default")]


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_rector_return_goes_to_a_registrar_correction(path):
    root = etree.parse(str(path)).getroot()
    lanes = {ref.text: lane.get("name") for lane in root.iter(f"{BPMN}lane")
             for ref in lane.findall(f"{BPMN}flowNodeRef")}
    tasks = {t.get("id"): t for t in root.iter(f"{BPMN}userTask")}
    flows = {f.get("id"): f for f in root.iter(f"{BPMN}sequenceFlow")}
    merges = {g.get("id"): g for g in root.iter(f"{BPMN}exclusiveGateway")
              if len(g.findall(f"{BPMN}outgoing")) == 1}
    for gw, back in _signing_gateways(root):
        target = back.get("targetRef")
        while target in merges:  # through a merging gateway (the expulsion's draft step)
            target = flows[merges[target].find(f"{BPMN}outgoing").text].get("targetRef")
        assert target in tasks, f"{path.stem}: {gw.get('id')} returns to {target}, not a person's step"
        assert lanes[target] == "Офис регистратора", (path.stem, target)
        text = etree.tostring(tasks[target], encoding="unicode")
        assert "rector_comment" in text, f"{path.stem}: {target} does not show the rector's remark"
