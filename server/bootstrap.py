"""The composition root: an application context with its operators. Entry points (the web
app, the command line, the Celery app, tests and benches) build their context here; the
services receive it and never import the operators themselves (no import cycle)."""

from __future__ import annotations

from typing import Any

from server.config import Settings
from server.db import Database, DbLimits
from server.hot_path import check_mappers
from server.services.context import AppContext
from server.services.operators import build_registry


def build_context(settings: Settings, *, database: bool = True, **engine_kwargs: Any) -> AppContext:
    """The context the services run in. `database=False`: no connection at all (`regoffice
    check` validates files only). Refuses classes the hot path would write wrongly."""
    check_mappers()
    if not database:
        return AppContext(settings, None, build_registry())  # type: ignore[arg-type]
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    database_ = Database(settings.database_url, DbLimits.of(settings), **engine_kwargs)
    return AppContext(settings, database_, build_registry())
