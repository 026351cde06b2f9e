#!/usr/bin/env python
"""Server throughput and memory under concurrent HTTP clients, on a whole installation: PostgreSQL,
gunicorn (N workers × T threads, gthread), a Celery worker and beat on Redis (see bench/_cluster.py).

    python bench/http_load.py [--model approval|transfer_in] [--workers 2] [--threads 4]
                              [--clients 16] [--duration 60] [--warmup 10] [--progress] [--json F]

Each client loops: POST /api/v1/cases, then POST /api/v1/tasks/<id>/complete for every open task
(the response names the next ones) as the user holding the task's role; while a transfer_in case
waits for its order (rendered by the Celery worker) the client polls GET /api/v1/cases/<id>.
Prints completions/s, cases/s, latency of completes, HTTP statuses (any 5xx: exit 1), CPU seconds
per completion (web, PostgreSQL backends, Celery, this client process) and the RSS of every
process, with the targets: ≥ 300 completions/s, p99 ≤ 200 ms, RSS ≤ 250 MB per process and flat
(≤ 10 % growth after the warm-up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

import logging  # noqa: E402

logging.basicConfig(level=logging.ERROR)

from _client import Client, ClientSetup, Stats  # noqa: E402
from _cluster import Cluster, ClusterOptions, MemoryRow, iin_stream, memory_rows, redis_unreachable  # noqa: E402
from _common import machine, machine_line, percentiles, pg_arguments, pg_unreachable, write_json  # noqa: E402

TARGET_RATE = 300.0  # task completions per second
TARGET_P99_MS = 200.0
TARGET_RSS_MIB = 250.0
TARGET_GROWTH = 0.10
VERDICT_ROWS = ("web worker", "celery main", "celery pool children (max)")


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("approval", "transfer_in"), default="approval")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads per gunicorn worker (default 2: on 2 cores, 4 threads per worker cost "
                         "about 10%% more CPU per request in GIL hand-offs; docs/performance.md)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    ap.add_argument("--duration", type=float, default=60, help="measured seconds (default 60)")
    ap.add_argument("--warmup", type=float, default=10, help="unmeasured seconds first (default 10)")
    ap.add_argument("--progress", action="store_true", help="a line every 10 s: completions/s and RSS")
    ap.add_argument("--worker-concurrency", type=int, default=2, help="Celery pool processes (default 2)")
    ap.add_argument("--tick", type=float, default=0.5,
                    help="REGOFFICE_TICK_SECONDS: beat hands out due jobs this often (default 0.5)")
    ap.add_argument("--profile-web", type=float, default=0, metavar="SECONDS",
                    help="py-spy record one web worker for this long during the measurement "
                         "(needs `pip install py-spy`) and print where its CPU goes")
    pg_arguments(ap)
    return ap.parse_args(argv)


def cpu_split(c0: dict[str, float], c1: dict[str, float], client: float, completions: int) -> dict[str, Any]:
    groups = {g: c1.get(g, 0.0) - c0.get(g, 0.0) for g in ("web", "postgres", "worker", "beat")}
    groups["client"] = client
    per = {g: (v * 1000 / completions if completions else None) for g, v in groups.items()}
    return {"seconds": {g: round(v, 2) for g, v in groups.items()},
            "ms_per_completion": {g: (round(v, 2) if v is not None else None) for g, v in per.items()}}


def verdict_rows(rows: list[MemoryRow]) -> list[MemoryRow]:
    return [r for r in rows if r.label.startswith(VERDICT_ROWS)]


def memory_verdict(rows: list[MemoryRow]) -> dict[str, Any]:
    judged = verdict_rows(rows)
    over = [r.label for r in judged if r.peak_mib > TARGET_RSS_MIB]
    growing = [r.label for r in judged if r.growth > TARGET_GROWTH]
    return {"rss_ok": not over, "flat": not growing, "over_target": over, "growing": growing}


def print_memory(rows: list[MemoryRow], window_note: str) -> None:
    print(f"\nRSS (MiB): peak, median of the {window_note}; target ≤ {TARGET_RSS_MIB:.0f} MB each "
          f"and flat (growth ≤ {TARGET_GROWTH:.0%})")
    width = max([len(r.label) for r in rows] + [10])
    for r in rows:
        judged = r.label.startswith(VERDICT_ROWS)
        flag = ""
        if judged:
            flag = "flat" if r.growth <= TARGET_GROWTH else "GROWING"
            flag += "" if r.peak_mib <= TARGET_RSS_MIB else ", OVER TARGET"
        print(f"  {r.label:<{width}}  peak {r.peak_mib:7.1f}  first {r.first_mib:7.1f}  "
              f"last {r.last_mib:7.1f}  {r.growth:+7.1%}  {flag}")


def profile_web(cluster: Cluster, seconds: float, out_dir: Path) -> dict[str, Any] | None:
    """py-spy record of the first web worker (raw collapsed stacks, only threads holding the GIL:
    Python CPU, not threads waiting for PostgreSQL or a socket), summarised: where CPU goes."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("profile: py-spy is not installed (pip install py-spy)")
        return None
    workers = [pid for label, (_g, pid) in cluster.processes().items() if label.startswith("web worker")]
    if not workers:
        return None
    out = out_dir / "web-worker.txt"
    proc = subprocess.run([exe, "record", "-d", str(int(seconds)), "-p", str(workers[0]), "-o", str(out),
                           "-f", "raw", "--gil", "--nonblocking"], capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        print(f"profile: py-spy failed: {proc.stderr.strip()[-500:]}")
        return None
    return summarise_stacks(out.read_text())


def summarise_stacks(raw: str, top: int = 20) -> dict[str, Any]:
    """Collapsed stacks (`frame;frame;... count`) -> share of samples per leaf function (self),
    per function anywhere on the stack (inclusive) and per function of server/ (project), by
    `function (file)`."""
    self_c: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    project: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += n
        self_c[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
            if "(server/" in f:
                project[f] += n

    def share(c: Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(v / total, 4)) for k, v in c.most_common(top)] if total else []
    return {"samples": total, "self": share(self_c), "inclusive": share(incl), "project": share(project)}


def _frame(frame: str) -> str:
    """`func (path/to/module.py:123)` -> `func (module.py)`; path prefixes dropped."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker, prefix in (("site-packages/", ""), ("/server/", "server/"), ("/lib/python", "")):
        if marker in where:
            where = prefix + where.split(marker, 1)[1]
            break
    return f"{name} ({where})" if where else name


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    reason = pg_unreachable(args.pg_url) or redis_unreachable()
    if reason:
        print(f"skipped: {reason}")
        write_json(args.json, {"skipped": reason})
        return 0
    print(machine_line())
    load_before = os.getloadavg()
    opts = ClusterOptions(pg_url=args.pg_url, models=(args.model,), web_workers=args.workers,
                          web_threads=args.threads, worker_concurrency=args.worker_concurrency,
                          students=max(50, args.clients), tick_seconds=args.tick, keep=args.keep)
    stats = Stats()
    fatal: list[str] = []
    stop = threading.Event()

    def on_fatal(text: str) -> None:
        fatal.append(text)
        stop.set()

    with Cluster(opts) as cluster:
        cluster.start_all()
        setup = ClientSetup(port=cluster.port, tokens=cluster.tokens, faculties=cluster.faculties,
                            models=[cluster.models[args.model]], students=cluster.students,
                            applicant_iins=iin_stream(1980),
                            clients=args.clients)
        print(f"gunicorn server.wsgi:app on 127.0.0.1:{cluster.port}: {args.workers} workers × "
              f"{args.threads} threads (gthread); Celery worker --concurrency {args.worker_concurrency} "
              f"and beat (tick {args.tick:g} s) on {cluster.broker}; model {args.model}; "
              f"{args.clients} clients, warm-up {args.warmup:g} s, measured {args.duration:g} s")
        clients = [Client(i, setup, stats, stop, on_fatal) for i in range(args.clients)]
        for c in clients:
            c.start()
        stop.wait(args.warmup)
        s0 = cluster.sample()
        client_cpu0 = time.process_time()
        with stats.lock:
            stats.measuring = True
        t_start = time.monotonic()
        t_start_rel = s0.t
        profile: dict[str, Any] | None = None
        profiler: threading.Thread | None = None
        if args.profile_web:
            def run_profile() -> None:
                nonlocal profile
                profile = profile_web(cluster, args.profile_web, cluster.tmp)
            profiler = threading.Thread(target=run_profile, daemon=True)
            profiler.start()
        last_n, last_t = 0, t_start
        while not stop.is_set():
            left = t_start + args.duration - time.monotonic()
            if left <= 0:
                break
            stop.wait(min(10.0, left))
            if args.progress and not stop.is_set():
                now = time.monotonic()
                with stats.lock:
                    n = stats.completions
                sample = cluster.samples[-1] if cluster.samples else None
                current = sample.rss if sample else {}
                rss = ", ".join(f"{k.split(' [')[0]} {v / 1024:.0f}" for k, v in current.items()
                                if not k.startswith("web master"))
                print(f"  [{now - t_start:5.0f}s] {(n - last_n) / (now - last_t):6.1f} compl/s "
                      f"(total {n}), load {os.getloadavg()[0]:.2f}, RSS MiB: {rss}", flush=True)
                last_n, last_t = n, now
        elapsed = time.monotonic() - t_start
        with stats.lock:
            stats.measuring = False
        s1 = cluster.sample()
        client_cpu = time.process_time() - client_cpu0
        stop.set()
        for c in clients:
            c.join(timeout=30)
        if profiler is not None:
            profiler.join(timeout=args.profile_web + 30)
        rows = memory_rows(cluster, t_start_rel, s1.t)
        load_after = os.getloadavg()
        result = report(args, stats, elapsed, cpu_split(s0.cpu, s1.cpu, client_cpu, stats.completions),
                        rows, fatal, load_before, load_after, profile)
    write_json(args.json, result)
    return 1 if result["errors"] else 0


def report(args: argparse.Namespace, stats: Stats, elapsed: float, cpu: dict[str, Any], rows: list[MemoryRow],
           fatal: list[str], load_before: tuple[float, ...], load_after: tuple[float, ...],
           profile: dict[str, Any] | None) -> dict[str, Any]:
    rate = stats.completions / elapsed if elapsed else 0.0
    lat = percentiles(stats.complete_ms) if stats.complete_ms else {}
    lat_max = max(stats.complete_ms) if stats.complete_ms else None
    create = percentiles(stats.create_ms) if stats.create_ms else {}
    five = stats.five_xx()
    broken = stats.statuses.get("conn-broken", 0) + stats.statuses.get("conn-refused", 0)
    errors = list(fatal)
    if five:
        errors.append(f"{five} responses with HTTP 5xx")
    if broken:
        errors.append(f"{broken} broken or refused connections")
    mem = memory_verdict(rows)
    window = "first and last minute" if elapsed >= 180 else "first and last third of the run"
    print(f"\nmeasured {elapsed:.1f} s; load average {load_before[0]:.2f} before, {load_after[0]:.2f} "
          f"after (1 min), {load_after[1]:.2f} (5 min)")
    print(f"  completions/s {rate:8.1f}   target ≥ {TARGET_RATE:.0f}   "
          f"{'met' if rate >= TARGET_RATE else 'MISSED'}   ({stats.completions} task completions)")
    print(f"  cases/s       {stats.cases_started / elapsed if elapsed else 0:8.2f}   "
          f"(started {stats.cases_started}, finished {stats.cases_finished})")
    if lat:
        print(f"  complete latency ms: p50 {lat['p50']:.1f}  p95 {lat['p95']:.1f}  p99 {lat['p99']:.1f}  "
              f"max {lat_max:.1f}   target p99 ≤ {TARGET_P99_MS:.0f}   "
              f"{'met' if lat['p99'] <= TARGET_P99_MS else 'MISSED'}")
    if create:
        print(f"  start latency ms:    p50 {create['p50']:.1f}  p95 {create['p95']:.1f}  "
              f"p99 {create['p99']:.1f}")
    print(f"  HTTP statuses (warm-up included): {dict(sorted(stats.statuses.items()))}")
    ms = cpu["ms_per_completion"]
    groups = ("web", "postgres", "worker", "beat", "client")
    print("  CPU ms per completion: "
          + ", ".join(f"{g} {ms[g]:.2f}" if ms[g] is not None else f"{g} -" for g in groups)
          + f"  (seconds: {cpu['seconds']})")
    if cpu["seconds"]["postgres"] == 0:
        print("  (PostgreSQL backends' CPU was not readable from /proc)")
    print_memory(rows, window)
    children = sum(1 for r in rows if r.label.startswith("celery child"))
    print(f"  memory: {'≤ target' if mem['rss_ok'] else 'OVER target: ' + ', '.join(mem['over_target'])}; "
          f"{'flat' if mem['flat'] else 'GROWING: ' + ', '.join(mem['growing'])}; "
          f"{children} Celery pool processes seen (a child over the memory cap is replaced)")
    if profile:
        print(f"\nweb worker profile (py-spy, {profile['samples']} samples): self")
        for name, share in profile["self"][:15]:
            print(f"  {share:6.1%}  {name}")
        print("inclusive")
        for name, share in profile["inclusive"][:25]:
            print(f"  {share:6.1%}  {name}")
        print("inclusive, functions of server/")
        for name, share in profile["project"][:20]:
            print(f"  {share:6.1%}  {name}")
    for e in errors:
        print(f"ERROR: {e}")
    for e in stats.errors[:10]:
        print(f"  client: {e}")
    return {
        "model": args.model, "workers": args.workers, "threads": args.threads, "clients": args.clients,
        "duration_s": round(elapsed, 2), "warmup_s": args.warmup, "machine": machine(),
        "load_before": load_before, "load_after": load_after,
        "completions": stats.completions, "completions_per_s": round(rate, 2),
        "cases_started": stats.cases_started, "cases_finished": stats.cases_finished,
        "cases_per_s": round(stats.cases_started / elapsed, 3) if elapsed else 0,
        "latency_ms": {**{k: round(v, 2) for k, v in lat.items()},
                       "max": round(lat_max, 2) if lat_max is not None else None},
        "start_latency_ms": {k: round(v, 2) for k, v in create.items()},
        "statuses": dict(stats.statuses), "five_xx": five, "cpu": cpu,
        "memory": [r.as_dict() for r in rows], "memory_verdict": mem, "pool_children_seen": children,
        "targets": {"completions_per_s": TARGET_RATE, "p99_ms": TARGET_P99_MS, "rss_mib": TARGET_RSS_MIB,
                    "growth": TARGET_GROWTH},
        "targets_met": {"rate": rate >= TARGET_RATE,
                        "p99": bool(lat) and lat["p99"] <= TARGET_P99_MS,
                        "rss": mem["rss_ok"], "flat": mem["flat"]},
        "profile": profile, "errors": errors, "client_errors": stats.errors,
    }


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted")
        sys.exit(130)
