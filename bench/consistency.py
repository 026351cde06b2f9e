#!/usr/bin/env python
"""Is the database consistent after a load with faults? Queries on the database only (PostgreSQL),
given what the clients know: the cases they registered and the task completions the server
acknowledged.

    python bench/consistency.py --database-url postgresql://…/db [--clients-json FILE]

FILE: {"created": [case ids], "acknowledged": [task ids]} (bench/load_faults.py runs the checks
itself). Checks, each printed PASS/FAIL with its counts (exit 1 on any FAIL):

  cases          no case lost (every case a client registered exists) and none registered twice
                 (every case in the database is one a client knows: no blind resend made a copy)
  completions    every completion the server acknowledged is stored, and each task once
  not stuck      every case not finished has an open human task or a pending job or timer
  numbers        register numbers per register and year unique (one case, one issue each) and
                 gap-free (1..N, N = the register's counter)
  jobs           every outbox job done (none pending, lost, failed or skipped) and its effect once:
                 one issue (ru + kk, one number) per document job of a case, one document_issued
                 event per issue; jobs run more than once after a kill are counted
  audit          every completed task has exactly one task_completed event, every case exactly one
                 case_started event, every completed case its case_completed event
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from server.config import normalize_database_url  # noqa: E402

FINAL = ("completed", "rejected", "cancelled", "withdrawn")
UNFINISHED_JOBS = ("pending", "sent", "running")


@dataclass
class Check:
    name: str
    ok: bool
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name:<12} {counts}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "counts": self.counts, "problems": self.problems[:20]}


def _sample(values: Any, n: int = 10) -> str:
    values = sorted(values)
    return ", ".join(map(str, values[:n])) + (" …" if len(values) > n else "")


def unfinished_jobs(url: str) -> int:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM outbox_jobs WHERE status = ANY(:s)"),
                                    {"s": list(UNFINISHED_JOBS)}).scalar() or 0)
    finally:
        engine.dispose()


def run_checks(url: str, created: list[int] | None, acknowledged: list[str] | None) -> list[Check]:
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as conn:
            return [check_cases(conn, created), check_completions(conn, acknowledged),
                    check_not_stuck(conn), check_numbers(conn), check_jobs(conn), check_audit(conn)]
    finally:
        engine.dispose()


def check_cases(conn: Any, created: list[int] | None) -> Check:
    ids = {r[0] for r in conn.execute(text("SELECT id FROM cases"))}
    if created is None:
        return Check("cases", True, {"in database": len(ids), "registered by clients": "not given"})
    mine = set(created)
    lost = mine - ids
    unknown = ids - mine
    twice = [i for i, n in Counter(created).items() if n > 1]
    check = Check("cases", not lost and not unknown and not twice,
                  {"registered by clients": len(mine), "in database": len(ids), "lost": len(lost),
                   "unknown to clients": len(unknown), "adopted twice": len(twice)})
    if lost:
        check.problems.append(f"lost: {_sample(lost)}")
    if unknown:
        check.problems.append(f"in the database but no client registered them: {_sample(unknown)}")
    if twice:
        check.problems.append(f"adopted by two requests: {_sample(twice)}")
    return check


def check_completions(conn: Any, acknowledged: list[str] | None) -> Check:
    completed = int(conn.execute(
        text("SELECT count(*) FROM human_tasks WHERE status = 'completed'")).scalar())
    if acknowledged is None:
        return Check("completions", True, {"completed tasks": completed, "acknowledged": "not given"})
    acked = set(acknowledged)
    rows = dict(conn.execute(text("SELECT id, status FROM human_tasks WHERE id = ANY(:ids)"),
                             {"ids": list(acked)}).all())
    not_stored = [t for t in acked if rows.get(t) != "completed"]
    twice = [t for t, n in Counter(acknowledged).items() if n > 1]
    check = Check("completions", not not_stored and not twice,
                  {"acknowledged": len(acked), "completed in database": completed,
                   "acknowledged but not completed": len(not_stored), "acknowledged twice": len(twice)})
    if not_stored:
        check.problems.append(f"acknowledged, not stored: {_sample(not_stored)}")
    if twice:
        check.problems.append(f"acknowledged twice: {_sample(twice)}")
    return check


def check_not_stuck(conn: Any) -> Check:
    rows = conn.execute(text("""
        SELECT c.id, c.status,
               EXISTS (SELECT 1 FROM human_tasks t WHERE t.case_id = c.id AND t.status = 'open'),
               EXISTS (SELECT 1 FROM outbox_jobs j WHERE j.case_id = c.id AND j.status = ANY(:jobs)),
               EXISTS (SELECT 1 FROM timers m WHERE m.case_id = c.id AND m.status = 'waiting')
        FROM cases c WHERE c.status <> ALL(:final)"""),
                        {"jobs": list(UNFINISHED_JOBS), "final": list(FINAL)}).all()
    stuck = [r[0] for r in rows if r[1] == "error" or not (r[2] or r[3] or r[4])]
    by_status = Counter(r[1] for r in rows)
    check = Check("not stuck", not stuck,
                  {"not finished": len(rows), "with an open task": sum(1 for r in rows if r[2]),
                   "waiting for a job": sum(1 for r in rows if r[3] and not r[2]),
                   "waiting only for a timer": sum(1 for r in rows if r[4] and not (r[2] or r[3])),
                   "stuck": len(stuck), "by status": dict(by_status)})
    if stuck:
        check.problems.append(f"stuck: {_sample(stuck)}")
    return check


def check_numbers(conn: Any) -> Check:
    issues = conn.execute(text("""
        SELECT register, year, seq, count(DISTINCT case_id), count(DISTINCT verification_code)
        FROM documents WHERE seq IS NOT NULL AND version = 1 GROUP BY register, year, seq""")).all()
    counters = {(r[0], r[1]): r[2] for r in conn.execute(
        text("SELECT register, year, last_number FROM register_counters"))}
    seqs: dict[tuple[str, int], list[int]] = {}
    shared = []
    for register, year, seq, cases, codes in issues:
        seqs.setdefault((register, year), []).append(seq)
        if cases != 1 or codes != 1:
            shared.append(f"{register}/{year} №{seq}: {cases} cases, {codes} issues")
    gaps = []
    for key in set(seqs) | set(counters):
        numbers = sorted(seqs.get(key, []))
        expected = list(range(1, counters.get(key, 0) + 1))
        if numbers != expected:
            missing = sorted(set(expected) - set(numbers))
            extra = sorted(set(numbers) - set(expected))
            gaps.append(f"{key[0]}/{key[1]}: counter {counters.get(key, 0)}, missing {_sample(missing)}, "
                        f"beyond the counter {_sample(extra)}")
    per_register = {f"{k[0]}/{k[1]}": len(v) for k, v in sorted(seqs.items())}
    check = Check("numbers", not shared and not gaps,
                  {"numbers": sum(per_register.values()), "per register": per_register,
                   "shared": len(shared), "registers with gaps": len(gaps)})
    check.problems += shared[:10] + gaps
    return check


def check_jobs(conn: Any) -> Check:
    jobs = conn.execute(text("SELECT id, kind, status, attempts, case_id FROM outbox_jobs")).all()
    by_status = Counter(j[2] for j in jobs)
    not_done = [f"{j[0]} {j[1]} {j[2]}" for j in jobs if j[2] != "done"]
    # each of these jobs issues one document; a military-office notice issues one or none (no
    # student of call-up age on the order)
    renders = Counter(j[4] for j in jobs if j[1] in ("document/render", "letter/refusal"))
    optional = Counter(j[4] for j in jobs if j[1] == "letter/military_notice")
    issues = Counter(r[0] for r in conn.execute(text("""
        SELECT DISTINCT case_id, verification_code FROM documents WHERE case_id IS NOT NULL""")))
    events = Counter(r[0] for r in conn.execute(
        text("SELECT case_id FROM audit_events WHERE kind = 'document_issued'")))
    languages = conn.execute(text("""
        SELECT verification_code, string_agg(language, ',' ORDER BY language), count(DISTINCT seq)
        FROM documents GROUP BY verification_code""")).all()
    bad_issue = [f"{code}: {langs}, {nseq} numbers" for code, langs, nseq in languages
                 if langs != "kk,ru" or nseq != 1]
    mismatch = [f"case {c}: {renders.get(c, 0)} document jobs (+{optional.get(c, 0)} notices), "
                f"{issues.get(c, 0)} issues, {events.get(c, 0)} document_issued events"
                for c in set(renders) | set(issues) | set(events) | set(optional)
                if not (renders.get(c, 0) <= issues.get(c, 0) <= renders.get(c, 0) + optional.get(c, 0)
                        and issues.get(c, 0) == events.get(c, 0))]
    attempts = Counter(j[3] for j in jobs)
    check = Check("jobs", not not_done and not mismatch and not bad_issue,
                  {"jobs": len(jobs), "by status": dict(by_status), "document jobs": sum(renders.values()),
                   "issues": sum(issues.values()), "re-run after a kill": sum(1 for j in jobs if j[3] > 1),
                   "by attempts": dict(sorted(attempts.items())), "effect not once": len(mismatch),
                   "bad issues": len(bad_issue)})
    check.problems += not_done[:10] + mismatch[:10] + bad_issue[:10]
    return check


def check_audit(conn: Any) -> Check:
    task_events = conn.execute(text("""
        SELECT t.id, count(a.id) FROM human_tasks t
        LEFT JOIN audit_events a ON a.task_id = t.id AND a.kind = 'task_completed'
        WHERE t.status = 'completed' GROUP BY t.id HAVING count(a.id) <> 1""")).all()
    orphan_events = conn.execute(text("""
        SELECT count(*) FROM audit_events a WHERE a.kind = 'task_completed' AND NOT EXISTS
        (SELECT 1 FROM human_tasks t WHERE t.id = a.task_id AND t.status = 'completed')""")).scalar()
    started = conn.execute(text("""
        SELECT c.id, count(a.id) FROM cases c
        LEFT JOIN audit_events a ON a.case_id = c.id AND a.kind = 'case_started'
        GROUP BY c.id HAVING count(a.id) <> 1""")).all()
    finished = conn.execute(text("""
        SELECT c.id FROM cases c WHERE c.status = 'completed' AND NOT EXISTS
        (SELECT 1 FROM audit_events a WHERE a.case_id = c.id AND a.kind = 'case_completed')""")).all()
    events = int(conn.execute(text("SELECT count(*) FROM audit_events")).scalar())
    check = Check("audit", not task_events and not orphan_events and not started and not finished,
                  {"events": events, "completed tasks without exactly one event": len(task_events),
                   "task events without a completed task": orphan_events,
                   "cases without exactly one started event": len(started),
                   "completed cases without their event": len(finished)})
    check.problems += [f"task {t}: {n} task_completed events" for t, n in task_events[:10]]
    check.problems += [f"case {c}: {n} case_started events" for c, n in started[:10]]
    check.problems += [f"case {c[0]}: completed without case_completed" for c in finished[:10]]
    return check


def print_checks(checks: list[Check]) -> bool:
    for check in checks:
        print(check.line())
        for problem in check.problems[:10]:
            print(f"      {problem}")
    return all(c.ok for c in checks)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--clients-json", type=Path,
                    help='{"created": [case ids], "acknowledged": [task ids]} from the clients')
    args = ap.parse_args(argv)
    known = json.loads(args.clients_json.read_text()) if args.clients_json else {}
    checks = run_checks(args.database_url, known.get("created"), known.get("acknowledged"))
    return 0 if print_checks(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
