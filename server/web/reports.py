"""Reports in the staff UI (/app/reports): the monthly public-service report for ДВПО with
its chart, printable files (XLSX; DOCX in Russian or Kazakh) and the complaints it counts,
stored monthly reports, the dashboard with server-drawn charts (the index page); the
contingent movement over a period (/contingent) and the student body on a date (/students),
each with its XLSX. Figures come from server/services/reports/*, the same as the API's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from apiflask import APIBlueprint
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.downloads import send_bytes
from server.services.errors import Invalid, tr
from server.services.reports import charts, complaints
from server.services.reports import export as reports_export
from server.services.reports import public_services as reports
from server.services.reports import statistics as report_stats
from server.services.reports import student_body as report_body
from server.services.reports.printed import definitions
from server.web.i18n import lang, localized_fields, localized_message
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


def _date(name: str, default: date | None = None, source: Any = None) -> date:
    raw = (source if source is not None else request.args).get(name, "").strip()
    if not raw and default is not None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid("Укажите дату в виде ГГГГ-ММ-ДД", {name: tr("Неверная дата")}) from None


def _at(report: dict[str, Any]) -> datetime:
    """When the report was generated, in the office's time zone (shown as dd.mm.yyyy HH:MM)."""
    return datetime.fromisoformat(report["generated_at"]).astimezone(ctx().tz)


def _docx_lang() -> str:
    chosen = request.args.get("lang") or lang()
    return chosen if chosen in ("ru", "kk") else "ru"


@reports_ui_bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    month = _month()
    live = request.args.get("live") == "1"
    report = reports.public_services(ctx(), actor(), reports.month_period(month), live=live)
    dash = report_stats.dashboard(ctx(), actor())
    dashboard_charts = {name: draw(dash, lang()) for name, draw in charts.DASHBOARD_CHARTS.items()}
    snapshots = [{**s, "at": datetime.fromisoformat(s["generated_at"]).astimezone(ctx().tz)}
                 for s in reports.list_snapshots(ctx(), actor())]
    return render_template("staff/reports.html", month=month, live=live, report=report,
                           generated=_at(report), first=date.fromisoformat(report["from"]),
                           last=date.fromisoformat(report["to"]),
                           chart=charts.on_time_vs_late(report, lang()), dash=dash, charts=dashboard_charts,
                           snapshots=snapshots, definitions=definitions(report, lang()))


@reports_ui_bp.post("/complaints")
@login_required
def add_complaint():  # type: ignore[no-untyped-def]
    complaints.check_recorder(actor())
    form = request.form
    month = form.get("month") or _month()
    try:
        case_raw = form.get("case_id", "").strip().lstrip("№").strip()
        if not case_raw.isdigit():
            reason = tr("Укажите номер дела (число)")
            raise Invalid("Жалоба не зарегистрирована: %(first)s", {"case_id": reason}, first=reason)
        row = complaints.record_complaint(ctx(), actor(), complaints.ComplaintIn(
            int(case_raw), _date("received_on", source=form), form.get("summary", "")))
    except Invalid as exc:
        flash(f"{localized_message(exc)} ({'; '.join(localized_fields(exc).values())})", "error")
    else:
        flash(_("Complaint registered on case № %(id)s.", id=row["case_id"]), "info")
    return redirect(url_for("staff_reports.index", month=month))


@reports_ui_bp.get("/public-services.<fmt>")
@login_required
def public_services_file(fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in FILES:
        raise Invalid("Формат: xlsx или docx", {"format": tr("Неизвестный формат")})
    report = reports.public_services(ctx(), actor(), reports.month_period(_month()),
                                     live=request.args.get("live") == "1")
    if fmt == "xlsx":
        return send_bytes(reports_export.public_services_xlsx(ctx(), report), FILES[fmt],
                          f"gosuslugi_{report['period']}.xlsx")
    chosen = _docx_lang()
    return send_bytes(reports_export.public_services_docx(ctx(), report, chosen), FILES[fmt],
                      f"gosuslugi_{report['period']}{'_kk' if chosen == 'kk' else ''}.docx")


def _movement_period() -> reports.Period:
    today = ctx().local_today()
    return reports.range_period(_date("from", today.replace(day=1)), _date("to", today))


@reports_ui_bp.get("/contingent")
@login_required
def contingent():  # type: ignore[no-untyped-def]
    period = _movement_period()
    report = report_stats.contingent(ctx(), actor(), period)
    return render_template("staff/reports_contingent.html", report=report, first=period.first,
                           last=period.last, generated=_at(report))


@reports_ui_bp.get("/contingent.xlsx")
@login_required
def contingent_file():  # type: ignore[no-untyped-def]
    period = _movement_period()
    report = report_stats.contingent(ctx(), actor(), period)
    return send_bytes(reports_export.contingent_xlsx(ctx(), report, _docx_lang()), reports_export.XLSX,
                      f"contingent_{period.label}.xlsx")


@reports_ui_bp.get("/students")
@login_required
def students():  # type: ignore[no-untyped-def]
    on = _date("on", ctx().local_today())
    report = report_body.student_body(ctx(), actor(), on)
    return render_template("staff/reports_students.html", report=report, on=on, generated=_at(report))


@reports_ui_bp.get("/students.xlsx")
@login_required
def students_file():  # type: ignore[no-untyped-def]
    on = _date("on", ctx().local_today())
    report = report_body.student_body(ctx(), actor(), on)
    return send_bytes(reports_export.student_body_xlsx(ctx(), report, _docx_lang()), reports_export.XLSX,
                      f"students_{report['on']}.xlsx")
