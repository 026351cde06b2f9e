"""`regoffice record …`: the academic record's imports and the promotion list."""

from __future__ import annotations

import json
from pathlib import Path

import click

from server.auth import Actor
from server.cli_common import ctx as _ctx
from server.cli_common import fail as _fail
from server.services.errors import DomainError


@click.group()
def record() -> None:
    """The academic record: import transcripts and curricula, the promotion list."""


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise click.BadParameter(f"ожидается поле=столбец: {pair}", param_hint="--map")
        mapping[field.strip()] = column.strip()
    return mapping


class _Steps:
    """Progress lines on stderr, one per 10 % (a file of 900,000 rows runs for minutes):
    «проверено 30 % (270000 из 900000 строк)»."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if tenth > self.shown:
            self.shown = tenth
            click.echo(f"{self.verb} {tenth * 10} % ({done} из {total} строк)", err=True)


@record.command("import")
@click.argument("kind", type=click.Choice(["transcripts", "curricula"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map", "pairs", multiple=True, metavar="FIELD=COLUMN",
              help="the file's column for a field (repeatable), e.g. --map iin=ИИН")
@click.option("--dry-run", is_flag=True, help="check and report every row; write nothing")
@click.option("--json", "as_json", is_flag=True, help="print the per-row report as JSON")
def record_import(kind: str, path: Path, pairs: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Import a CSV/XLSX export of KIND (all or nothing: any refused row stops the import)."""
    from server.services.record import import_jobs, imports

    content = path.read_bytes()
    try:
        if kind == "curricula":
            report = imports.import_curricula(_ctx(), Actor.system(), path.name, content,
                                              mapping=_mapping(pairs), dry_run=dry_run)
        else:
            report = imports.import_transcripts(_ctx(), Actor.system(), path.name, content,
                                                mapping=_mapping(pairs), dry_run=dry_run,
                                                checking=_Steps("проверено"), progress=_Steps("записано"),
                                                limits=import_jobs.QUEUED_LIMITS)
    except DomainError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps({"kind": report.kind, "dry_run": report.dry_run, "import_id": report.import_id,
                               "rows": [r.__dict__ for r in report.rows]}, ensure_ascii=False))
        return
    for r in report.refused:
        click.echo(f"строка {r.row}: {r.iin or '—'} {r.discipline or '—'}: {r.reason}")
    statuses = ("new", "updated", "unchanged", "refused")
    counts = ", ".join(f"{status}: {report.count(status)}" for status in statuses if report.count(status))
    click.echo(f"{counts or 'пустой файл'}" + (" (пробный запуск, ничего не записано)" if dry_run else ""))


@record.command("promotion")
@click.argument("faculty")
@click.option("--min-gpa", type=float, default=None, help="the threshold (default: config/grading.yaml)")
def record_promotion(faculty: str, min_gpa: float | None) -> None:
    """The students of FACULTY (code) who do not move up: academic debt or GPA under the threshold."""
    from server.services.record.queries import promotion_list

    try:
        stays = promotion_list(_ctx(), Actor.system(), faculty, min_gpa)
    except DomainError as exc:
        _fail(exc)
        return
    for s in stays:
        gpa = f"{s.gpa:.2f}" if s.gpa is not None else "—"
        click.echo(f"{s.iin}\t{s.full_name}\t{s.year}\t{s.group or '—'}\tGPA {gpa}\tдолгов: {s.debts}")
    click.echo(f"Остаются: {len(stays)}")
