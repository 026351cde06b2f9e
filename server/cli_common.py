"""What the `regoffice` commands share: their context, how they report a refusal, JSON."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from server.bootstrap import build_context
from server.config import Settings
from server.services.context import AppContext
from server.services.errors import DomainError


def ctx() -> AppContext:
    return build_context(Settings.from_env())


def fail(exc: DomainError) -> None:
    """Print a refusal with its fields (Russian, as the services say it) and exit 2."""
    click.secho(f"Ошибка: {exc.message}", fg="red", err=True)
    for field, reason in exc.fields.items():
        click.secho(f"  {field}: {reason}", fg="red", err=True)
    sys.exit(2)


def json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
