#!/usr/bin/env python
"""Load with faults: concurrent clients register and drive cases while the Celery worker is
SIGKILLed (its whole process group) every --kill-every seconds and started again, and gunicorn is
killed and restarted once mid-run. Then the outbox drains and bench/consistency.py checks the
database: no case lost or registered twice, every acknowledged completion stored, none stuck,
register numbers unique and gap-free, every job done with its effect once, the audit complete.

    python bench/load_faults.py [--clients 50] [--duration 300] [--kill-every 30] [--json F]

The models are transfer_in (6 user tasks; the order is rendered and numbered by the worker) and
cert_study (a registered student's certificate, numbered in the certificates register), in turn.
Clients retry a request that could not be sent (the server is restarting); a request whose
outcome is unknown (the connection broke after it was sent) is checked by reading the case, or by
searching for it by its ИИН, never blindly sent again. Exit 1 on any FAIL, 5xx or client error.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

import logging  # noqa: E402

logging.basicConfig(level=logging.ERROR)

from _client import Client, ClientSetup, Stats  # noqa: E402
from _cluster import Cluster, ClusterOptions, iin_stream, memory_rows, redis_unreachable  # noqa: E402
from _common import machine, machine_line, percentiles, pg_arguments, pg_unreachable, write_json  # noqa: E402
from consistency import print_checks, run_checks, unfinished_jobs  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    ap.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    ap.add_argument("--kill-every", type=float, default=30,
                    help="SIGKILL the Celery worker's process group this often, then start it (default 30)")
    ap.add_argument("--web-restarts", type=int, default=1,
                    help="kill and restart gunicorn this many times, spread over the run (default 1)")
    ap.add_argument("--web-restart", choices=("kill", "term"), default="kill",
                    help="kill: SIGKILL the gunicorn group (requests in flight are cut off); "
                         "term: graceful SIGTERM (default kill)")
    ap.add_argument("--models", default="transfer_in,cert_study",
                    help="comma-separated, taken in turn (default transfer_in,cert_study)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    ap.add_argument("--worker-concurrency", type=int, default=2, help="Celery pool processes (default 2)")
    ap.add_argument("--tick", type=float, default=0.5, help="REGOFFICE_TICK_SECONDS (default 0.5)")
    ap.add_argument("--stale-seconds", type=int, default=10,
                    help="REGOFFICE_JOB_STALE_SECONDS: a job sent to a worker that died is sent again "
                         "after this long (default 10; production default 300)")
    ap.add_argument("--drain-timeout", type=float, default=180, help="seconds to wait for the outbox")
    pg_arguments(ap)
    return ap.parse_args(argv)


def running_jobs(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM outbox_jobs WHERE status = 'running'"))
                       .scalar() or 0)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    reason = pg_unreachable(args.pg_url) or redis_unreachable()
    if reason:
        print(f"skipped: {reason}")
        write_json(args.json, {"skipped": reason})
        return 0
    print(machine_line())
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    load_before = os.getloadavg()
    opts = ClusterOptions(pg_url=args.pg_url, models=models, web_workers=args.workers,
                          web_threads=args.threads, worker_concurrency=args.worker_concurrency,
                          students=max(100, args.clients * 4), tick_seconds=args.tick,
                          job_stale_seconds=args.stale_seconds, keep=args.keep)
    stats = Stats(measuring=True)
    fatal: list[str] = []
    stop, abort = threading.Event(), threading.Event()

    def on_fatal(text_: str) -> None:
        fatal.append(text_)
        stop.set()

    with Cluster(opts) as cluster:
        cluster.start_all()
        setup = ClientSetup(port=cluster.port, tokens=cluster.tokens, faculties=cluster.faculties,
                            models=[cluster.models[m] for m in models], students=cluster.students,
                            applicant_iins=iin_stream(1980), clients=args.clients, resilient=True)
        print(f"gunicorn on 127.0.0.1:{cluster.port} ({args.workers}×{args.threads} gthread), Celery worker "
              f"--concurrency {args.worker_concurrency} + beat (tick {args.tick:g} s, stale after "
              f"{args.stale_seconds} s) on {cluster.broker}; models {', '.join(models)}; {args.clients} "
              f"clients for {args.duration:g} s; worker killed every {args.kill_every:g} s, gunicorn "
              f"{args.web_restart}-restarted {args.web_restarts}×", flush=True)
        clients = [Client(i, setup, stats, stop, on_fatal, abort) for i in range(args.clients)]
        t0 = time.monotonic()
        s0 = cluster.sample()
        for c in clients:
            c.start()
        kills: list[dict[str, Any]] = []
        web_restarts: list[dict[str, Any]] = []
        kill_at = [k * args.kill_every for k in range(1, int(args.duration // args.kill_every) + 1)
                   if k * args.kill_every < args.duration]
        web_at = [args.duration * (i + 1) / (args.web_restarts + 1) + args.kill_every / 2
                  for i in range(args.web_restarts)]
        web_at = [t if t < args.duration else args.duration * (i + 1) / (args.web_restarts + 1)
                  for i, t in enumerate(web_at)]
        events = sorted([(t, "worker") for t in kill_at] + [(t, "web") for t in web_at])
        try:
            for at, what in events:
                if stop.wait(max(0.0, t0 + at - time.monotonic())):
                    break
                if what == "worker":
                    mid = running_jobs(cluster.url)
                    cluster.kill_worker()
                    time.sleep(0.5)
                    cluster.start_worker()
                    kills.append({"at_s": round(time.monotonic() - t0, 1), "jobs_running": mid})
                    print(f"  [{time.monotonic() - t0:5.0f}s] worker killed ({mid} job(s) running) and "
                          f"started; {stats.all_completions} completions so far", flush=True)
                else:
                    away = cluster.restart_web(hard=args.web_restart == "kill")
                    web_restarts.append({"at_s": round(time.monotonic() - t0, 1), "away_s": round(away, 2)})
                    print(f"  [{time.monotonic() - t0:5.0f}s] gunicorn {args.web_restart}-restarted, "
                          f"back after {away:.1f} s", flush=True)
            stop.wait(max(0.0, t0 + args.duration - time.monotonic()))
        finally:
            stop.set()
            for c in clients:
                c.join(timeout=60)
            abort.set()
        elapsed = time.monotonic() - t0
        s1 = cluster.sample()
        alive = [c.name for c in clients if c.is_alive()]
        if alive:
            fatal.append(f"{len(alive)} clients did not stop within 60 s")
        # drain: the worker runs every job left (a job lost with a killed worker is re-sent after
        # --stale-seconds)
        t_drain = time.monotonic()
        left = unfinished_jobs(cluster.url)
        while left and time.monotonic() - t_drain < args.drain_timeout:
            time.sleep(1)
            left = unfinished_jobs(cluster.url)
        drain_s = time.monotonic() - t_drain
        print(f"\nload {elapsed:.0f} s, then the outbox drained in {drain_s:.1f} s ({left} jobs left)")
        checks = run_checks(cluster.url, stats.created, stats.acknowledged)
        rows = memory_rows(cluster, s0.t, s1.t)
        worker_starts = cluster.worker.starts if cluster.worker else 0
    load_after = os.getloadavg()
    lat = percentiles(stats.complete_ms) if stats.complete_ms else {}
    five = stats.five_xx()
    print(f"clients: {len(stats.created)} cases registered ({dict(stats.by_model)}), "
          f"{stats.completions} task completions ({stats.completions / elapsed:.1f}/s), "
          f"{stats.cases_finished} cases finished")
    if lat:
        print(f"complete latency ms: p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f}  p99 {lat['p99']:.1f}  "
              f"max {max(stats.complete_ms):.1f}")
    print(f"HTTP: {dict(sorted(stats.statuses.items()))}")
    print(f"unknown outcomes re-checked: {dict(stats.rechecks) or 'none'}")
    print(f"worker kills {len(kills)} ({sum(1 for k in kills if k['jobs_running'])} with a job running), "
          f"worker started {worker_starts}×; gunicorn restarts {web_restarts}")
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min), "
          f"{load_after[1]:.2f} (5 min)\n")
    ok = print_checks(checks)
    errors = list(fatal)
    if five:
        errors.append(f"{five} responses with HTTP 5xx")
    if left:
        errors.append(f"{left} outbox jobs still unfinished after {args.drain_timeout:g} s")
    for e in errors:
        print(f"ERROR: {e}")
    for e in stats.errors[:10]:
        print(f"  client: {e}")
    print("RSS MiB (peak): " + ", ".join(f"{r.label} {r.peak_mib:.0f}" for r in rows
                                         if not r.label.startswith("celery child")))
    write_json(args.json, {
        "clients": args.clients, "duration_s": round(elapsed, 1), "kill_every_s": args.kill_every,
        "models": list(models), "machine": machine(), "load_before": load_before, "load_after": load_after,
        "cases": len(stats.created), "cases_by_model": dict(stats.by_model), "completions": stats.completions,
        "completions_per_s": round(stats.completions / elapsed, 2), "cases_finished": stats.cases_finished,
        "latency_ms": {k: round(v, 2) for k, v in lat.items()}, "statuses": dict(stats.statuses),
        "five_xx": five, "rechecks": dict(stats.rechecks), "kills": kills, "worker_starts": worker_starts,
        "web_restarts": web_restarts, "drain_s": round(drain_s, 1), "jobs_left": left,
        "checks": [c.as_dict() for c in checks], "all_pass": ok,
        "memory": [r.as_dict() for r in rows], "errors": errors, "client_errors": stats.errors,
    })
    return 0 if ok and not errors else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted")
        sys.exit(130)
