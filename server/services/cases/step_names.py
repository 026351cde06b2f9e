"""A step's name in the UI's language.

A model names its steps in Russian; the properties nameKk and nameEn name them in Kazakh and
English (`server/engine/metadata.py`), and deploy keeps them in each version's task metadata
(`name_kk`, `name_en`). A task row keeps only the Russian name, so the inbox and the task page
look the other names up here: the names of a procedure's steps (every deployed version, the
newest winning) are read in one query and kept for a minute, so a page of fifty tasks costs
at most one read per procedure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from server.models import ProcessDefinition
from server.services.context import AppContext

TTL_SECONDS = 60.0
Names = dict[str, dict[str, str]]  # spec name -> {"kk": ..., "en": ...}
_CACHE: dict[tuple[str, str], tuple[float, Names]] = {}


def names_from_meta(task_meta: Mapping[str, Any]) -> Names:
    """The Kazakh and English names of a version's user tasks (its stored task metadata)."""
    found: Names = {}
    for spec_name, meta in task_meta.items():
        if not isinstance(meta, Mapping):
            continue
        words = {lang: str(meta[f"name_{lang}"]) for lang in ("kk", "en") if meta.get(f"name_{lang}")}
        if words:
            found[spec_name] = words
    return found


def _load(ctx: AppContext, process_id: str) -> Names:
    with ctx.db.read() as session:
        rows = session.execute(select(ProcessDefinition.task_meta).where(
            ProcessDefinition.process_id == process_id).order_by(ProcessDefinition.version)).scalars()
        found: Names = {}
        for task_meta in rows:
            found.update(names_from_meta(task_meta or {}))
        return found


def procedure_names(ctx: AppContext, process_id: str) -> Names:
    """The names of `process_id`'s user tasks in Kazakh and English, read at most once a
    minute (a new version's names show within that minute)."""
    key = (ctx.db.url, process_id)
    now = time.monotonic()
    cached = _CACHE.get(key)
    if cached is not None and now - cached[0] < TTL_SECONDS:
        return cached[1]
    names = _load(ctx, process_id)
    if len(_CACHE) > 1024:
        _CACHE.clear()
    _CACHE[key] = (now, names)
    return names


def task_name(ctx: AppContext, process_id: str | None, spec_name: str | None, lang: str) -> str | None:
    """The task's name in `lang` (kk, en) as its model gives it; None when the model gives
    none (a version deployed before the models named their steps, a model from elsewhere)."""
    if lang == "ru" or not process_id or not spec_name:
        return None
    return procedure_names(ctx, process_id).get(spec_name, {}).get(lang)


def history_names(task_meta: Mapping[str, Any], lang: str) -> dict[str, str]:
    """spec name -> the step's name in `lang`, for a case's history (the events of a completed
    task name the step by its spec name); Russian where the model gives no other name."""
    names: dict[str, str] = {}
    for spec_name, meta in task_meta.items():
        if not isinstance(meta, Mapping):
            continue
        name = (meta.get(f"name_{lang}") if lang != "ru" else None) or meta.get("name")
        if name:
            names[spec_name] = str(name)
    return names
