"""Helpers shared by the bench scripts: scratch PostgreSQL databases, the machine's size,
percentiles, capturing the SQL a service call runs, and the --json output."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event

from server.config import normalize_database_url

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def pg_admin_conninfo(url: str) -> str:
    """A libpq URL psycopg accepts (no SQLAlchemy driver suffix)."""
    return normalize_database_url(url).replace("postgresql+psycopg://", "postgresql://")


def pg_unreachable(url: str) -> str | None:
    """Why the PostgreSQL server at `url` cannot be used, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(pg_admin_conninfo(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        detail = " ".join(str(exc).split())
        return f"PostgreSQL not reachable at {url.split('@')[-1]}: {type(exc).__name__}: {detail}"
    return None


def create_pg_database(admin_url: str, prefix: str) -> tuple[str, str]:
    """Create `<prefix><random>` on the server of `admin_url`; return (name, SQLAlchemy URL)."""
    import psycopg

    admin = pg_admin_conninfo(admin_url)
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, normalize_database_url(admin.rsplit("/", 1)[0] + "/" + name)


def pg_arguments(parser: argparse.ArgumentParser) -> None:
    """--pg-url, --keep and --json of the scripts that build a PostgreSQL database of their own."""
    parser.add_argument("--pg-url", default=os.environ.get("REGOFFICE_BENCH_PG_URL", PG_DEFAULT),
                        help=f"the server to create the scratch database on (default {PG_DEFAULT})")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")


def skipped_without_pg(args: argparse.Namespace) -> bool:
    """Say so (and write it to --json) when the PostgreSQL server cannot be reached."""
    reason = pg_unreachable(args.pg_url)
    if reason:
        print(f"skipped: {reason}")
        write_json(args.json, {"skipped": reason})
    return reason is not None


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(pg_admin_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> dict[str, Any]:
    """CPUs, RAM, CPU model, Python and the 1-minute load average (the machine is shared)."""
    mem_gib = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpus": affinity, "cpu_count": os.cpu_count(), "ram_gib": mem_gib, "cpu_model": cpu,
            "python": platform.python_version(), "platform": platform.platform(),
            "load1": round(os.getloadavg()[0], 2)}


def machine_line() -> str:
    m = machine()
    return (f"machine: {m['cpus']} CPUs ({m['cpu_model']}), RAM {m['ram_gib']} GiB, "
            f"Python {m['python']}, {m['platform']}, load average {m['load1']:.2f}")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 (inclusive method: defined for any number of samples, even one)."""
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


@contextlib.contextmanager
def captured_sql(engine: Any, keep: Callable[[str], bool] = lambda s: True
                 ) -> Iterator[list[tuple[str, Any]]]:
    """Collect (statement, parameters) of every statement `engine` runs inside the block."""
    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if keep(statement):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))
