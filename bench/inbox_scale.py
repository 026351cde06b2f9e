#!/usr/bin/env python
"""Inbox at scale: 100,000 open tasks and 1,000,000 closed cases on PostgreSQL. Times the
inbox queries through the services the web UI and the API call (`inbox.list_tasks` with a
page of 50 and its count, `inbox.counts` for the tab badges) and prints p50/p95/p99 per
query, the rows returned and `EXPLAIN (ANALYZE, BUFFERS)` of every statement once.

    python bench/inbox_scale.py [--open 100000] [--closed 1000000] [--students 30000]
                                [--samples 200] [--pg-url URL] [--keep] [--reuse DB] [--json FILE]

Target (issue "Prove it holds"): p95 <= 20 ms for every query.

Data (one database of its own, `regoffice_bench_inbox_<random>`, built by the migrations and
dropped at the end unless --keep; --reuse measures a kept one again after upgrading it):
10 faculties; students with valid ИИН (80 surnames); staff users (10 registrars, an office head, a dean per
faculty, the vice-rector, the rector, accountants, the international office, a lawyer); every
deployed procedure. Closed cases (completed, 10 % rejected) received 2022 .. 60 days ago, each
with 2-5 completed task rows and their candidate rows, as `tasks.complete_task` and
`steps._project_tasks` leave them (completed_at/completed_by/assignee set, candidates kept).
Open cases received in the last 60 days, each with 0-3 completed steps and one open task:
40 % registrar, 25 % dean (of the case's faculty), 10 % vice-rector, 10 % accountant, 5 %
rector, 5 % international office (a fifth of them with registrar as a second candidate
role: 1 % of the open tasks have two), 5 % lawyer;
30 % claimed by a user of that role; due in -6 .. +34 days (about 15 % overdue), 5 % without
a due date. Rows come from INSERT ... SELECT over generate_series in batches of 100,000 cases.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import (  # noqa: E402
    captured_sql,
    create_pg_database,
    drop_pg_database,
    machine,
    machine_line,
    percentiles,
    pg_admin_conninfo,
    pg_arguments,
    skipped_without_pg,
    write_json,
)
from sqlalchemy import insert, text  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.bootstrap import build_context  # noqa: E402
from server.config import ROOT, Settings, normalize_database_url  # noqa: E402
from server.domain.iin import make_iin  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Faculty, Student  # noqa: E402
from server.services.context import AppContext  # noqa: E402
from server.services.people.users import NewUser, actor_for_user, create_user  # noqa: E402
from server.services.procedures import deployments  # noqa: E402
from server.services.tasks import inbox  # noqa: E402
from server.web.staff import PAGE  # noqa: E402

TARGET_P95_MS = 20.0
BATCH = 100_000
FACULTIES = ("IT", "ECON", "LAW", "MED", "PHYS", "CHEM", "BIO", "HIST", "PHIL", "ART")  # 10: slots
# 80 surnames (20 stems x 4 endings, + "а" for women): a surname is 1.25 % of the students
STEMS = ("Абен", "Ахмет", "Байжан", "Жумаб", "Иван", "Кенже", "Мурат", "Нурлан", "Омар", "Петр", "Сапар",
         "Серик", "Смагул", "Тулеген", "Утеп", "Шайх", "Ермек", "Касым", "Волк", "Кузнец")
SURNAMES = tuple(stem + end for stem in STEMS for end in ("ов", "ин", "баев", "беков"))
FIRST = {"M": ("Алмас", "Ерлан", "Данияр", "Пётр", "Арман", "Тимур"),
         "F": ("Айгерим", "Дана", "Мария", "Асель", "Жанна", "Алия")}
# role -> (spec_name, task name, lane); the open-task mix in 20ths (see the docstring)
STEPS = {"registrar": ("check_documents", "Проверка документов", "Офис регистратора"),
         "dean": ("dean_review", "Рассмотрение деканом", "Деканат"),
         "vice_rector": ("vr_approval", "Согласование проректора", "Проректор"),
         "rector": ("rector_sign", "Подписание приказа", "Ректор"),
         "accountant": ("paid_contract", "Договор и оплата", "Бухгалтерия"),
         "international": ("foreign_check", "Проверка документов иностранца", "Международный отдел"),
         "lawyer": ("legal_review", "Правовая экспертиза", "Юрист")}
OPEN_MIX = ["registrar"] * 8 + ["dean"] * 5 + ["vice_rector"] * 2 + ["accountant"] * 2 + [
    "rector", "international", "lawyer"]
CLOSED_PATH = ["registrar", "dean", "vice_rector", "rector", "registrar"]
STAFF = {"registrar": 10, "registrar_head": 1, "vice_rector": 1, "rector": 1, "accountant": 3,
         "international": 2, "lawyer": 1}

CASES_SQL = """
INSERT INTO cases (id, definition_id, process_id, student_id, faculty_id, subject_name, subject_iin,
                   channel, status, outcome, received_at, deadline_at, decided_at, created_by, updated_at,
                   state, serializer_version, lock_version, summary)
SELECT g, (CAST(:defs AS int[]))[k.i], (CAST(:procs AS text[]))[k.i], s.id, s.faculty_id,
       s.last_name || ' ' || s.first_name || coalesce(' ' || s.middle_name, ''), s.iin,
       (ARRAY['direct','egov','state_corporation'])[1 + g % 3],
       CASE WHEN g > :closed THEN 'in_progress' WHEN g % 10 = 0 THEN 'rejected' ELSE 'completed' END,
       CASE WHEN g > :closed THEN NULL WHEN g % 10 = 0 THEN 'refused' ELSE 'issued' END,
       r.received, r.received + interval '10 days',
       CASE WHEN g <= :closed THEN r.received + (2 + g % 5) * interval '2 days' END,
       :creator, now(), '{}', '', 1, '{}'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
JOIN students s ON s.id = 1 + (g * 7919) % :nstudents
CROSS JOIN LATERAL (SELECT 1 + (g * 31) % :nprocs AS i WHERE g > 0) k
CROSS JOIN LATERAL (
  SELECT CASE WHEN g <= :closed
              THEN timestamptz '2022-01-01 09:00+05' + random() * (now() - interval '70 days'
                                                                    - timestamptz '2022-01-01 09:00+05')
              ELSE now() - random() * interval '60 days' END AS received WHERE g > 0) r
"""
# Steps of a case: closed 2-5 (all completed); open 1-4, the last one open.
TASKS_SQL = """
INSERT INTO human_tasks (id, case_id, process_id, spec_name, name, lane, role, candidate_roles,
                         faculty_id, assignee_id, status, subject_name, subject_iin, created_at, due_at,
                         claimed_at, completed_at, completed_by, lock_version)
SELECT CAST(CAST(md5(c.id || ':' || k) AS uuid) AS text), c.id, c.process_id, st.spec_name, st.name,
       st.lane, x.role, CASE WHEN x.role = 'international' AND y.two_roles THEN 'international,registrar'
                             ELSE x.role END,
       c.faculty_id, CASE WHEN NOT x.last_open OR x.claimed THEN u.user_id END,
       CASE WHEN x.last_open THEN 'open' ELSE 'completed' END, c.subject_name, c.subject_iin, x.created,
       CASE WHEN NOT x.last_open THEN c.deadline_at WHEN x.r < 0.95
            THEN now() + (x.r * 40 - 6) * interval '1 day' END,
       CASE WHEN x.claimed THEN x.created + interval '1 hour' END,
       CASE WHEN NOT x.last_open THEN x.created + interval '1 day' END,
       CASE WHEN NOT x.last_open THEN u.user_id END, 2
FROM cases c
CROSS JOIN LATERAL generate_series(1, CASE WHEN c.status = 'in_progress' THEN 1 + c.id % 4
                                           ELSE 2 + c.id % 4 END) AS k
CROSS JOIN LATERAL (
  SELECT c.status = 'in_progress' AND k = 1 + c.id % 4 AS last_open, random() < 0.3 AS claimed,
         random() AS r, floor(random() * 10) AS slot, floor(random() * :nmix) AS mix,
         random() < 0.2 AS two_roles) y
CROSS JOIN LATERAL (
  SELECT y.last_open, y.claimed, y.r,
         CASE WHEN y.last_open THEN (CAST(:mix AS text[]))[1 + y.mix] ELSE (CAST(:path AS text[]))[k] END
           AS role,
         c.received_at + (k - 1) * interval '2 days' AS created) x
JOIN bench_steps st ON st.role = x.role
JOIN bench_staff u ON u.role = x.role AND u.slot = CASE WHEN x.role = 'dean' THEN c.faculty_id - 1
                                                        ELSE y.slot END
WHERE c.id BETWEEN :first AND :last
"""


def _log(message: str, end: str = "\n") -> None:
    print(message, end=end, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data
def _students(ctx: AppContext, n: int) -> None:
    rng = random.Random(7)
    rows, seen = [], set()
    while len(rows) < n:
        sex = "M" if rng.random() < 0.5 else "F"
        birth = date(1998, 1, 1) + timedelta(days=rng.randrange(3650))
        iin = make_iin(birth, sex, rng.randrange(9000))
        if iin in seen:
            continue
        seen.add(iin)
        last = rng.choice(SURNAMES) + ("" if sex == "M" else "а")
        rows.append({"id": len(rows) + 1, "iin": iin, "last_name": last, "first_name": rng.choice(FIRST[sex]),
                     "middle_name": None, "faculty_id": 1 + len(rows) % len(FACULTIES),
                     "programme_code": "6B06102", "programme_name": "Программная инженерия",
                     "level": "bachelor", "year": 1 + len(rows) % 4, "form": "full_time", "language": "ru",
                     "funding": "grant", "citizenship": "KAZ", "sex": sex, "status": "active"})
    with ctx.db.engine.begin() as conn:
        conn.execute(insert(Student.__table__), rows)


def _staff(ctx: AppContext) -> dict[str, list[int]]:
    """Create the users; fill `bench_staff` (role, slot 0-9 -> user) and `bench_steps` used by
    the generator (a dean's slot is the faculty, other roles share their users over the slots)."""
    ids: dict[str, list[int]] = {"dean": []}
    for role, count in STAFF.items():
        ids[role] = [create_user(ctx, NewUser(f"{role}{i + 1}", f"{role.title()} {i + 1}", (role,)))
                     for i in range(count)]
    for code in FACULTIES:
        ids["dean"].append(create_user(ctx, NewUser(f"dean_{code.lower()}", f"Декан {code}", ("dean",),
                                                    faculty_code=code)))
    with ctx.db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_staff (role text, slot int, user_id int)"))
        conn.execute(text("CREATE TABLE bench_steps (role text, spec_name text, name text, lane text)"))
        conn.execute(text("INSERT INTO bench_staff VALUES (:role, :slot, :user_id)"),
                     [{"role": role, "slot": slot, "user_id": users[slot % len(users)]}
                      for role, users in ids.items() for slot in range(10)])
        conn.execute(text("INSERT INTO bench_steps VALUES (:role, :spec, :name, :lane)"),
                     [{"role": role, "spec": spec, "name": name, "lane": lane}
                      for role, (spec, name, lane) in STEPS.items()])
    return ids


def generate(ctx: AppContext, n_open: int, n_closed: int, n_students: int) -> dict[str, Any]:
    started = time.perf_counter()
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    with ctx.db.unit_of_work() as session:
        session.add_all([Faculty(id=i + 1, code=code, name_ru=f"Факультет {code}",
                                 name_kk=f"{code} факультеті") for i, code in enumerate(FACULTIES)])
    _students(ctx, n_students)
    staff = _staff(ctx)
    with ctx.db.engine.connect() as conn:
        defs = conn.execute(text("SELECT id, process_id FROM process_definitions "
                                 "WHERE kind = 'bpmn' AND is_latest ORDER BY process_id")).all()
    params = {"defs": [d.id for d in defs], "procs": [d.process_id for d in defs], "nprocs": len(defs),
              "closed": n_closed, "nstudents": n_students, "creator": staff["registrar"][0],
              "mix": OPEN_MIX, "nmix": len(OPEN_MIX), "path": CLOSED_PATH}
    total = n_closed + n_open
    for first in range(1, total + 1, BATCH):
        last = min(total, first + BATCH - 1)
        with ctx.db.engine.begin() as conn:
            for sql in (CASES_SQL, TASKS_SQL):
                conn.execute(text(sql), {**params, "first": first, "last": last})
        _log(f"\r  cases: {last:,} / {total:,}  ({time.perf_counter() - started:.0f} s)", end="")
    with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT setval('cases_id_seq', :n)"), {"n": total})
        conn.execute(text("DROP TABLE bench_staff, bench_steps"))
        conn.execute(text("VACUUM ANALYZE"))
    seconds = time.perf_counter() - started
    _log(f"\n  generated in {seconds:.1f} s")
    return {"generation_s": round(seconds, 1)}


def table_rows(ctx: AppContext) -> dict[str, int]:
    with ctx.db.engine.connect() as conn:
        return {
            "cases": conn.scalar(text("SELECT count(*) FROM cases")),
            "cases_closed": conn.scalar(text("SELECT count(*) FROM cases WHERE status <> 'in_progress'")),
            "human_tasks": conn.scalar(text("SELECT count(*) FROM human_tasks")),
            "open_tasks": conn.scalar(text("SELECT count(*) FROM human_tasks WHERE status = 'open'")),
            "overdue_open": conn.scalar(text("SELECT count(*) FROM human_tasks "
                                             "WHERE status = 'open' AND due_at < now()")),
            "multi_role_tasks": conn.scalar(text("SELECT count(*) FROM human_tasks "
                                                 "WHERE candidate_roles LIKE '%,%'")),
            "students": conn.scalar(text("SELECT count(*) FROM students")),
        }


# --------------------------------------------------------------------------- queries
@dataclass
class Probe:
    """One inbox query: who asks (cycled over `actors`) and what (search terms cycled too)."""

    name: str
    actors: list[Actor]
    make: Callable[[Actor, int], Callable[[], Any]]


def _page(scope: str, overdue: bool = False, terms: list[str] | None = None
          ) -> Callable[[Actor, int], Callable[[], Any]]:
    def make(actor: Actor, i: int) -> Callable[[], Any]:
        q = terms[i % len(terms)] if terms else None
        query = inbox.InboxQuery(scope=scope, overdue=overdue, q=q, limit=PAGE)
        return lambda: inbox.list_tasks(CTX, actor, query)
    return make


def _counts(actor: Actor, _i: int) -> Callable[[], Any]:
    return lambda: inbox.counts(CTX, actor)


CTX: AppContext  # set in main (the closures above run against it)


def probes(ctx: AppContext, staff: dict[str, list[int]], samples: int) -> list[Probe]:
    def actors(role: str) -> list[Actor]:
        return [a for a in (actor_for_user(ctx, uid) for uid in staff[role]) if a is not None]

    registrars, deans, vr, head = actors("registrar"), actors("dean"), actors("vice_rector"), actors(
        "registrar_head")
    rng = random.Random(11)
    with ctx.db.engine.connect() as conn:
        open_iins = [r[0] for r in conn.execute(text(
            "SELECT subject_iin FROM human_tasks WHERE status = 'open' ORDER BY random() LIMIT :n"),
            {"n": samples})]
        any_iins = [r[0] for r in conn.execute(text("SELECT iin FROM students ORDER BY random() LIMIT :n"),
                                                {"n": samples})]
    iins = [x for pair in zip(open_iins, any_iins, strict=False) for x in pair] or ["000000000000"]
    surnames = [rng.choice(SURNAMES) for _ in range(max(1, samples))]
    out = []
    for scope, overdue, label in (("mine", False, "mine"), ("group", False, "group"),
                                  ("any", True, "overdue")):
        for who, group in (("registrar", registrars), ("dean", deans), ("vice-rector", vr)):
            out.append(Probe(f"{label:<8} {who}", group, _page(scope, overdue)))
    out.append(Probe("all      office head", head, _page("all")))
    for what, terms in (("ИИН", iins), ("surname", surnames)):
        out.append(Probe(f"search {what:<7} registrar (group)", registrars, _page("group", terms=terms)))
        out.append(Probe(f"search {what:<7} office head (all)", head, _page("all", terms=terms)))
    for who, group in (("registrar", registrars), ("dean", deans), ("vice-rector", vr),
                       ("office head", head)):
        out.append(Probe(f"counts   {who}", group, _counts))
    return out


def _rows(result: Any) -> tuple[int, int]:
    """(rows on the page, total) of a list_tasks result; (tabs, sum of the counts) of counts()."""
    if isinstance(result, dict):
        return len(result), sum(result.values())
    rows, total = result
    return len(rows), total


def measure(probe: Probe, samples: int, warmup: int) -> dict[str, Any]:
    calls = [probe.make(probe.actors[i % len(probe.actors)], i) for i in range(samples)]
    for call in calls[:warmup]:
        call()
    times, shown, totals = [], [], []
    for call in calls:
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
        rows, total = _rows(result)
        shown.append(rows)
        totals.append(total)
    totals.sort()
    return {"name": probe.name, "samples": samples, **{k: round(v, 2) for k, v in percentiles(times).items()},
            "rows_median": sorted(shown)[len(shown) // 2], "total_min": totals[0],
            "total_median": totals[len(totals) // 2], "total_max": totals[-1]}


def explain(ctx: AppContext, probe: Probe) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one call of `probe` runs."""
    call = probe.make(probe.actors[0], 0)
    with captured_sql(ctx.db.engine, lambda s: s.lstrip().upper().startswith("SELECT")) as statements:
        call()
    lines = []
    with ctx.db.engine.connect() as conn:
        for statement, params in statements:
            lines.append("  SQL: " + " ".join(statement.split())[:400])
            lines += ["    " + r[0] for r in conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, params)]
    return lines


# --------------------------------------------------------------------------- main
def _staff_ids(ctx: AppContext) -> dict[str, list[int]]:
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT r.role, u.id FROM users u JOIN user_roles r ON r.user_id = u.id "
                                 "ORDER BY u.id")).all()
    out: dict[str, list[int]] = {}
    for role, uid in rows:
        out.setdefault(role, []).append(uid)
    return out


def main(argv: list[str] | None = None) -> int:
    global CTX
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--open", type=int, default=100_000, help="open cases, one open task each")
    ap.add_argument("--closed", type=int, default=1_000_000, help="closed cases")
    ap.add_argument("--students", type=int, default=30_000)
    ap.add_argument("--samples", type=int, default=200, help="timed calls per query")
    ap.add_argument("--warmup", type=int, default=10, help="untimed calls per query first")
    ap.add_argument("--reuse", metavar="DB", help="measure a database kept by --keep (upgraded first)")
    ap.add_argument("--no-explain", action="store_true")
    pg_arguments(ap)
    args = ap.parse_args(argv)
    if skipped_without_pg(args):
        return 0
    admin = pg_admin_conninfo(args.pg_url)
    if args.reuse:
        name, url = args.reuse, normalize_database_url(admin.rsplit("/", 1)[0] + "/" + args.reuse)
    else:
        name, url = create_pg_database(admin, "regoffice_bench_inbox_")
    settings = replace(Settings.from_env(), database_url=url, workflows_dir=ROOT / "workflows",
                       config_dir=ROOT / "config", forms_dir=ROOT / "forms", background="none",
                       celery_broker_url=None, db_statement_timeout_ms=0)  # bulk data: no statement limit
    CTX = ctx = build_context(settings)
    command = " ".join(["python", "bench/inbox_scale.py", *(sys.argv[1:] if argv is None else argv)])
    report: dict[str, Any] = {"machine": machine(), "target_p95_ms": TARGET_P95_MS, "page": PAGE,
                              "sizes": {"open": args.open, "closed": args.closed, "students": args.students},
                              "command": command}
    try:
        upgrade(url)
        print(machine_line())
        with ctx.db.engine.connect() as conn:
            report["postgresql"] = conn.scalar(text("SHOW server_version"))
            report["pg_settings"] = {k: conn.scalar(text(f"SHOW {k}")) for k in (
                "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost")}
        pg_settings = ", ".join(f"{k}={v}" for k, v in report["pg_settings"].items())
        print(f"PostgreSQL {report['postgresql']} ({pg_settings}), database {name}")
        if not args.reuse:
            _log(f"generating {args.closed:,} closed + {args.open:,} open cases, {args.students:,} students")
            report.update(generate(ctx, args.open, args.closed, args.students))
            print(f"generated in {report['generation_s']} s")
        report["rows"] = table_rows(ctx)
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in report["rows"].items()))
        chosen = probes(ctx, _staff_ids(ctx), args.samples)
        print(f"\n{args.samples} samples per query after {args.warmup} warm-up calls, page of {PAGE}; "
              f"target p95 <= {TARGET_P95_MS:g} ms; load average {os.getloadavg()[0]:.2f}")
        print(f"  {'query':<38} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  {'rows':>5}  "
              "total (min/median/max)")
        report["queries"] = []
        for probe in chosen:
            r = measure(probe, args.samples, args.warmup)
            report["queries"].append(r)
            flag = "" if r["p95"] <= TARGET_P95_MS else "  OVER"
            print(f"  {r['name']:<38} {r['p50']:8.2f} {r['p95']:8.2f} {r['p99']:8.2f}  "
                  f"{r['rows_median']:>5}  {r['total_min']:,} / {r['total_median']:,} / {r['total_max']:,}"
                  f"{flag}", flush=True)
        report["load1_after"] = round(os.getloadavg()[0], 2)
        print(f"load average after: {report['load1_after']:.2f}")
        if not args.no_explain:
            for probe in chosen:
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) — {probe.name.strip()}")
                print("\n".join(explain(ctx, probe)))
    finally:
        ctx.db.dispose()
        if args.keep or args.reuse:
            print(f"\nkept: database {name}", file=sys.stderr)
        else:
            drop_pg_database(admin, name)
        write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
