"""Reports: the monthly public-service report (JSON, XLSX, DOCX; stored snapshots), contingent
movement statistics, the dashboard and its SVG charts (registrar head, vice-rector, admins)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from apiflask import APIBlueprint
from flask import Response

from server.api import report_schemas as rs
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, ctx
from server.downloads import send_bytes
from server.services.errors import Invalid, NotFound, tr
from server.services.reports import charts, complaints
from server.services.reports import export as reports_export
from server.services.reports import public_services as reports
from server.services.reports import statistics as report_stats
from server.services.reports import student_body as report_body

reports_bp = APIBlueprint("reports", __name__, url_prefix="/api/v1/reports", tag="reports")
FILES = {"xlsx": reports_export.XLSX, "docx": reports_export.DOCX}
SVG = "image/svg+xml"


def _file_doc(schema: Any, *types: str) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}, **{t: {} for t in types}}
    return {"responses": {**_auth_doc(422)["responses"],
                          200: {"description": "JSON, or the file for format", "content": content}}}


def _svg_doc(*extra: int) -> dict[str, Any]:
    return {"responses": {**_auth_doc(*extra)["responses"],
                          200: {"description": "SVG drawn by the server", "content": {SVG: {}}}}}


def _send(data: bytes, fmt: str, name: str) -> Response:
    return send_bytes(data, FILES[fmt], f"{name}.{fmt}")


def _period(query: dict[str, Any]) -> reports.Period:
    if query.get("month"):
        return reports.month_period(query["month"])
    if query.get("date_from") and query.get("date_to"):
        return reports.range_period(query["date_from"], query["date_to"])
    raise Invalid("Укажите месяц (month=ГГГГ-ММ) или период (from и to)", {"month": tr("Обязательное поле")})


@reports_bp.get("/public-services")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.PublicServicesQueryIn, location="query", arg_name="query")
@reports_bp.output(rs.PublicServicesOut)
@reports_bp.doc(summary="Public-service report for a month (the stored snapshot when there is one) "
                "or a date range; format=xlsx|docx for the printable files",
                **_file_doc(rs.PublicServicesOut, reports_export.XLSX, reports_export.DOCX))
def public_services(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    report = reports.public_services(ctx(), current_actor(), _period(query), live=query["live"])
    fmt = query["format"]
    if fmt == "xlsx":
        return _send(reports_export.public_services_xlsx(ctx(), report), fmt, f"gosuslugi_{report['period']}")
    if fmt == "docx":
        lang = query["lang"]
        return _send(reports_export.public_services_docx(ctx(), report, lang), fmt,
                     f"gosuslugi_{report['period']}{'_kk' if lang == 'kk' else ''}")
    return report


@reports_bp.post("/complaints")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.ComplaintIn, arg_name="body")
@reports_bp.output(rs.ComplaintOut, status_code=201)
@reports_bp.doc(summary="Register a complaint about a public service (counted by the monthly report "
                "in the month it came in)", **_auth_doc(422))
def add_complaint(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return complaints.record_complaint(ctx(), current_actor(), complaints.ComplaintIn(**body))


@reports_bp.get("/complaints")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.ComplaintQueryIn, location="query", arg_name="query")
@reports_bp.output(rs.ComplaintListOut)
@reports_bp.doc(summary="Complaints received in a month", **_auth_doc(422))
def list_complaints(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    return {"items": complaints.list_complaints(ctx(), current_actor(), reports.month_period(query["month"]))}


@reports_bp.get("/public-services/chart.svg")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.PublicServicesQueryIn, location="query", arg_name="query")
@reports_bp.doc(summary="The report's chart: on time vs late per service (SVG)", **_svg_doc(422))
def public_services_chart(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    report = reports.public_services(ctx(), current_actor(), _period(query), live=query["live"])
    return Response(charts.on_time_vs_late(report), mimetype=SVG)


@reports_bp.get("/public-services/snapshots")
@reports_bp.auth_required(token_auth)
@reports_bp.output(rs.SnapshotListOut)
@reports_bp.doc(summary="Stored monthly reports (snapshots with their generation time)", **_auth_doc())
def list_snapshots():  # type: ignore[no-untyped-def]
    return {"items": reports.list_snapshots(ctx(), current_actor())}


@reports_bp.post("/public-services/snapshots")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.SnapshotIn, arg_name="body")
@reports_bp.output(rs.StoredReportOut)
@reports_bp.doc(summary="Store a month's report now (idempotent: a stored month stays as it is)",
                **_auth_doc(422))
def store_snapshot(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    period = reports.month_period(body["month"])
    return asdict(reports.store_public_services(ctx(), current_actor(), period))


@reports_bp.get("/public-services/snapshots/<int:snapshot_id>")
@reports_bp.auth_required(token_auth)
@reports_bp.output(rs.PublicServicesOut)
@reports_bp.doc(summary="One stored report", **_auth_doc())
def get_snapshot(snapshot_id: int):  # type: ignore[no-untyped-def]
    return reports.get_snapshot(ctx(), current_actor(), snapshot_id)


@reports_bp.get("/contingent")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.ContingentQueryIn, location="query", arg_name="query")
@reports_bp.output(rs.ContingentOut)
@reports_bp.doc(summary="Contingent movement from the registry's recorded changes (student_changes) "
                "per faculty, programme, form, funding basis and citizenship: opening, movements by "
                "kind and reason, closing, reconciled per faculty; format=xlsx",
                **_file_doc(rs.ContingentOut, reports_export.XLSX))
def contingent(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    period = reports.range_period(query["date_from"], query["date_to"])
    report = report_stats.contingent(ctx(), current_actor(), period)
    if query["format"] == "xlsx":
        return _send(reports_export.contingent_xlsx(ctx(), report), "xlsx", f"contingent_{period.label}")
    return report


@reports_bp.get("/student-body")
@reports_bp.auth_required(token_auth)
@reports_bp.input(rs.StudentBodyQueryIn, location="query", arg_name="query")
@reports_bp.output(rs.StudentBodyOut)
@reports_bp.doc(summary="Students on a date (1-НК / 3-НК style): by course, form, language, funding, "
                "citizenship, sex, age, level, faculty; today from the registry, an earlier date from the "
                "registry with the later orders' changes undone; format=xlsx",
                **_file_doc(rs.StudentBodyOut, reports_export.XLSX))
def student_body(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    report = report_body.student_body(ctx(), current_actor(), query["on"])
    if query["format"] == "xlsx":
        return _send(reports_export.student_body_xlsx(ctx(), report), "xlsx", f"students_{report['on']}")
    return report


@reports_bp.get("/dashboard")
@reports_bp.auth_required(token_auth)
@reports_bp.output(rs.DashboardOut)
@reports_bp.doc(summary="Dashboard: cases in progress per procedure and faculty, overdue now, "
                "average processing time in working days, on-time rate by month", **_auth_doc())
def dashboard():  # type: ignore[no-untyped-def]
    return report_stats.dashboard(ctx(), current_actor())


@reports_bp.get("/dashboard/<chart>.svg")
@reports_bp.auth_required(token_auth)
@reports_bp.doc(summary="A dashboard chart drawn by the server: in_progress, on_time_trend or "
                "processing_time (SVG)", **_svg_doc())
def dashboard_chart(chart: str):  # type: ignore[no-untyped-def]
    draw = charts.DASHBOARD_CHARTS.get(chart)
    if draw is None:
        raise NotFound("Нет такой диаграммы; есть: %(charts)s", charts=", ".join(charts.DASHBOARD_CHARTS))
    return Response(draw(report_stats.dashboard(ctx(), current_actor())), mimetype=SVG)
