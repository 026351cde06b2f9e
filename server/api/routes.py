"""REST endpoints. Each parses input, calls one service and serialises the result."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from server.api import schemas as s
from server.api.auth import current_actor, token_auth
from server.api.serialize import case_detail, case_out, process_out, task_detail, task_out
from server.downloads import send_bytes
from server.services.cases import applications, batch_orders
from server.services.cases import lifecycle as cases
from server.services.context import AppContext
from server.services.documents import downloads as documents_read
from server.services.procedures import deployments
from server.services.students import contingent
from server.services.tasks import human_tasks as tasks
from server.services.tasks import inbox

api_bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="regoffice")
ERRORS = {401: "Unauthorized", 403: "Forbidden", 404: "Not found"}


def ctx() -> AppContext:
    return current_app.extensions["regoffice"]


def _auth_doc(*extra: int) -> dict[str, Any]:
    codes = [401, 403, 404, *extra]
    return {"responses": {c: {"description": ERRORS.get(c, "Error"), "content": {
        "application/json": {"schema": s.ErrorOut}}} for c in codes}}


@api_bp.get("/processes")
@api_bp.auth_required(token_auth)
@api_bp.output(s.ProcessListOut)
@api_bp.doc(summary="List deployed processes (latest versions)", **_auth_doc())
def list_processes():  # type: ignore[no-untyped-def]
    current_actor()
    app = ctx()
    return {"items": [process_out(d, applications.application_schema(app, d.process_id))
                      for d in deployments.list_definitions(app)]}


@api_bp.post("/processes")
@api_bp.auth_required(token_auth)
@api_bp.input(s.DeployIn, location="files", arg_name="upload")
@api_bp.output(s.DeployListOut, status_code=201)
@api_bp.doc(summary="Deploy a BPMN or DMN file (admins)", **_auth_doc(422))
def deploy_process(upload: dict[str, Any]):  # type: ignore[no-untyped-def]
    file = upload["file"]
    content = file.read(ctx().settings.max_upload_bytes + 1)
    results = deployments.deploy_upload(ctx(), current_actor(), file.filename or "model.bpmn", content)
    return {"items": [r.__dict__ for r in results]}


@api_bp.post("/cases")
@api_bp.auth_required(token_auth)
@api_bp.input(s.CaseIn, arg_name="body")
@api_bp.output(s.CaseDetailOut, status_code=201)
@api_bp.doc(summary="Register an application (start a case)", **_auth_doc(422))
def start_case(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return case_detail(cases.register_case(ctx(), current_actor(), cases.StartRequest(**body)))


@api_bp.post("/contingent-orders")
@api_bp.auth_required(token_auth)
@api_bp.input(s.ContingentOrderIn, location="form_and_files", arg_name="upload")
@api_bp.output(s.CaseDetailOut, status_code=201)
@api_bp.doc(summary="Upload a list of students (CSV/XLSX) for one batch contingent order",
            **_auth_doc(422))
def start_contingent_order(upload: dict[str, Any]):  # type: ignore[no-untyped-def]
    actor = current_actor()
    file = upload["file"]
    content = file.read(ctx().settings.max_upload_bytes + 1)
    case_id = contingent.start_contingent_order(ctx(), actor, contingent.ContingentList(
        upload["order_kind"], upload["effective_date"], file.filename or "list.csv", content,
        upload["channel"]))
    return case_detail(cases.get_case(ctx(), actor, case_id))


@api_bp.post("/contingent-orders/transfers")
@api_bp.auth_required(token_auth)
@api_bp.input(s.TransferBatchIn, arg_name="body")
@api_bp.output(s.CaseDetailOut, status_code=201)
@api_bp.doc(summary="Collect every transfer case waiting for a batch order into one contingent order",
            description="The transfer cases the registrar marked «В сводный приказ» wait after the "
            "vice-rector's approval; this opens one contingent_order case (order_kind transfer, or "
            "transfer_internal when any moves inside the university) listing "
            "all of them (optionally of one process and one faculty), approved and numbered once. When "
            "the rector signs it, each case goes on with the order's number; a refused order puts them "
            "back to waiting. 422 when no case is waiting.", **_auth_doc(409, 422))
def collect_transfers(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    actor = current_actor()
    case_id = batch_orders.collect_transfers(ctx(), actor, batch_orders.BatchRequest(**body))
    return case_detail(cases.get_case(ctx(), actor, case_id))


@api_bp.get("/cases")
@api_bp.auth_required(token_auth)
@api_bp.input(s.CaseQueryIn, location="query", arg_name="query")
@api_bp.output(s.CaseListOut)
@api_bp.doc(summary="Search cases by status, process, student name or ИИН, faculty, date", **_auth_doc())
def search_cases(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    rows, total = cases.search_cases(ctx(), current_actor(), cases.CaseQuery(**query))
    return {"items": [case_out(c) for c in rows], "total": total,
            "limit": query["limit"], "offset": query["offset"]}


@api_bp.get("/cases/<int:case_id>")
@api_bp.auth_required(token_auth)
@api_bp.output(s.CaseDetailOut)
@api_bp.doc(summary="A case: status, data, open tasks, history, documents", **_auth_doc())
def get_case(case_id: int):  # type: ignore[no-untyped-def]
    return case_detail(cases.get_case(ctx(), current_actor(), case_id))


@api_bp.post("/cases/<int:case_id>/cancel")
@api_bp.auth_required(token_auth)
@api_bp.input(s.CancelIn, arg_name="body")
@api_bp.output(s.CaseOut)
@api_bp.doc(summary="Cancel or withdraw a case with a reason", **_auth_doc(409, 422))
def cancel_case(case_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return case_out(cases.cancel_case(ctx(), current_actor(), case_id, body["reason"],
                                      withdrawn=body["withdrawn"]))


@api_bp.get("/tasks")
@api_bp.auth_required(token_auth)
@api_bp.input(s.TaskQueryIn, location="query", arg_name="query")
@api_bp.output(s.TaskListOut)
@api_bp.doc(summary="Inbox: my tasks, my groups' tasks or all; filters and search", **_auth_doc())
def list_tasks(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    rows, total = inbox.list_tasks(ctx(), current_actor(), inbox.InboxQuery(**query))
    return {"items": [task_out(t) for t in rows], "total": total,
            "limit": query["limit"], "offset": query["offset"]}


@api_bp.get("/tasks/<task_id>")
@api_bp.auth_required(token_auth)
@api_bp.output(s.TaskDetailOut)
@api_bp.doc(summary="A task with its form schema and current data", **_auth_doc())
def get_task(task_id: str):  # type: ignore[no-untyped-def]
    return task_detail(tasks.get_task(ctx(), current_actor(), task_id))


@api_bp.post("/tasks/<task_id>/claim")
@api_bp.auth_required(token_auth)
@api_bp.output(s.TaskOut)
@api_bp.doc(summary="Take a task into work", **_auth_doc(409))
def claim_task(task_id: str):  # type: ignore[no-untyped-def]
    return task_out(tasks.claim_task(ctx(), current_actor(), task_id))


@api_bp.post("/tasks/<task_id>/unclaim")
@api_bp.auth_required(token_auth)
@api_bp.output(s.TaskOut)
@api_bp.doc(summary="Return a task to the group queue", **_auth_doc(409))
def unclaim_task(task_id: str):  # type: ignore[no-untyped-def]
    return task_out(tasks.unclaim_task(ctx(), current_actor(), task_id))


@api_bp.post("/tasks/<task_id>/delegate")
@api_bp.auth_required(token_auth)
@api_bp.input(s.DelegateIn, arg_name="body")
@api_bp.output(s.TaskOut)
@api_bp.doc(summary="Hand a task to another user holding its role", **_auth_doc(409, 422))
def delegate_task(task_id: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return task_out(tasks.delegate_task(ctx(), current_actor(), task_id, body["username"]))


@api_bp.post("/tasks/<task_id>/complete")
@api_bp.auth_required(token_auth)
@api_bp.input(s.CompleteIn, arg_name="body")
@api_bp.output(s.CaseStepOut)
@api_bp.doc(summary="Complete a task with its form data; the case runs on and the tasks now "
            "open in it are returned", **_auth_doc(409, 422))
def complete_task(task_id: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    step = tasks.complete_task(ctx(), current_actor(), task_id, body["data"])
    return {**case_out(step.case), "open_tasks": [task_out(t) for t in step.open_tasks]}


@api_bp.get("/documents/<int:document_id>")
@api_bp.auth_required(token_auth)
@api_bp.doc(summary="Download a generated document (.docx)",
            responses={200: {"description": "The file", "content": {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}}},
                **_auth_doc()["responses"]})
def download_document(document_id: int):  # type: ignore[no-untyped-def]
    doc = documents_read.get_document(ctx(), current_actor(), document_id)
    return send_bytes(doc.content, doc.media_type, doc.filename, doc.sha256)


@api_bp.get("/documents/<int:document_id>/pdf")
@api_bp.auth_required(token_auth)
@api_bp.doc(summary="The document as PDF, converted by LibreOffice; 503 with a message where "
            "LibreOffice is not installed",
            responses={200: {"description": "The PDF", "content": {"application/pdf": {}}},
                       **_auth_doc(503)["responses"]})
def download_document_pdf(document_id: int):  # type: ignore[no-untyped-def]
    filename, pdf = documents_read.get_document_pdf(ctx(), current_actor(), document_id)
    return send_bytes(pdf, "application/pdf", filename)
