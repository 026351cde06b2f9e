"""Every route × every persona: who gets through and who is refused.

RULES names, for each (endpoint, method) of the app, the personas allowed; the test calls the
route as each persona (anonymous, a deactivated user, every role, a dean of the case's faculty
and one of another faculty) and checks the answer. A route that RULES does not list fails the
test, so a new route cannot ship without an authorization rule.

Refused means 401 or 403, a redirect to the sign-in page, or — for things inside a case the
persona may not see — 404 (a dean of another faculty must not learn the case exists).
Allowed means anything else: the request reached the use case (200, 201, a redirect, 409, or
422 for the deliberately incomplete bodies sent here)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Document, HumanTask, OutboxJob, Substitution, User
from server.services.background.operations import enqueue_probe
from server.services.procedures import deployments
from tests.integration.api import complete
from tests.integration.test_transfer_in import ALL_DOCS, TO_ORDER, _start
from tests.integration.web import Staff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

ANONYMOUS, DISABLED = "anonymous", "disabled"
STAFF = ("admin", "registrar", "head", "dean_it", "dean_econ", "vicerector", "rector", "accountant", "intl")
PERSONAS = (ANONYMOUS, DISABLED, *STAFF)
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = frozenset(STAFF)
OFFICE_AND_LEADERSHIP = frozenset({"admin", "registrar", "head", "vicerector", "rector", "accountant",
                                   "intl"})
SEES_CASE = OFFICE_AND_LEADERSHIP | {"dean_it"}  # the case belongs to the IT faculty
STARTERS = frozenset({"registrar", "head", "admin"})
ADMINS = frozenset({"admin"})
OPERATORS = frozenset({"admin", "head"})
READERS = frozenset({"registrar", "head", "vicerector", "rector", "admin"})
MESSAGE_SENDERS = frozenset({"registrar", "head", "accountant", "intl", "admin"})
DEAN_IT = frozenset({"dean_it"})
ASSIGNEE_OR_SUPERVISOR = frozenset({"dean_it", "head", "admin"})
REPORT_READERS = frozenset({"head", "vicerector", "admin"})
SHEET_READERS = STARTERS | {"dean_it", "dean_econ"}  # a dean: the faculty's sheets
SHEET_LOCKERS = frozenset({"registrar", "head"})


@dataclass(frozen=True)
class Rule:
    path: str  # with {case}, {task}, {doc}, {att}, {job}, {sub}, {cancel}, {code} filled in
    allowed: frozenset[str]
    hides: bool = False  # 404 counts as refused (something inside a case)
    body: dict[str, Any] = field(default_factory=dict)
    files: bool = False
    fresh: bool = False  # in a session of its own (signing out must not end the others)


# (endpoint, method) -> rules; the personas are tried refused-first, so an allowed persona's
# change (a claim, a retry) cannot turn a later refusal into a conflict.
RULES: dict[tuple[str, str], list[Rule]] = {
    ("index", "GET"): [Rule("/", EVERYONE)],
    ("healthz", "GET"): [Rule("/healthz", EVERYONE)],
    ("healthz_worker", "GET"): [Rule("/healthz/worker", EVERYONE)],
    ("static", "GET"): [Rule("/static/none.css", EVERYONE)],
    ("openapi.spec", "GET"): [Rule("/api/v1/openapi.json", EVERYONE)],
    ("public.verify", "GET"): [Rule("/verify/{code}", EVERYONE)],
    ("public.verify_file", "POST"): [Rule("/verify/{code}", EVERYONE)],
    # the REST API
    ("api.list_processes", "GET"): [Rule("/api/v1/processes", SIGNED_IN)],
    ("api.deploy_process", "POST"): [Rule("/api/v1/processes", ADMINS, files=True)],
    ("api.start_case", "POST"): [Rule("/api/v1/cases", STARTERS,
                                      body={"process_id": "transfer_in", "data": {"applicant": {}}})],
    ("api.search_cases", "GET"): [Rule("/api/v1/cases", SIGNED_IN)],
    ("api.get_case", "GET"): [Rule("/api/v1/cases/{case}", SEES_CASE, hides=True)],
    ("api.cancel_case", "POST"): [Rule("/api/v1/cases/{cancel}/cancel",
                                       frozenset({"registrar", "head", "admin"}), hides=True,
                                       body={"reason": "проверка прав"})],
    ("api.download_document", "GET"): [Rule("/api/v1/documents/{doc}", SEES_CASE, hides=True)],
    ("api.download_document_pdf", "GET"): [Rule("/api/v1/documents/{doc}/pdf", SEES_CASE, hides=True)],
    ("registers.list_documents", "GET"): [Rule("/api/v1/registers/documents", READERS)],
    ("api.start_contingent_order", "POST"): [Rule("/api/v1/contingent-orders", STARTERS, files=True)],
    ("api.collect_transfers", "POST"): [Rule("/api/v1/contingent-orders/transfers", STARTERS)],
    # a dean gets the list of the dean's own faculty
    ("registers.list_conscripts", "GET"): [Rule("/api/v1/registers/military",
                                                READERS | {"dean_it", "dean_econ"})],
    ("api.list_tasks", "GET"): [Rule("/api/v1/tasks", SIGNED_IN)],
    ("api.get_task", "GET"): [Rule("/api/v1/tasks/{task}", SEES_CASE, hides=True)],
    ("api.claim_task", "POST"): [Rule("/api/v1/tasks/{task}/claim", DEAN_IT, hides=True)],
    ("api.delegate_task", "POST"): [Rule("/api/v1/tasks/{task}/delegate", ASSIGNEE_OR_SUPERVISOR,
                                         hides=True, body={"username": "nobody"})],
    ("api.unclaim_task", "POST"): [Rule("/api/v1/tasks/{task}/unclaim", ASSIGNEE_OR_SUPERVISOR,
                                        hides=True)],
    ("api.complete_task", "POST"): [Rule("/api/v1/tasks/{task}/complete", DEAN_IT, hides=True,
                                         body={"data": {}})],
    ("admin.ops_status", "GET"): [Rule("/api/v1/admin/status", OPERATORS)],
    ("admin.list_incidents", "GET"): [Rule("/api/v1/admin/incidents", OPERATORS)],
    ("admin.retry_job", "POST"): [Rule("/api/v1/admin/jobs/{job}/retry", OPERATORS)],
    ("admin.skip_job", "POST"): [Rule("/api/v1/admin/jobs/{job}/skip", OPERATORS, body={"reason": "x"})],
    ("admin.migrate_cases", "POST"): [Rule("/api/v1/admin/processes/transfer_in/migrate", ADMINS,
                                           body={"to_version": 1})],
    ("api.send_message", "POST"): [Rule("/api/v1/messages", MESSAGE_SENDERS,
                                        body={"name": "enic_decision", "idempotency_key": "matrix-1"})],
    ("templates.list_templates", "GET"): [Rule("/api/v1/admin/templates", ADMINS)],
    ("templates.get_template", "GET"): [Rule("/api/v1/admin/templates/cert_study", ADMINS)],
    ("templates.upload_version", "POST"): [Rule("/api/v1/admin/templates/cert_study/versions", ADMINS,
                                                files=True)],
    ("templates.download_version", "GET"): [Rule("/api/v1/admin/templates/cert_study/ru/1", ADMINS)],
    ("templates.preview_version", "GET"): [
        Rule("/api/v1/admin/templates/order_transfer_in/ru/1/preview?case_id={case}&format=docx", ADMINS)],
    ("templates.activate_version", "POST"): [
        Rule("/api/v1/admin/templates/cert_study/kk/1/activate", ADMINS)],
    ("templates.rollback_version", "POST"): [
        Rule("/api/v1/admin/templates/cert_study/kk/1/rollback", ADMINS)],
    ("templates.get_settings", "GET"): [Rule("/api/v1/admin/settings", ADMINS)],
    ("templates.put_setting", "PUT"): [Rule("/api/v1/admin/settings/rector", ADMINS, body={"value": {}})],
    ("templates.settings_history", "GET"): [Rule("/api/v1/admin/settings/history", ADMINS)],
    ("reports.public_services", "GET"): [Rule("/api/v1/reports/public-services?month=2026-03",
                                              REPORT_READERS)],
    ("reports.public_services_chart", "GET"): [Rule("/api/v1/reports/public-services/chart.svg?month=2026-03",
                                                    REPORT_READERS)],
    ("reports.list_snapshots", "GET"): [Rule("/api/v1/reports/public-services/snapshots", REPORT_READERS)],
    ("reports.store_snapshot", "POST"): [Rule("/api/v1/reports/public-services/snapshots", REPORT_READERS,
                                              body={"month": "2026-03"})],
    ("reports.get_snapshot", "GET"): [Rule("/api/v1/reports/public-services/snapshots/{snapshot}",
                                           REPORT_READERS)],
    ("reports.contingent", "GET"): [Rule("/api/v1/reports/contingent?from=2026-03-01&to=2026-03-31",
                                         REPORT_READERS)],
    ("reports.dashboard", "GET"): [Rule("/api/v1/reports/dashboard", REPORT_READERS)],
    ("reports.student_body", "GET"): [Rule("/api/v1/reports/student-body", REPORT_READERS)],
    ("reports.list_complaints", "GET"): [Rule("/api/v1/reports/complaints?month=2026-03", REPORT_READERS)],
    ("reports.add_complaint", "POST"): [Rule("/api/v1/reports/complaints", STARTERS, body={
        "case_id": 999999, "received_on": "2026-03-20", "summary": "проверка прав"})],
    ("reports.dashboard_chart", "GET"): [Rule("/api/v1/reports/dashboard/on_time_trend.svg", REPORT_READERS)],
    # the academic record: read by whoever sees the student, written by the registrar office
    ("api.student_record", "GET"): [Rule("/api/v1/students/{student}/record", SEES_CASE, hides=True)],
    ("api.add_result", "POST"): [Rule("/api/v1/students/{student}/results", STARTERS, body={
        "discipline_code": "NONE", "academic_year": "2025-2026", "term": 1, "points": 50})],
    ("api.correct_result", "POST"): [Rule("/api/v1/results/999999/corrections", STARTERS,
                                          body={"points": 50})],
    ("api.import_record", "POST"): [Rule("/api/v1/record/imports", STARTERS, files=True)],
    ("api.record_imports", "GET"): [Rule("/api/v1/record/imports", STARTERS)],
    ("api.record_import", "GET"): [Rule("/api/v1/record/imports/999999", STARTERS)],
    ("api.transcript_rows", "POST"): [Rule("/api/v1/record/transcript-rows", STARTERS, files=True)],
    ("api.promotion", "GET"): [Rule("/api/v1/faculties/IT/promotion", SEES_CASE, hides=True)],
    ("api.create_sheet", "POST"): [Rule("/api/v1/grade-sheets", STARTERS, body={
        "group": "G", "discipline_code": "NONE", "academic_year": "2025-2026", "term": 1})],
    ("api.get_sheet", "GET"): [Rule("/api/v1/grade-sheets/999999", SHEET_READERS)],
    ("api.enter_lines", "PUT"): [Rule("/api/v1/grade-sheets/999999/lines", STARTERS,
                                      body={"lines": [{"iin": "1", "points": 50}]})],
    ("api.upload_lines", "POST"): [Rule("/api/v1/grade-sheets/999999/upload", STARTERS, files=True)],
    ("api.check_sheet", "POST"): [Rule("/api/v1/grade-sheets/999999/check", STARTERS)],
    ("api.reopen_sheet", "POST"): [Rule("/api/v1/grade-sheets/999999/reopen", STARTERS)],
    ("api.lock_sheet", "POST"): [Rule("/api/v1/grade-sheets/999999/lock", SHEET_LOCKERS)],
    ("api.correct_sheet", "POST"): [Rule("/api/v1/grade-sheets/999999/corrections", STARTERS,
                                         body={"student_id": 1, "points": 50})],
    # the record's imports in the staff UI (the registrar office)
    ("staff_record_imports.index", "GET"): [Rule("/app/record/imports/", STARTERS)],
    ("staff_record_imports.index", "POST"): [Rule("/app/record/imports/", STARTERS, files=True)],
    ("staff_record_imports.import_page", "GET"): [Rule("/app/record/imports/999999", STARTERS)],
    ("staff_record_imports.import_state", "GET"): [Rule("/app/record/imports/999999/state.json", STARTERS)],
    ("staff_record_imports.run_again", "POST"): [Rule("/app/record/imports/999999/again", STARTERS)],
    # the staff UI
    ("staff.static", "GET"): [Rule("/app/static/app.css", EVERYONE)],
    ("staff.login", "GET"): [Rule("/app/login", EVERYONE)],
    ("staff.login", "POST"): [Rule("/app/login", EVERYONE, fresh=True,
                                   body={"username": "registrar", "password": "secret-pass-1"})],
    ("staff.logout", "POST"): [Rule("/app/logout", EVERYONE, fresh=True)],
    ("staff.set_language", "GET"): [Rule("/app/lang/kk", EVERYONE)],
    ("staff.home", "GET"): [Rule("/app/", SIGNED_IN)],
    ("staff.inbox_page", "GET"): [Rule("/app/inbox?tab=group", SIGNED_IN)],
    ("staff.approve_selected", "POST"): [Rule("/app/inbox/approve", SIGNED_IN)],
    ("staff.sign_selected", "POST"): [Rule("/app/inbox/sign", SIGNED_IN)],  # each task checks its own
    ("staff.task_page", "GET"): [Rule("/app/tasks/{task}", SEES_CASE, hides=True)],
    ("staff.claim", "POST"): [Rule("/app/tasks/{task}/claim", DEAN_IT, hides=True)],
    ("staff.unclaim", "POST"): [Rule("/app/tasks/{task}/unclaim", ASSIGNEE_OR_SUPERVISOR, hides=True)],
    ("staff.complete", "POST"): [Rule("/app/tasks/{task}", DEAN_IT, hides=True)],
    ("staff.case_list", "GET"): [Rule("/app/cases", SIGNED_IN)],
    ("staff.case_page", "GET"): [Rule("/app/cases/{case}", SEES_CASE, hides=True)],
    ("staff.add_attachments", "POST"): [Rule("/app/cases/{case}/attachments", SEES_CASE, hides=True)],
    ("staff.cancel", "POST"): [Rule("/app/cases/{cancel}/cancel", frozenset({"registrar", "head", "admin"}),
                                    hides=True, body={"reason": "проверка прав"})],
    ("staff.register", "GET"): [Rule("/app/cases/new", STARTERS)],
    ("staff.register", "POST"): [Rule("/app/cases/new", STARTERS, body={"process": "transfer_in"})],
    ("staff.attachment", "GET"): [Rule("/app/attachments/{att}", SEES_CASE, hides=True)],
    ("staff.document", "GET"): [Rule("/app/documents/{doc}", SEES_CASE, hides=True)],
    ("staff.register_page", "GET"): [Rule("/app/registers?register=orders", READERS)],
    ("staff_students.student_page", "GET"): [Rule("/app/students/{student}", SEES_CASE, hides=True)],
    ("staff_students.student_list", "GET"): [Rule("/app/students/?q=Иванов", SIGNED_IN)],  # a dean: own
    ("staff.document_pdf", "GET"): [Rule("/app/documents/{doc}/pdf", SEES_CASE, hides=True)],
    ("staff.document_pdf_inline", "GET"): [Rule("/app/documents/{doc}/pdf/inline", SEES_CASE, hides=True)],
    ("staff.case_documents", "GET"): [Rule("/app/cases/{case}/documents.json", SEES_CASE, hides=True)],
    ("staff_reports.index", "GET"): [Rule("/app/reports/?month=2026-03", REPORT_READERS)],
    ("staff_reports.public_services_file", "GET"): [Rule("/app/reports/public-services.xlsx?month=2026-03",
                                                         REPORT_READERS)],
    ("staff_reports.contingent", "GET"): [
        Rule("/app/reports/contingent?from=2026-03-01&to=2026-03-31", REPORT_READERS)],
    ("staff_reports.students", "GET"): [Rule("/app/reports/students", REPORT_READERS)],
    ("staff_reports.students_file", "GET"): [Rule("/app/reports/students.xlsx", REPORT_READERS)],
    ("staff_reports.add_complaint", "POST"): [Rule("/app/reports/complaints", STARTERS, body={
        "case_id": "999999", "received_on": "2026-03-20", "summary": "проверка прав"})],
    ("staff_reports.contingent_file", "GET"): [
        Rule("/app/reports/contingent.xlsx?from=2026-03-01&to=2026-03-31", REPORT_READERS)],
    ("staff_sheets.sheet_list", "GET"): [Rule("/app/record/sheets/?status=draft", SHEET_READERS)],
    ("staff_sheets.new_sheet", "GET"): [Rule("/app/record/sheets/new", STARTERS)],
    ("staff_sheets.new_sheet", "POST"): [Rule("/app/record/sheets/new", STARTERS, body={"group": ""})],
    ("staff_sheets.sheet_page", "GET"): [Rule("/app/record/sheets/999999", SHEET_READERS)],
    ("staff_sheets.save_lines", "POST"): [Rule("/app/record/sheets/999999/lines", STARTERS,
                                               body={"points-1": "50"})],
    ("staff_sheets.upload", "POST"): [Rule("/app/record/sheets/999999/upload", STARTERS, files=True)],
    ("staff_sheets.check", "POST"): [Rule("/app/record/sheets/999999/check", STARTERS)],
    ("staff_sheets.reopen", "POST"): [Rule("/app/record/sheets/999999/reopen", STARTERS)],
    ("staff_sheets.lock", "GET"): [Rule("/app/record/sheets/999999/lock", SHEET_LOCKERS)],
    ("staff_sheets.lock", "POST"): [Rule("/app/record/sheets/999999/lock", SHEET_LOCKERS)],
    ("staff_batch.index", "GET"): [Rule("/app/batch-transfers/", STARTERS)],
    ("staff_batch.index", "POST"): [Rule("/app/batch-transfers/", STARTERS, body={"effective_date": ""})],
    ("staff_admin.index", "GET"): [Rule("/app/admin/", SIGNED_IN)],  # a redirect to what one may see
    ("staff_admin.users", "GET"): [Rule("/app/admin/users", ADMINS)],
    ("staff_admin.user_form", "GET"): [Rule("/app/admin/users/new", ADMINS),
                                       Rule("/app/admin/users/registrar", ADMINS)],
    ("staff_admin.user_form", "POST"): [Rule("/app/admin/users/new", ADMINS, body={"username": ""}),
                                        Rule("/app/admin/users/registrar", ADMINS, body={"full_name": ""})],
    ("staff_admin.faculties", "GET"): [Rule("/app/admin/faculties", ADMINS)],
    ("staff_admin.faculties", "POST"): [Rule("/app/admin/faculties", ADMINS, body={"code": ""})],
    ("staff_admin.substitutes", "GET"): [Rule("/app/admin/substitutes", ADMINS)],
    ("staff_admin.substitutes", "POST"): [Rule("/app/admin/substitutes", ADMINS, body={"user": ""})],
    ("staff_admin.end_substitute", "POST"): [Rule("/app/admin/substitutes/{sub}/end", ADMINS)],
    ("staff_admin.processes", "GET"): [Rule("/app/admin/processes", ADMINS)],
    ("staff_admin.templates", "GET"): [Rule("/app/admin/templates", ADMINS)],
    ("staff_admin.template", "GET"): [Rule("/app/admin/templates/cert_study", ADMINS)],
    ("staff_admin.upload_template", "POST"): [Rule("/app/admin/templates/cert_study", ADMINS,
                                                   body={"language": "ru"})],
    ("staff_admin.activate_template", "POST"): [
        Rule("/app/admin/templates/cert_study/ru/1/activate", ADMINS)],
    ("staff_admin.roll_back_template", "POST"): [
        Rule("/app/admin/templates/cert_study/ru/1/rollback", ADMINS)],
    ("staff_admin.template_file", "GET"): [Rule("/app/admin/templates/cert_study/ru/1/file", ADMINS)],
    ("staff_admin.template_preview", "GET"): [
        Rule("/app/admin/templates/order_transfer_in/ru/1/preview.docx?case_id={case}", ADMINS)],
    ("staff_admin.settings", "GET"): [Rule("/app/admin/settings", ADMINS)],
    ("staff_admin.settings", "POST"): [Rule("/app/admin/settings", ADMINS, body={"key": "rector"})],
    ("staff_admin.incidents", "GET"): [Rule("/app/admin/incidents", OPERATORS)],
    ("staff_admin.retry", "POST"): [Rule("/app/admin/incidents/{job2}/retry", OPERATORS)],
    ("staff_admin.skip", "POST"): [Rule("/app/admin/incidents/{job2}/skip", OPERATORS, body={"reason": "x"})],
}


def test_every_route_has_a_rule(app):
    routes = {(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - RULES.keys())
    assert not missing, f"routes without an authorization rule in {__name__}.RULES: {missing}"
    stale = sorted(RULES.keys() - routes)
    assert not stale, f"rules for routes that no longer exist: {stale}"


@pytest.fixture
def world(app, ctx, client, people) -> dict[str, Any]:
    """An IT-faculty case waiting for its dean, a case with its issued order, an attachment, a
    case to cancel, two failed background jobs, a substitution, and a deactivated user with
    a live token and a live session."""
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    case_id = _start(client, people)["id"]
    complete(client, people, "registrar", case_id, "check_documents", ALL_DOCS)
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == "determine_difference"))
    ordered = _start(client, people, iin=make_iin(date(2004, 3, 9), "M", 4322))["id"]  # another person
    for spec, data in TO_ORDER.items():
        user = {"check_documents": "registrar", "determine_difference": "dean_it",
                "paid_contract": "accountant", "vr_approval": "vicerector"}[spec]
        complete(client, people, user, ordered, spec, data)
    assert drain(ctx) >= 1
    with ctx.db.read() as session:
        doc = session.scalars(select(Document).where(Document.case_id == ordered)).first()
    registrar = Staff(app, "registrar")
    registrar.post(f"/app/cases/{case_id}/attachments", {"attachments": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
                   content_type="multipart/form-data")
    from server.models import Attachment

    with ctx.db.read() as session:
        attachment_id = session.scalar(select(Attachment.id))
    jobs = []
    for _ in range(2):
        job_id = enqueue_probe(ctx, Actor.system(), fail_times=99)
        with ctx.db.unit_of_work() as session:
            session.execute(update(OutboxJob).where(OutboxJob.id == job_id)
                            .values(status="failed", attempts=5, last_error="x"))
        jobs.append(job_id)
    with ctx.db.unit_of_work() as session:
        ids = dict(session.execute(select(User.username, User.id)).all())
        row = Substitution(user_id=ids["rector"], substitute_id=ids["vicerector"],
                           starts_on=ctx.local_today().replace(year=2030), ends_on=ctx.local_today()
                           .replace(year=2030))
        session.add(row)
        session.flush()
        substitution_id = row.id
    # a user who is deactivated while holding a token and a signed-in session
    from server.services.people.users import NewUser, create_token, create_user

    create_user(ctx, NewUser("gone", "Уволенный", ("registrar",), "secret-pass-1"))
    token = create_token(ctx, "gone")
    gone_ui = Staff(app, "gone")
    with ctx.db.unit_of_work() as session:
        session.execute(update(User).where(User.username == "gone").values(active=False))
    headers = {**people, ANONYMOUS: {}, DISABLED: {"Authorization": f"Bearer {token}"}}
    sessions = {name: Staff(app, name) for name in STAFF}
    sessions[ANONYMOUS] = Staff(app)
    sessions[DISABLED] = gone_ui
    from server.services.reports import public_services as reports

    stored = reports.store_public_services(ctx, Actor.system(), reports.month_period("2026-02"))

    from tests.integration.api import add_student

    student_id = add_student(ctx, make_iin(date(2004, 3, 9), "M", 4399), "IT")
    return {"values": {"snapshot": stored.snapshot_id, "case": case_id, "task": task_id, "doc": doc.id,
                       "att": attachment_id,
                       "job": jobs[0], "job2": jobs[1], "sub": substitution_id,
                       "cancel": _start(client, people, iin=make_iin(date(2004, 3, 9), "M", 4323))["id"],
                       "code": doc.verification_code or "none",
                       "student": student_id},
            "headers": headers, "sessions": sessions}


def _refused(status: int, location: str, rule: Rule) -> bool:
    if rule.allowed == EVERYONE:  # public pages: sign-in, sign-out, language, health, checks
        return status in (401, 403)
    return status in (401, 403) or (status == 302 and "/app/login" in location) or (
        rule.hides and status == 404)


def _call(app, world, method: str, rule: Rule, persona: str):  # type: ignore[no-untyped-def]
    path = rule.path.format(**world["values"])
    if path.startswith("/app/"):
        staff = world["sessions"][persona]
        if rule.fresh:
            staff = Staff(app, None if persona in (ANONYMOUS, DISABLED) else persona)
        data: dict[str, Any] = dict(rule.body)
        if method == "POST":
            data["csrf_token"] = staff.csrf()
        if method == "GET":
            return staff.client.get(path)
        return staff.client.post(path, data=data)
    client = app.test_client()
    headers = world["headers"][persona]
    if method == "GET":
        return client.get(path, headers=headers)
    if method == "PUT":
        return client.put(path, headers=headers, json=rule.body)
    if rule.files:
        upload = (FIXTURES / "approval.bpmn").read_bytes()
        return client.post(path, headers=headers, data={"file": (io.BytesIO(upload), "approval.bpmn")},
                           content_type="multipart/form-data")
    return client.post(path, headers=headers, json=rule.body)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_routes_by_persona(app, world, monkeypatch):
    monkeypatch.setenv("REGOFFICE_SOFFICE", "")  # PDF: the rule is checked, not LibreOffice
    problems = []
    for (_endpoint, method), rules in RULES.items():
        for rule in rules:
            order = sorted(PERSONAS, key=lambda p: p in rule.allowed)  # refused ones first
            for persona in order:
                r = _call(app, world, method, rule, persona)
                refused = _refused(r.status_code, r.headers.get("Location", ""), rule)
                expected = persona not in rule.allowed
                broken = r.status_code >= 500 and r.status_code != 503  # 503: no worker, no LibreOffice
                if refused != expected or broken:
                    problems.append(f"{method} {rule.path} as {persona}: {r.status_code} "
                                    f"({'refused' if refused else 'allowed'}, expected "
                                    f"{'refused' if expected else 'allowed'})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_ui_session_is_not_an_api_credential(app, world):
    staff = world["sessions"]["admin"]
    assert staff.client.get("/api/v1/cases").status_code == 401
    assert staff.client.get("/api/v1/admin/status").status_code == 401
