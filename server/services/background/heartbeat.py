"""Heartbeats of the background dispatchers and the worker health check built on them.

The Celery `regoffice.tick` task writes "worker" (it proves beat, broker and worker all
work); the in-process dispatcher thread writes "inprocess".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.db import utcnow
from server.models import Heartbeat
from server.services.context import AppContext

WORKER = "worker"
INPROCESS = "inprocess"
# Each Celery worker process beats under a name of its own (its node name and pid): a worker
# whose beat stops is dead, and the jobs it may have held are sent again (services/background.py).
WORKER_PREFIX = "worker:"
# Which heartbeat proves background work runs, by settings.background.
EXPECTED = {"celery": WORKER, "inprocess": INPROCESS}


def record_heartbeat(ctx: AppContext, name: str) -> None:
    """Upsert `name`'s heartbeat (concurrent writers never collide on the insert)."""
    insert = pg_insert if ctx.db.is_postgres else sqlite_insert
    now = utcnow()
    stmt = insert(Heartbeat).values(name=name, at=now)
    stmt = stmt.on_conflict_do_update(index_elements=[Heartbeat.name], set_={"at": now})
    with ctx.db.unit_of_work() as session:
        session.execute(stmt)


def worker_beat_name(node: str, pid: int) -> str:
    """The heartbeat name of one worker process (a restarted worker is a new one)."""
    suffix = f":{pid}"
    return WORKER_PREFIX + node[: 64 - len(WORKER_PREFIX) - len(suffix)] + suffix


def dead_workers(session: Session, now: datetime, dead_seconds: float) -> dict[str, datetime]:
    """The workers whose own heartbeat is older than `dead_seconds`, with their last beat."""
    rows = session.execute(select(Heartbeat.name, Heartbeat.at).where(
        Heartbeat.name.startswith(WORKER_PREFIX, autoescape=True),
        Heartbeat.at < now - timedelta(seconds=dead_seconds)))
    return {name: at for name, at in rows}


def forget_heartbeats(session: Session, names: Collection[str]) -> None:
    """Remove heartbeats (a worker found dead, or one that stops cleanly)."""
    if names:
        session.execute(delete(Heartbeat).where(Heartbeat.name.in_(list(names))))


def heartbeats(ctx: AppContext) -> dict[str, datetime]:
    with ctx.db.read() as session:
        return {row.name: row.at for row in session.scalars(select(Heartbeat))}


@dataclass(frozen=True)
class WorkerHealth:
    ok: bool
    name: str | None  # the heartbeat checked (None: none recorded)
    age_seconds: float | None
    max_age_seconds: int
    message: str


def worker_health(ctx: AppContext) -> WorkerHealth:
    """Fresh when the expected dispatcher's heartbeat is younger than heartbeat_max_age
    (with background work off, the freshest heartbeat of any dispatcher counts)."""
    max_age = ctx.settings.heartbeat_max_age
    beats = heartbeats(ctx)
    expected = EXPECTED.get(ctx.settings.background)
    if expected is None and beats:
        expected = max(beats, key=lambda n: beats[n])
    at = beats.get(expected) if expected else None
    if at is None:
        return WorkerHealth(False, expected, None, max_age,
                            "Фоновый исполнитель ещё ни разу не отметился: проверьте, что запущены "
                            "процессы worker и beat (или встроенный диспетчер)")
    age = max(0.0, (utcnow() - at).total_seconds())
    if age > max_age:
        return WorkerHealth(False, expected, age, max_age,
                            f"Фоновый исполнитель не отвечает: последний сигнал {age:.0f} с назад "
                            f"(допустимо {max_age} с). Проверьте процессы worker и beat и брокер")
    return WorkerHealth(True, expected, age, max_age, "Фоновый исполнитель работает")
