#!/usr/bin/env python
"""How long do the reports take on a large office? Generates N cases on PostgreSQL (in a database
of its own, dropped at the end) and times the monthly public-service report, its XLSX and DOCX
files, the dashboard and the contingent statistics (median of several runs), then prints the
plan of each report query (EXPLAIN ANALYZE: top node, indexes used, execution time).

    python bench/reports.py [--cases 1000000] [--runs 5] [--pg-url URL] [--keep] [--json FILE]

The cases are spread evenly over four years (2022-2025), 8 procedures, 3 channels, 10
faculties; 97 % decided 0-20 days after receipt (90 % issued, 10 % refused with a ground), the
rest still open; the deadline is receipt + 7 days (the report only compares the timestamps).
Rows are made by one INSERT ... SELECT over generate_series, in batches (progress on stderr).
Nothing under server/ is changed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    captured_sql,
    create_pg_database,
    drop_pg_database,
    pg_arguments,
    skipped_without_pg,
    write_json,
)
from sqlalchemy import text

from server.auth import Actor
from server.bootstrap import build_context
from server.config import ROOT, Settings
from server.migrate import upgrade
from server.services.context import AppContext
from server.services.procedures import deployments
from server.services.reports import export as reports_export
from server.services.reports import public_services as reports
from server.services.reports import statistics as report_stats

PROCESSES = ("transfer_in", "transfer_internal", "reinstatement", "academic_leave", "cert_incomplete",
             "duplicate", "cert_study", "expulsion")
BATCH = 100_000
INSERT = """
INSERT INTO cases (definition_id, process_id, faculty_id, channel, status, outcome, refusal_ground,
                   received_at, deadline_at, decided_at, updated_at, state, serializer_version,
                   lock_version, summary)
SELECT :definition_id, p.process_id, 1 + (g % 10), (ARRAY['direct','egov','state_corporation'])[1 + g % 3],
       CASE WHEN d.decided IS NULL THEN 'in_progress' WHEN d.refused THEN 'rejected' ELSE 'completed' END,
       CASE WHEN d.decided IS NULL THEN NULL WHEN d.refused THEN 'refused' ELSE 'issued' END,
       CASE WHEN d.refused AND d.decided IS NOT NULL
            THEN (ARRAY['no_place','other','first_period_not_completed'])[1 + g % 3] END,
       r.received, r.received + interval '7 days', d.decided, now(), '{}', '', 1, '{}'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
CROSS JOIN LATERAL (SELECT (CAST(:procs AS text[]))[1 + (g * 7919) % CAST(:nprocs AS int)] AS process_id) p
CROSS JOIN LATERAL (SELECT timestamptz '2022-01-01 00:00+05'
                           + (random() * interval '1461 days') AS received WHERE g > 0) r
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.97
                                THEN r.received + random() * interval '20 days' END AS decided,
                           random() < 0.10 AS refused WHERE g > 0) d
"""


def _median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def _fill(ctx: AppContext, n: int) -> None:
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    with ctx.db.engine.begin() as conn:
        conn.execute(text("INSERT INTO faculties (id, code, name_ru, name_kk) SELECT g, 'F' || g, "
                          "'Факультет ' || g, 'Факультет ' || g FROM generate_series(1, 10) g"))
        definition_id = conn.scalar(text("SELECT min(id) FROM process_definitions"))
    started = time.perf_counter()
    for first in range(1, n + 1, BATCH):
        last = min(n, first + BATCH - 1)
        with ctx.db.engine.begin() as conn:
            conn.execute(text(INSERT), {"definition_id": definition_id, "first": first, "last": last,
                                        "procs": list(PROCESSES), "nprocs": len(PROCESSES)})
        print(f"\r  cases: {last:,} / {n:,}", end="", file=sys.stderr, flush=True)
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cases"))
    print(f"\n  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _explain(ctx: AppContext, fn: Callable[[], Any]) -> list[str]:
    """EXPLAIN ANALYZE every SELECT `fn` runs: top plan node, indexes, execution time."""
    with captured_sql(ctx.db.engine, lambda s: s.lstrip().upper().startswith("SELECT")
                      and "FROM cases" in s) as captured:
        fn()
    lines = []
    with ctx.db.engine.connect() as conn:
        for statement, params in captured:
            plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN ANALYZE " + statement, params)]
            indexes = sorted({w.strip('"') for line in plan for w in line.split()
                              if w.startswith("ix_cases")})
            ms = next((line.split(":")[1].strip() for line in plan if "Execution Time" in line), "?")
            top = plan[0].split("  (")[0].strip()
            lines.append(f"  {ms:>12}  {top[:60]:<60}  {', '.join(indexes) or 'no index'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--month", default="2024-06", help="the reported month (YYYY-MM)")
    pg_arguments(parser)
    args = parser.parse_args(argv)
    if skipped_without_pg(args):
        return 0
    name, url = create_pg_database(args.pg_url, "regoffice_bench_reports_")
    figures: dict[str, Any] = {"cases": args.cases, "month": args.month, "runs": args.runs, "median_ms": {}}
    settings = replace(Settings.from_env(), database_url=url, workflows_dir=ROOT / "workflows",
                       config_dir=ROOT / "config", background="none",
                       db_statement_timeout_ms=0)  # generating a million rows: no statement limit
    ctx = build_context(settings)
    try:
        upgrade(url)
        print(f"database {name}: {args.cases:,} cases", file=sys.stderr)
        _fill(ctx, args.cases)
        period = reports.month_period(args.month)
        now = datetime(2025, 12, 31, 12, tzinfo=UTC)
        system = Actor.system()
        rows = [
            ("monthly report (JSON figures)", lambda: reports.compute_public_services(ctx, period)),
            ("dashboard", lambda: report_stats.dashboard(ctx, system, now)),
            ("contingent statistics (month)", lambda: report_stats.contingent(ctx, system, period)),
        ]
        print(f"\nPostgreSQL, {args.cases:,} cases, month {args.month}, median of {args.runs} runs")
        results = {}
        for label, fn in rows:
            fn()  # warm the caches (calendar, catalog, connection pool)
            ms, results[label] = _median_ms(fn, args.runs)
            figures["median_ms"][label] = round(ms, 2)
            print(f"  {label:<34} {ms:9.1f} ms")
        report = results["monthly report (JSON figures)"]
        for label, render in (("  + XLSX file", reports_export.public_services_xlsx),
                              ("  + DOCX file", reports_export.public_services_docx)):
            ms, _ = _median_ms(lambda render=render: render(ctx, report), args.runs)
            figures["median_ms"][label.strip("+ ")] = round(ms, 2)
            print(f"  {label:<34} {ms:9.1f} ms")
        totals = figures["totals"] = report["totals"]
        print(f"\n  month totals: received {totals['received']:,}, rendered {totals['rendered']:,}, "
              f"late {totals['late']:,}, in progress at the end {totals['in_progress']:,}")
        for label, fn in rows[:2]:
            print(f"\nEXPLAIN ANALYZE, {label} (execution time, top node, indexes):")
            print("\n".join(_explain(ctx, fn)))
    finally:
        ctx.db.dispose()
        if args.keep:
            print(f"\nkept: {url}", file=sys.stderr)
        else:
            drop_pg_database(args.pg_url, name)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
