"""Reports in the staff UI (/app/reports): the monthly public-service report for ДВПО with
its chart and printable files, stored monthly reports, the dashboard with server-drawn
charts, and the contingent movement export. Figures come from server/services/reports*.py,
the same as the API's."""

from __future__ import annotations

from datetime import date
from typing import Any

from apiflask import APIBlueprint
from flask import render_template, request

from server.downloads import send_bytes
from server.services.errors import Invalid, tr
from server.services.reports import charts
from server.services.reports import export as reports_export
from server.services.reports import public_services as reports
from server.services.reports import statistics as report_stats
from server.web.session import actor, check_csrf, ctx, login_required

reports_ui_bp = APIBlueprint("staff_reports", __name__, url_prefix="/app/reports",
                             template_folder="templates", enable_openapi=False)
FILES = {"xlsx": reports_export.XLSX, "docx": reports_export.DOCX}


@reports_ui_bp.before_request
def _protect() -> None:
    check_csrf()


def _month() -> str:
    month = request.args.get("month", "").strip()
    if not month:
        previous = reports.previous_month(ctx().local_today())
        month = previous.label
    return month


def _date(name: str) -> date:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid("Укажите даты периода (ГГГГ-ММ-ДД)", {name: tr("Неверная дата")}) from None


@reports_ui_bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    month = _month()
    live = request.args.get("live") == "1"
    report = reports.public_services(ctx(), actor(), reports.month_period(month), live=live)
    dash = report_stats.dashboard(ctx(), actor())
    dashboard_charts = {name: draw(dash) for name, draw in charts.DASHBOARD_CHARTS.items()}
    return render_template("staff/reports.html", month=month, live=live, report=report,
                           chart=charts.on_time_vs_late(report), dash=dash, charts=dashboard_charts,
                           snapshots=reports.list_snapshots(ctx(), actor()))


@reports_ui_bp.get("/public-services.<fmt>")
@login_required
def public_services_file(fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in FILES:
        raise Invalid("Формат: xlsx или docx", {"format": tr("Неизвестный формат")})
    report = reports.public_services(ctx(), actor(), reports.month_period(_month()),
                                     live=request.args.get("live") == "1")
    build: Any = reports_export.public_services_xlsx if fmt == "xlsx" else reports_export.public_services_docx
    return send_bytes(build(ctx(), report), FILES[fmt], f"gosuslugi_{report['period']}.{fmt}")


@reports_ui_bp.get("/contingent.xlsx")
@login_required
def contingent_file():  # type: ignore[no-untyped-def]
    period = reports.range_period(_date("from"), _date("to"))
    report = report_stats.contingent(ctx(), actor(), period)
    return send_bytes(reports_export.contingent_xlsx(ctx(), report), reports_export.XLSX,
                      f"contingent_{period.label}.xlsx")
