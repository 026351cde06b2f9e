"""`regoffice report …`: the monthly public-service report, contingent movement, the dashboard.
Like the other commands, each imports its services when it runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from server.auth import Actor
from server.cli_common import ctx as _ctx
from server.cli_common import fail as _fail
from server.cli_common import json_default as _json_default
from server.services.errors import DomainError


@click.group()
def report() -> None:
    """Reports: the monthly public-service report, contingent movement, the dashboard."""


def _pipeline(label: str, stages: list[tuple[str, Callable[[Any], Any]]]) -> Any:
    """Run the stages in order under click's progress bar (on stderr), each given the previous
    stage's result; return the last result."""
    result: Any = None
    with click.progressbar(stages, label=label, file=sys.stderr,
                           item_show_func=lambda s: s[0] if s else None) as bar:
        for _name, run in bar:
            result = run(result)
    return result


def _write_report(data: bytes | str, out: Path | None) -> None:
    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            click.echo(data)
        return
    out.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    click.echo(f"Записано: {out}", err=True)


def _as_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


@report.command("public-services")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx", "docx"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output; required for xlsx/docx)")
@click.option("--live", is_flag=True, help="Compute now even if the month's report is stored.")
@click.option("--store", is_flag=True, help="Store the month's report (once) before printing it.")
def report_public_services(month: str, fmt: str, out: Path | None, live: bool, store: bool) -> None:
    """The public-service report for a month (the stored snapshot when there is one)."""
    from server.services.reports import export as reports_export
    from server.services.reports import public_services as reports

    if fmt != "json" and out is None:
        raise click.UsageError("для xlsx и docx укажите --out FILE")
    ctx, actor = _ctx(), Actor.system()
    try:
        period = reports.month_period(month)
        if store:
            stored = reports.store_public_services(ctx, actor, period)
            click.echo(f"Отчёт за {stored.period}: {'сохранён' if stored.created else 'уже сохранён'} "
                       f"(№ {stored.snapshot_id}, {stored.generated_at.astimezone(ctx.tz):%d.%m.%Y %H:%M})",
                       err=True)
        exporters: dict[str, Callable[[Any], Any]] = {
            "json": _as_json, "xlsx": lambda r: reports_export.public_services_xlsx(ctx, r),
            "docx": lambda r: reports_export.public_services_docx(ctx, r)}
        data = _pipeline("Формирование отчёта", [
            ("данные", lambda _: reports.public_services(ctx, actor, period, live=live)),
            ("файл", exporters[fmt])])
    except DomainError as exc:
        _fail(exc)
        return
    _write_report(data, out)


@report.command("contingent")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def report_contingent(first: Any, last: Any, fmt: str, out: Path | None) -> None:
    """Contingent movement from the issued orders for a period."""
    from server.services.reports import export as reports_export
    from server.services.reports import public_services as reports
    from server.services.reports import statistics as report_stats

    if fmt != "json" and out is None:
        raise click.UsageError("для xlsx укажите --out FILE")
    ctx = _ctx()
    try:
        period = reports.range_period(first.date(), last.date())
        data = _pipeline("Движение контингента", [
            ("данные", lambda _: report_stats.contingent(ctx, Actor.system(), period)),
            ("файл", _as_json if fmt == "json" else lambda r: reports_export.contingent_xlsx(ctx, r))])
    except DomainError as exc:
        _fail(exc)
        return
    _write_report(data, out)


@report.command("dashboard")
@click.option("--chart", type=click.Choice(["in_progress", "on_time_trend", "processing_time"]),
              default=None, help="Print this chart as SVG instead of the JSON figures.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def report_dashboard(chart: str | None, out: Path | None) -> None:
    """The dashboard's figures (JSON) or one of its charts (SVG)."""
    from server.services.reports import charts
    from server.services.reports import statistics as report_stats

    ctx = _ctx()
    data = _pipeline("Панель показателей", [
        ("данные", lambda _: report_stats.dashboard(ctx, Actor.system())),
        ("вывод", charts.DASHBOARD_CHARTS[chart] if chart else _as_json)])
    _write_report(data, out)


