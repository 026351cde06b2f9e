#!/usr/bin/env python
"""The floor under mode c of engine_overhead.py: what one durable step costs with the raw
database driver and nothing else — no engine, no SQLAlchemy, no services.

A step of the server writes, in one transaction: it reads the task with its case, updates the
case (its ~4 KB state), closes the task, appends an audit event, inserts the next task, and
commits. This script issues exactly those statements (same row sizes, the
same kind of indexes) with sqlite3 and psycopg, so the figure is the least any server that
persists after every step can pay on this machine. Compare it with mode b of engine_overhead.py
(the raw engine with a state round trip per step): when 5 × floor is close to 2 × b, the c/b ≤ 2
target leaves no room for the engine's own work, let alone a service layer.

    python bench/durable_floor.py [--steps 500] [--pg-url URL] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _common import (  # noqa: E402
    PG_DEFAULT,
    create_pg_database,
    drop_pg_database,
    machine,
    machine_line,
    pg_admin_conninfo,
    pg_unreachable,
    write_json,
)

STATE = json.dumps({"tasks": "x" * 4200})  # the size of approval.bpmn's spec-less state
TABLES = (
    "CREATE TABLE cases (id INTEGER PRIMARY KEY, state TEXT, summary TEXT, lock_version INT, "
    "updated_at TEXT, status TEXT)",
    "CREATE TABLE human_tasks (id VARCHAR(36) PRIMARY KEY, case_id INT, status TEXT, name TEXT, "
    "role TEXT, due_at TEXT, created_at TEXT, lock_version INT)",
    "CREATE INDEX ix_tasks_case_status ON human_tasks (case_id, status)",
    "CREATE INDEX ix_tasks_status_due ON human_tasks (status, due_at)",
    "CREATE INDEX ix_tasks_status_role ON human_tasks (status, role)",
    "CREATE TABLE audit_events (id {serial} PRIMARY KEY, case_id INT, kind TEXT, payload TEXT, at TEXT)",
    "CREATE INDEX ix_audit_case ON audit_events (case_id, id)",
)


def _steps(conn: Any, mark: str, steps: int) -> list[float]:
    """Per-step wall times of `steps` durable steps on one case."""
    cur = conn.cursor()
    times = []
    for i in range(steps):
        start = time.perf_counter()
        cur.execute(f"SELECT t.id, t.status, c.state, c.lock_version FROM human_tasks t "
                    f"JOIN cases c ON c.id = t.case_id WHERE t.id = {mark}", (f"t{i}",))
        cur.fetchall()
        cur.execute(f"UPDATE cases SET state = {mark}, summary = {mark}, lock_version = lock_version + 1, "
                    f"updated_at = {mark} WHERE id = 1 AND lock_version = {mark}",
                    (STATE, '{"open_tasks": ["x"]}', "2026-11-23T12:00:00", i + 1))
        cur.execute(f"UPDATE human_tasks SET status = 'completed', lock_version = 2 WHERE id = {mark} "
                    f"AND lock_version = 1", (f"t{i}",))
        cur.execute(f"INSERT INTO audit_events (case_id, kind, payload, at) VALUES (1, 'task_completed', "
                    f"{mark}, {mark})", ('{"data": {"approved": true}}', "2026-11-23T12:00:00"))
        cur.execute(f"INSERT INTO human_tasks VALUES ({mark}, 1, 'open', 'Шаг', 'registrar', NULL, "
                    f"{mark}, 1)", (f"t{i + 1}", "2026-11-23T12:00:00"))
        conn.commit()
        times.append(time.perf_counter() - start)
    return times


def _prepare(conn: Any, serial: str) -> None:
    cur = conn.cursor()
    for ddl in TABLES:
        cur.execute(ddl.format(serial=serial))
    cur.execute("INSERT INTO cases VALUES (1, '{}', '{}', 1, '', 'in_progress')")
    cur.execute("INSERT INTO human_tasks VALUES ('t0', 1, 'open', 'Шаг', 'registrar', NULL, '', 1)")
    conn.commit()


def sqlite_floor(steps: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # the server's setting
        _prepare(conn, "INTEGER")
        times = _steps(conn, "?", steps)
        conn.close()
    return times


def postgres_floor(pg_url: str, steps: int) -> tuple[list[float], str]:
    import psycopg

    name, url = create_pg_database(pg_url, "regoffice_bench_floor_")
    try:
        with psycopg.connect(pg_admin_conninfo(url)) as conn:
            _prepare(conn, "SERIAL")
            times = _steps(conn, "%s", steps)
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    finally:
        drop_pg_database(pg_url, name)
    return times, version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--pg-url", default=os.environ.get("REGOFFICE_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    print(machine_line())
    print(f"one durable step with the raw driver (5 statements + commit), median of {args.steps}")
    figures: dict[str, Any] = {"machine": machine(), "steps": args.steps, "results": {}}
    runs: list[tuple[str, list[float]]] = [("SQLite (WAL, synchronous=NORMAL)", sqlite_floor(args.steps))]
    reason = pg_unreachable(args.pg_url)
    if reason:
        print(f"PostgreSQL skipped: {reason}")
    else:
        times, version = postgres_floor(args.pg_url, args.steps)
        runs.append((f"PostgreSQL {version} (fsync on)", times))
    for label, times in runs:
        median_ms = statistics.median(times) * 1000
        figures["results"][label.split()[0]] = {"step_ms": round(median_ms, 4),
                                                "case_of_5_steps_ms": round(5 * median_ms, 3)}
        print(f"{label:<36} {median_ms:7.3f} ms/step   5 steps (one approval case): {5 * median_ms:6.2f} ms")
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
