#!/usr/bin/env python
"""A case that never ends under load: a job on one case holds that case's row lock and never
returns (it sleeps far past the Celery hard time limit, as a script stuck in a loop after a
timer would), while clients drive transfer_in cases whose orders the worker renders; midway the
Celery worker is SIGKILLed (its whole process group) and started again at once.

    python bench/load_faults_hang.py [--clients 4] [--duration 60] [--hard-limit 3] [--json F]

Beside it a real model whose script, after a two-second timer, loops forever (`while True: pass`)
runs on the worker: the script budget ends it.

It shows, each as PASS/FAIL: a cancel request on the stuck case answers 409 within the lock
timeout instead of hanging; the looping script ends as an incident naming its element while the
worker goes on; the other cases' document jobs all finish; the killed worker is found
dead by its heartbeat and its jobs are sent again within seconds (the lease stays at the 300 s
production default); the stuck job is killed at every attempt and ends as an incident; no 5xx.
Exit 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import http.client
import json
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
from _cluster import Cluster, ClusterOptions, iin_stream, redis_unreachable  # noqa: E402
from _common import machine, machine_line, pg_arguments, pg_unreachable, write_json  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

LOCK_MS = 1000


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    ap.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    ap.add_argument("--hard-limit", type=int, default=5,
                    help="REGOFFICE_JOB_TIME_LIMIT, seconds (default 5; production 180)")
    ap.add_argument("--soft-limit", type=int, default=0,
                    help="REGOFFICE_JOB_SOFT_TIME_LIMIT (default 0: off, so the hard limit has to kill)")
    ap.add_argument("--kill-at", type=float, default=20, help="SIGKILL the worker this many seconds in")
    ap.add_argument("--drain-timeout", type=float, default=60, help="seconds to wait after the load")
    pg_arguments(ap)
    return ap.parse_args(argv)


def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _http(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.monotonic()
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null"), time.monotonic() - started
    finally:
        conn.close()


def _context(cluster: Cluster) -> Any:
    """A context on the cluster's database, for what the bench sets up without the API."""
    from server.bootstrap import build_context
    from server.config import Settings

    return build_context(Settings(
        instance_dir=cluster.tmp / "instance", database_url=cluster.url, secret_key="bench",
        workflows_dir=REPO / "workflows", forms_dir=REPO / "forms", templates_dir=REPO / "templates",
        config_dir=REPO / "config", background="none"))


def _stuck_case(cluster: Cluster) -> tuple[int, int]:
    """An approval case and the probe job that locks it and sleeps an hour."""
    from server.services.background import operations

    model = cluster.models["approval"]
    status, body, _ = _http(cluster.port, "POST", "/api/v1/cases", cluster.tokens["registrar"],
                            {"process_id": model.process_id, "data": model.start_data})
    assert status == 201, body
    ctx = _context(cluster)
    try:
        return body["id"], operations.enqueue_probe(ctx, None, 0, sleep_seconds=3600, case_id=body["id"])
    finally:
        ctx.db.dispose()


RUNAWAY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="Definitions_bench_runaway" targetNamespace="http://example.edu/regoffice/bench">
  <bpmn:process id="bench_runaway" name="Бесконечный скрипт после таймера (стенд)" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Пауза 2 секунды">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="ted">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2S"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="runaway" name="Цикл без конца">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>while True:
    pass</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="runaway" />
    <bpmn:sequenceFlow id="f3" sourceRef="runaway" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _runaway_case(cluster: Cluster) -> int:
    """A case of a model whose script loops forever once its two-second timer fires."""
    from server.auth import Actor
    from server.services.procedures.deployments import deploy_file

    ctx = _context(cluster)
    try:
        deploy_file(ctx, Actor.system(), "bench_runaway.bpmn", RUNAWAY)
    finally:
        ctx.db.dispose()
    status, body, _ = _http(cluster.port, "POST", "/api/v1/cases", cluster.tokens["registrar"],
                            {"process_id": "bench_runaway"})
    assert status == 201, body
    return int(body["id"])


def _wait(predicate: Any, timeout: float) -> float | None:
    """Seconds until `predicate()` held, or None after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    reason = pg_unreachable(args.pg_url) or redis_unreachable()
    if reason:
        print(f"skipped: {reason}")
        write_json(args.json, {"skipped": reason})
        return 0
    print(machine_line())
    env = {"REGOFFICE_JOB_TIME_LIMIT": str(args.hard_limit),
           "REGOFFICE_JOB_SOFT_TIME_LIMIT": str(args.soft_limit),
           "REGOFFICE_DB_LOCK_TIMEOUT_MS": str(LOCK_MS), "REGOFFICE_JOB_RETRY_SECONDS": "0.5",
           "REGOFFICE_WORKER_HEARTBEAT_SECONDS": "1", "REGOFFICE_WORKER_DEAD_SECONDS": "5"}
    opts = ClusterOptions(pg_url=args.pg_url, models=("transfer_in", "approval"), web_workers=2,
                          web_threads=2, worker_concurrency=2, students=100, tick_seconds=0.5,
                          job_stale_seconds=300, extra_env=env, keep=args.keep)
    stats = Stats(measuring=True)
    fatal: list[str] = []
    stop, abort = threading.Event(), threading.Event()
    checks: dict[str, tuple[bool, str]] = {}
    with Cluster(opts) as cluster:
        cluster.start_all()
        url = cluster.url
        case_id, stuck = _stuck_case(cluster)
        runaway = _runaway_case(cluster)
        job = "SELECT {} FROM outbox_jobs WHERE id = :id"
        print(f"gunicorn 2×2 on 127.0.0.1:{cluster.port}, worker --concurrency 2 + beat; hard limit "
              f"{args.hard_limit} s, soft limit {args.soft_limit or 'off'}, lock timeout {LOCK_MS} ms, lease "
              f"300 s; stuck case {case_id} (job {stuck} sleeps 3600 s holding its lock); {args.clients} "
              f"clients on transfer_in for {args.duration:g} s; worker SIGKILLed at {args.kill_at:g} s",
              flush=True)
        _wait(lambda: _scalar(url, job.format("status"), id=stuck) == "running", 30)
        status, body, took = _http(cluster.port, "POST", f"/api/v1/cases/{case_id}/cancel",
                                   cluster.tokens["registrar"], {"reason": "bench"})
        print(f"  cancel of the stuck case while its job holds the lock: {status} "
              f"{(body or {}).get('error')} in {took:.2f} s")
        checks["cancel answers 409 busy, not a hang"] = (
            status == 409 and took < LOCK_MS / 1000 + 2, f"{status} in {took:.2f} s")
        setup = ClientSetup(port=cluster.port, tokens=cluster.tokens, faculties=cluster.faculties,
                            models=[cluster.models["transfer_in"]], students=cluster.students,
                            applicant_iins=iin_stream(1981), clients=args.clients, resilient=True)
        clients = [Client(i, setup, stats, stop, lambda t: (fatal.append(t), stop.set()), abort)
                   for i in range(args.clients)]
        t0 = time.monotonic()
        for c in clients:
            c.start()
        time.sleep(max(0.0, t0 + args.kill_at - time.monotonic()))
        running = _scalar(url, "SELECT count(*) FROM outbox_jobs WHERE status = 'running'")
        cluster.kill_worker()
        killed = time.monotonic()
        cluster.start_worker()
        resent_sql = ("SELECT count(*) FROM audit_events WHERE kind = 'job_resent' "
                      "AND payload::jsonb ? 'dead_workers'")
        found = _wait(lambda: (_scalar(url, resent_sql) or 0) > 0, 40)
        print(f"  [{killed - t0:4.0f}s] worker SIGKILLed with {running} job(s) running and started again; "
              f"jobs re-sent as a dead worker's after {found if found is None else round(found, 1)} s")
        checks["a dead worker's jobs re-sent within seconds"] = (
            found is not None and found < 20, f"{found and round(found, 1)} s (lease 300 s)")
        stop.wait(max(0.0, t0 + args.duration - time.monotonic()))
        stop.set()
        for c in clients:
            c.join(timeout=60)
        abort.set()
        elapsed = time.monotonic() - t0
        others = ("SELECT count(*) FROM outbox_jobs WHERE kind = 'document/render' AND status {}")
        drained = _wait(lambda: _scalar(url, others.format("<> 'done'")) == 0
                        and _scalar(url, job.format("status"), id=stuck) == "failed", args.drain_timeout)
        docs_done = _scalar(url, others.format("= 'done'"))
        docs_left = _scalar(url, others.format("<> 'done'"))
        stuck_status = _scalar(url, job.format("status"), id=stuck)
        attempts = _scalar(url, job.format("attempts"), id=stuck)
        error = _scalar(url, job.format("last_error"), id=stuck) or ""
        incident = _scalar(url, "SELECT count(*) FROM audit_events WHERE kind = 'incident' AND case_id = :c",
                           c=case_id)
        runaway_status = _scalar(url, "SELECT status FROM cases WHERE id = :c", c=runaway)
        runaway_error = _scalar(url, "SELECT payload::jsonb ->> 'error' FROM audit_events "
                                "WHERE kind = 'incident' AND case_id = :c ORDER BY id LIMIT 1",
                                c=runaway) or ""
    print(f"\nload {elapsed:.0f} s; then {f'{drained:.1f} s' if drained is not None else 'timeout'} "
          f"until the other jobs were done and the stuck one failed")
    print(f"clients: {len(stats.created)} cases, {stats.completions} completions, "
          f"{stats.cases_finished} finished; HTTP {dict(sorted(stats.statuses.items()))}")
    print(f"document jobs of the other cases: {docs_done} done, {docs_left} not done")
    print(f"stuck job: {stuck_status} after {attempts} attempts, incident events {incident}; last error: "
          f"{error.splitlines()[0][:160] if error else '-'}")
    print(f"looping script: case {runaway} {runaway_status}; {runaway_error[:160] or 'no incident'}")
    checks["the looping script ends as an incident naming its element"] = (
        runaway_status == "error" and "runaway" in runaway_error, f"{runaway_status}: {runaway_error[:80]}")
    checks["other cases' document jobs all done"] = (docs_done > 0 and docs_left == 0,
                                                     f"{docs_done} done, {docs_left} left")
    checks["the stuck job ends as an incident"] = (stuck_status == "failed" and incident >= 1,
                                                   f"{stuck_status}, {attempts} attempts")
    five = stats.five_xx()
    checks["no 5xx, no client error"] = (not five and not fatal and not stats.errors,
                                         f"{five} 5xx, {len(fatal) + len(stats.errors)} errors")
    for name, (ok, detail) in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    for e in [*fatal, *stats.errors][:10]:
        print(f"  client: {e}")
    write_json(args.json, {"machine": machine(), "clients": args.clients, "duration_s": round(elapsed, 1),
                           "cases": len(stats.created), "completions": stats.completions,
                           "statuses": dict(stats.statuses), "docs_done": docs_done, "docs_left": docs_left,
                           "stuck": {"status": stuck_status, "attempts": attempts, "error": error},
                           "runaway": {"status": runaway_status, "error": runaway_error},
                           "checks": {k: {"ok": ok, "detail": d} for k, (ok, d) in checks.items()},
                           "all_pass": all(ok for ok, _ in checks.values())})
    return 0 if all(ok for ok, _ in checks.values()) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted")
        sys.exit(130)
