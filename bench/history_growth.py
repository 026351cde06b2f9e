#!/usr/bin/env python
"""Does a step get slower as a case's history grows? A looping model (a user task that returns
to itself through a script and a gateway) is completed through the services with durable
commits; the cost of one completion after 5 earlier steps is compared with the cost after 200.

    python bench/history_growth.py [--early 5] [--late 200] [--samples 10] [--pg-url URL]

Target (issue "Prove it holds"): late / early ≤ 1.5. The state size (the case's serialized
workflow) is printed too: SpiffWorkflow keeps every completed task in the workflow tree, so
what grows is the state that is restored and saved on each step.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
logging.basicConfig(level=logging.ERROR)

from sqlalchemy import select  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.config import ROOT, Settings, normalize_database_url  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Case, HumanTask  # noqa: E402
from server.services import cases, deployments, tasks  # noqa: E402
from server.services.context import AppContext  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d_loop" targetNamespace="bench">
  <bpmn:process id="bench_loop" name="Цикл (замер роста истории)" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init" scriptFormat="python"><bpmn:script>count = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="step"/>
    <bpmn:userTask id="step" name="Шаг"/>
    <bpmn:sequenceFlow id="f3" sourceRef="step" targetRef="count_up"/>
    <bpmn:scriptTask id="count_up" scriptFormat="python"><bpmn:script>count = count + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f4" sourceRef="count_up" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="f_end"/>
    <bpmn:sequenceFlow id="f_again" sourceRef="more" targetRef="step">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">count &lt; limit</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_end" sourceRef="more" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _context(url: str, folder: Path) -> AppContext:
    settings = replace(Settings.from_env(), instance_dir=folder / "instance", database_url=url,
                       secret_key="bench", workflows_dir=ROOT / "workflows", forms_dir=ROOT / "forms",
                       templates_dir=ROOT / "templates", config_dir=ROOT / "config", background="none",
                       celery_broker_url=None)
    upgrade(url)
    ctx = AppContext.create(settings)
    deployments.deploy_file(ctx, Actor.system(), "bench_loop.bpmn", LOOP)
    return ctx


def _open_task(ctx: AppContext, case_id: int) -> str:
    with ctx.db.read() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                         HumanTask.status == "open"))


def _state_size(ctx: AppContext, case_id: int) -> int:
    with ctx.db.read() as session:
        return len(session.get(Case, case_id).state)


def measure(ctx: AppContext, early: int, late: int, samples: int) -> dict[str, float]:
    """ms per completion after `early` and after `late` earlier steps (median of `samples`)."""
    actor = Actor.system()
    case_id = cases.start_case(ctx, actor, cases.StartRequest(
        process_id="bench_loop", data={"limit": late + samples + 10}))
    timings: dict[int, list[float]] = {early: [], late: []}
    sizes: dict[int, int] = {}
    done = 0
    while done < late + samples:
        task_id = _open_task(ctx, case_id)
        if done in (early, late):
            sizes[done] = _state_size(ctx, case_id)
        start = time.perf_counter()
        tasks.complete_task(ctx, actor, task_id, {})
        elapsed = (time.perf_counter() - start) * 1000
        for mark in (early, late):
            if mark <= done < mark + samples:
                timings[mark].append(elapsed)
        done += 1
    early_ms, late_ms = statistics.median(timings[early]), statistics.median(timings[late])
    return {"early_ms": early_ms, "late_ms": late_ms, "ratio": late_ms / early_ms,
            "early_state_kb": sizes[early] / 1024, "late_state_kb": sizes[late] / 1024}


def _pg_database(admin_url: str) -> tuple[str, str] | None:
    try:
        import psycopg

        name = f"regoffice_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name, normalize_database_url(admin_url.rsplit("/", 1)[0] + "/" + name)
    except Exception as exc:
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}")
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--early", type=int, default=5)
    parser.add_argument("--late", type=int, default=200)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--pg-url", default=os.environ.get("REGOFFICE_BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}")
    print(f"completion cost after {args.early} vs after {args.late} earlier steps "
          f"(median of {args.samples}); target ratio <= 1.5")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [("SQLite", f"sqlite:///{folder / 'bench.db'}", None)]
        pg = _pg_database(args.pg_url)
        if pg:
            runs.append(("PostgreSQL", pg[1], pg[0]))
        for label, url, _name in runs:
            ctx = _context(url, folder)
            result = measure(ctx, args.early, args.late, args.samples)
            ctx.db.dispose()
            print(f"{label:<11} after {args.early}: {result['early_ms']:.2f} ms "
                  f"(state {result['early_state_kb']:.0f} KB)   after {args.late}: "
                  f"{result['late_ms']:.2f} ms (state {result['late_state_kb']:.0f} KB)   "
                  f"ratio {result['ratio']:.2f}")
        if pg:
            import psycopg

            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg[0]}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
