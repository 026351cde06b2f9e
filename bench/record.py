#!/usr/bin/env python
"""The academic record at a university's scale: 15,000 students with 60 results each (900,000
rows) on SQLite (and PostgreSQL when reachable), and what reading it costs.

    python bench/record.py [--students 15000] [--results 60] [--imported 1500] [--samples 50]
                           [--queued] [--db sqlite|postgres|both] [--pg-url URL] [--keep] [--json FILE]

Per database: the schema by the migrations; 10 programmes with their curricula (8 semesters × 8
disciplines, 4 admission years) imported through the service; the students; the results of all
but `--imported` students generated straight into the table (Core executemany, 10,000 rows a
batch); then, timed, each beside its floor (the same work in raw SQL through sqlite3 / psycopg):

- import: the remaining students' transcripts as one CSV through `import_transcripts` (parse,
  check every row against the registry and curricula, insert) — rows per second; floor: the same
  rows inserted with executemany, nothing checked; with `--queued`, as the web and the API queue
  it (`import_jobs.run_import`: checked, staged in short transactions, moved in one statement)
  while another connection reads its progress every 0.2 s;
- a student's record with term and cumulative GPA (`queries.student_record`) — p50/p95 over
  `--samples` random students; floor: the one SELECT of the student's rows;
- the whole university's GPA, credits and debts (`queries.university_standings`, one SQL
  aggregate) — median of 3; floor: the same statement written by hand;
- a faculty's promotion list (`queries.promotion_list`: debt or GPA under the threshold) —
  median of 5 over the faculties; floor: the same statement by hand.

Results: 5 % of first attempts FX/F; 90 % of those retaken (attempt 2, passed), so the
«latest attempt counts» rule has work to do and about a quarter of the students keep a debt.
Nothing under server/ is changed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    percentiles,
    pg_admin_conninfo,
    pg_arguments,
    run_on_databases,
)
from sqlalchemy import insert, select

from server.auth import Actor
from server.bootstrap import build_context
from server.config import Settings
from server.domain.grading import load_scale
from server.domain.iin import make_iin
from server.migrate import upgrade
from server.models import Discipline, Faculty, RecordImport, Result, Student
from server.services.context import AppContext
from server.services.record import import_jobs, imports, queries

PROGRAMMES = 10
FACULTIES = 5
TERMS = 8
PER_TERM = 8
ACADEMIC_START = 2025  # the bench's «current» academic year 2025-2026
BATCH = 10_000
SYSTEM = Actor.system()

# The floors: the statements the service issues, written by hand (the same shape per database:
# DISTINCT ON on PostgreSQL, a correlated index seek on SQLite — server/services/record/queries.py).
COUNTED = {
    "postgresql": """SELECT DISTINCT ON (r.student_id, r.discipline_id)
               r.student_id, r.letter, r.grade_points, d.credits
        FROM results r JOIN disciplines d ON d.id = r.discipline_id WHERE {where}
        ORDER BY r.student_id, r.discipline_id, r.attempt DESC, r.id DESC""",
    "sqlite": """SELECT r.student_id, r.letter, r.grade_points, d.credits
        FROM results r JOIN disciplines d ON d.id = r.discipline_id
        WHERE {where} AND r.id = (SELECT r2.id FROM results r2 WHERE r2.student_id = r.student_id
                                  AND r2.discipline_id = r.discipline_id
                                  ORDER BY r2.attempt DESC, r2.id DESC LIMIT 1)""",
}
STANDINGS_SQL = """
SELECT student_id, SUM(credits * grade_points) / SUM(credits) AS gpa, SUM(credits),
       SUM(CASE WHEN letter IN ('FX', 'F') THEN 0 ELSE credits END),
       SUM(CASE WHEN letter IN ('FX', 'F') THEN 1 ELSE 0 END) AS debts
FROM ({counted}) c GROUP BY student_id
"""
PROMOTION_SQL = """
SELECT s.id, s.iin, s.last_name, s.first_name, s.year, s."group", t.gpa, t.debts
FROM students s JOIN ({standings}) t ON t.student_id = s.id
WHERE t.debts > 0 OR t.gpa < {p}
ORDER BY s.year, s."group", s.last_name, s.first_name
"""
RECORD_SQL = """
SELECT r.id, r.term, r.attempt, r.points, r.letter, r.grade_points, r.academic_year, r.corrects_id,
       d.code, d.name_ru, d.name_kk, d.name_en, d.credits, d.control_form
FROM results r JOIN disciplines d ON d.id = r.discipline_id WHERE r.student_id = {p}
"""


def _ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def _median(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t, result = _ms(fn)
        times.append(t)
    return statistics.median(times), result


def _points(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.035:
        return rng.randint(25, 49)  # FX
    if roll < 0.05:
        return rng.randint(0, 24)  # F
    return rng.randint(50, 100)


def build(ctx: AppContext, students: int, per_student: int, imported: int, seed: int = 7) -> dict[str, Any]:
    """Faculties, programmes' curricula, students and the generated results; the CSV to import."""
    rng = random.Random(seed)
    grades = load_scale(ctx.settings.config_dir)
    with ctx.db.unit_of_work() as session:
        session.add_all([Faculty(code=f"F{f}", name_ru=f"Факультет {f}", name_kk=f"{f} факультеті",
                                 name_en=f"Faculty {f}") for f in range(FACULTIES)])
    lines = ["programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
             "semester,kind"]
    for p in range(PROGRAMMES):
        for year in range(ACADEMIC_START - 3, ACADEMIC_START + 1):
            for k in range(TERMS * PER_TERM):
                lines.append(f"6B0{p:02d}00,{year},D{p:02d}{k:02d},Дисциплина {p}-{k},{p}-{k} пәні,"
                             f"Discipline {p}-{k},{3 + k % 4},exam,{k // PER_TERM + 1},compulsory")
    t0 = time.perf_counter()
    report = imports.import_curricula(ctx, SYSTEM, "curricula.csv", ("\n".join(lines) + "\n").encode(),
                                      dry_run=False)
    curricula_s = time.perf_counter() - t0
    assert not report.refused, report.refused[:3]
    with ctx.db.read() as session:
        faculty_ids = [f.id for f in session.scalars(select(Faculty).order_by(Faculty.id))]
        disciplines = {d.code: d.id for d in session.scalars(select(Discipline))}
    people = []
    for i in range(students):
        p, course = i % PROGRAMMES, 1 + (i // PROGRAMMES) % 4
        people.append({"iin": _iin(i),
                       "last_name": f"Студент{i}", "first_name": "Имя",
                       "faculty_id": faculty_ids[p % FACULTIES],
                       "programme_code": f"6B0{p:02d}00", "programme_name": f"Программа {p}", "year": course,
                       "group": f"G{p:02d}-{course}{i % 3}", "level": "bachelor", "form": "full_time",
                       "language": "ru", "funding": "grant", "citizenship": "KAZ", "status": "active"})
    t0 = time.perf_counter()
    with ctx.db.unit_of_work() as session:
        for start in range(0, len(people), BATCH):
            session.execute(insert(Student), people[start:start + BATCH])
    with ctx.db.read() as session:
        ids = {iin: sid for iin, sid in session.execute(select(Student.iin, Student.id))}
    rows: list[dict[str, Any]] = []
    csv_lines = ["iin,discipline_code,academic_year,term,attempt,points,admission_year"]
    generated = 0
    for i, person in enumerate(people):
        p, course = i % PROGRAMMES, person["year"]
        admission = ACADEMIC_START - (course - 1)
        mine = []
        k = 0
        while len(mine) < per_student:
            code = f"D{p:02d}{k % (TERMS * PER_TERM):02d}"
            term = (k % (TERMS * PER_TERM)) // PER_TERM + 1
            points = _points(rng)
            year = admission + (term - 1) // 2
            mine.append((code, term, 1, points, year))
            if points < 50 and rng.random() < 0.9 and len(mine) < per_student:
                mine.append((code, term, 2, rng.randint(50, 90), year + 1))  # the retake passed
            k += 1
        if i >= students - imported:
            for code, term, attempt, points, year in mine:
                csv_lines.append(f"{person['iin']},{code},{year}-{year + 1},{term},{attempt},{points},"
                                 f"{admission}")
            continue
        sid = ids[person["iin"]]
        for code, term, attempt, points, year in mine:
            letter = grades.letter_of(points)
            rows.append({"student_id": sid, "discipline_id": disciplines[code],
                         "academic_year": f"{year}-{year + 1}",
                         "term": term, "attempt": attempt, "points": points, "letter": letter,
                         "grade_points": grades.grade_points(letter)})
        if len(rows) >= BATCH:
            with ctx.db.unit_of_work() as session:
                session.execute(insert(Result), rows)
            generated += len(rows)
            rows = []
    if rows:
        with ctx.db.unit_of_work() as session:
            session.execute(insert(Result), rows)
        generated += len(rows)
    return {"curricula_rows": len(lines) - 1, "curricula_import_s": round(curricula_s, 2),
            "generated_results": generated, "generation_s": round(time.perf_counter() - t0, 1),
            "csv": ("\n".join(csv_lines) + "\n").encode(), "csv_rows": len(csv_lines) - 1,
            "student_ids": list(ids.values()), "faculty_codes": [f"F{f}" for f in range(FACULTIES)]}


def _iin(i: int) -> str:
    """A valid, unique ИИН per student number (birth date and serial from the number)."""
    birth = date(2000 + i % 7, 1 + i % 12, 1 + (i // 84) % 28)
    return make_iin(birth, "MF"[i % 2], 100 * (i // (84 * 28)) + 1)


def _raw(url: str) -> tuple[Any, str]:
    if url.startswith("sqlite"):
        return sqlite3.connect(url.split("///", 1)[1]), "?"
    import psycopg

    return psycopg.connect(pg_admin_conninfo(url)), "%s"


def measure_queued(ctx: AppContext, content: bytes, rows: int) -> dict[str, Any]:
    """The import as the web queues it (`import_jobs`): run as its job runs it, while a second
    connection reads its progress every 0.2 s as the import's page does. Per phase: how long,
    and the slowest read of the progress (a read the import blocked would show here)."""
    import_id = import_jobs.queue_import(ctx, SYSTEM, "transcripts", "t.csv", content, dry_run=False)
    seen: list[tuple[float, str, int, float]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            with ctx.db.read() as session:
                status, processed = session.execute(select(RecordImport.status, RecordImport.processed)
                                                     .where(RecordImport.id == import_id)).one()
            seen.append((t0, status, processed, (time.perf_counter() - t0) * 1000))
            stop.wait(0.2)

    reader = threading.Thread(target=poll)
    start = time.perf_counter()
    reader.start()
    try:
        import_jobs.run_import(ctx, {"import_id": import_id})
    finally:
        stop.set()
        reader.join()
    total = time.perf_counter() - start
    row = import_jobs.get_import(ctx, SYSTEM, import_id)
    assert row.status == "done", (row.status, import_jobs.error_text(row), (row.report or [])[:3])
    phases: dict[str, dict[str, float]] = {}
    for t0, status, processed, read_ms in seen:
        phase = phases.setdefault(status, {"first_s": t0 - start, "last_s": t0 - start, "reads": 0,
                                           "max_read_ms": 0.0, "last_processed": 0})
        phase.update(last_s=t0 - start, reads=phase["reads"] + 1, last_processed=processed,
                     max_read_ms=max(phase["max_read_ms"], read_ms))
    return {"rows": rows, "ms": round(total * 1000, 1), "rows_per_s": round(rows / total), "queued": True,
            "phases": {k: {n: round(v, 2) for n, v in p.items()} for k, p in phases.items()}}


def measure(ctx: AppContext, url: str, data: dict[str, Any], samples: int, queued: bool = False
            ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # import through the service, then its floor: as many rows inserted raw into a temporary table
    rows = data["csv_rows"]
    if queued:
        out["import"] = measure_queued(ctx, data["csv"], rows)
    else:
        progress: list[int] = []
        t_import, report = _ms(lambda: imports.import_transcripts(
            ctx, SYSTEM, "transcripts.csv", data["csv"], dry_run=False,
            progress=lambda d, t: progress.append(d), limits=import_jobs.QUEUED_LIMITS))
        assert not report.refused, [r.__dict__ for r in report.refused[:3]]
        out["import"] = {"rows": rows, "ms": round(t_import, 1), "rows_per_s": round(rows / t_import * 1000),
                         "progress_calls": len(progress)}
    conn, ph = _raw(url)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TEMPORARY TABLE floor_results AS SELECT * FROM results WHERE 1 = 0")
        sample = [(r, 1, "2025-2026", 1, 1, 80, "B", 3.0) for r in range(rows)]
        sql = (f"INSERT INTO floor_results (student_id, discipline_id, academic_year, term, attempt, points, "
               f"letter, grade_points, created_at) VALUES ({', '.join([ph] * 8)}, CURRENT_TIMESTAMP)")
        t_floor, _ = _ms(lambda: (cur.executemany(sql, sample), conn.commit()))
        out["import"]["floor_rows_per_s"] = round(rows / t_floor * 1000)
        # a student's record
        ids = random.Random(3).sample(data["student_ids"], min(samples, len(data["student_ids"])))
        queries.student_record(ctx, SYSTEM, ids[0])  # warm
        service = [_ms(lambda s=s: queries.student_record(ctx, SYSTEM, s))[0] for s in ids]
        record_sql = RECORD_SQL.format(p=ph)
        floor = [_ms(lambda s=s: cur.execute(record_sql, (s,)).fetchall() if ph == "?" else
                     (cur.execute(record_sql, (s,)), cur.fetchall()))[0] for s in ids]
        out["student_record"] = {"samples": len(ids),
                                 **{k: round(v, 2) for k, v in percentiles(service).items()},
                                 "floor": {k: round(v, 2) for k, v in percentiles(floor).items()}}
        # the whole university
        t_all, standings = _median(lambda: queries.university_standings(ctx), 3)
        dialect = "sqlite" if ph == "?" else "postgresql"
        plain = STANDINGS_SQL.format(counted=COUNTED[dialect].format(where="1 = 1"))
        t_all_floor, raw = _median(lambda: _fetch(cur, plain, ()), 3)
        assert len(standings) == len(raw) == len(data["student_ids"])
        out["university_gpa"] = {"students": len(standings), "ms": round(t_all, 1),
                                 "floor_ms": round(t_all_floor, 1)}
        # a faculty's promotion list
        threshold = load_scale(ctx.settings.config_dir).promotion_min_gpa
        codes = data["faculty_codes"]
        times, floors, stays = [], [], 0
        for code in codes:
            t, listed = _ms(lambda c=code: queries.promotion_list(ctx, SYSTEM, c))
            times.append(t)
            stays += len(listed)
            faculty_id = _fetch(cur, f"SELECT id FROM faculties WHERE code = {ph}", (code,))[0][0]
            faculty_filter = f"r.student_id IN (SELECT id FROM students WHERE faculty_id = {ph})"
            promo = PROMOTION_SQL.format(p=ph, standings=STANDINGS_SQL.format(
                counted=COUNTED[dialect].format(where=faculty_filter)))
            floors.append(_ms(lambda f=faculty_id, q=promo: _fetch(cur, q, (f, threshold - 0.005)))[0])
        out["promotion_list"] = {"faculties": len(codes), "students_staying": stays,
                                 "median_ms": round(statistics.median(times), 1),
                                 "max_ms": round(max(times), 1),
                                 "floor_median_ms": round(statistics.median(floors), 1)}
    finally:
        conn.close()
    return out


def _fetch(cur: Any, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cur.execute(sql, params)
    return cur.fetchall()


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    upgrade(url)
    settings = replace(Settings.from_env(), database_url=url, background="none", celery_broker_url=None)
    ctx = build_context(settings)
    try:
        data = build(ctx, args.students, args.results, args.imported)
        with ctx.db.unit_of_work() as session:  # fresh statistics, as after a nightly ANALYZE
            session.connection().exec_driver_sql("ANALYZE")
        figures = measure(ctx, url, data, args.samples, args.queued)
        with ctx.db.read() as session:
            total = session.scalar(select(Result.id).order_by(Result.id.desc()).limit(1))
    finally:
        ctx.db.dispose()
    return {"students": args.students, "results_rows": total, "curricula_rows": data["curricula_rows"],
            "curricula_import_s": data["curricula_import_s"], "generation_s": data["generation_s"], **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=15_000)
    parser.add_argument("--results", type=int, default=60, help="result rows per student")
    parser.add_argument("--imported", type=int, default=1_500, help="students whose results are imported")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--queued", action="store_true",
                        help="import as the web and the API queue it (staged, progress read meanwhile)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    pg_arguments(parser)
    args = parser.parse_args()
    run_on_databases(args, "record", run, _print)


def _print(title: str, r: dict[str, Any]) -> None:
    imp, rec, uni, promo = r["import"], r["student_record"], r["university_gpa"], r["promotion_list"]
    print(f"\n{title}: {r['students']} students, {r['results_rows']} result rows "
          f"(generated in {r['generation_s']} s; {r['curricula_rows']} curriculum rows imported in "
          f"{r['curricula_import_s']} s)")
    how = " (queued)" if imp.get("queued") else ""
    print(f"  import {imp['rows']} rows{how}: {imp['ms'] / 1000:.1f} s = {imp['rows_per_s']} rows/s "
          f"(floor {imp['floor_rows_per_s']} rows/s)")
    for phase, p in (imp.get("phases") or {}).items():
        print(f"    {phase}: seen {p['first_s']}-{p['last_s']} s, {int(p['reads'])} progress reads, "
              f"slowest {p['max_read_ms']} ms, last processed {int(p['last_processed'])}")
    print(f"  student's record + GPA: p50 {rec['p50']} ms, p95 {rec['p95']} ms "
          f"(floor p50 {rec['floor']['p50']} ms)")
    print(f"  whole-university GPA ({uni['students']} students): {uni['ms']} ms (floor {uni['floor_ms']} ms)")
    print(f"  promotion list per faculty: median {promo['median_ms']} ms, max {promo['max_ms']} ms "
          f"(floor {promo['floor_median_ms']} ms); staying: {promo['students_staying']}")


if __name__ == "__main__":
    main()
