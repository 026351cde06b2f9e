"""`regoffice cases …`: moving a procedure's open cases to another deployed version."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from server.auth import Actor
from server.cli_common import ctx as _ctx
from server.cli_common import fail as _fail
from server.services.errors import DomainError


@click.group()
def cases() -> None:
    """Cases: migrate open cases between versions of their procedure."""


@cases.command("migrate")
@click.argument("procedure")
@click.option("--to", "to_version", type=int, required=True, help="the deployed version to move to")
@click.option("--dry-run", is_flag=True, help="list what would happen; change nothing")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def cases_migrate(procedure: str, to_version: int, dry_run: bool, as_json: bool) -> None:
    """Move the open cases of PROCEDURE to version --to (those whose current steps exist in it)."""
    from server.services.cases.migration import migrate_cases

    try:
        items = migrate_cases(_ctx(), Actor.system(), procedure, to_version, dry_run=dry_run)
    except DomainError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps([asdict(i) for i in items], ensure_ascii=False, indent=2))
        return
    for i in items:
        steps = ", ".join(i.at) or "—"
        line = f"дело №{i.case_id}: версия {i.from_version} → {i.to_version}: {i.action} (шаги: {steps})"
        click.echo(line + (f" — {i.reason}" if i.reason else ""))
    moved = sum(i.action in ("migrate", "migrated") for i in items)
    verb = "можно перенести" if dry_run else "перенесено"
    click.echo(f"Дел: {len(items)}, {verb}: {moved}, остаются: {len(items) - moved}")
