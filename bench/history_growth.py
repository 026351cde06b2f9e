#!/usr/bin/env python
"""Does a step get slower as a case's history grows? A looping model (a user task that returns
to itself through a script and a gateway) is completed through the services with durable
commits; the cost of one completion after 5 earlier steps is compared with the cost after 200.

    python bench/history_growth.py [--early 5] [--late 200] [--samples 10] [--interleaved]
                                   [--no-compaction] [--clock wall|cpu] [--pg-url URL]
                                   [--pg-prefix P] [--json FILE]

Target (issue "Prove it holds"): late / early ≤ 1.5. The state size (the case's serialized
workflow) is printed too: SpiffWorkflow keeps every completed task in the workflow tree, and
the engine's history compaction (server/engine/compaction.py) is what keeps it flat.
`--interleaved` alternates early and late completions so both see the same machine load.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "bench"):  # bench/ too: the unit tests import LOOP from this module
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
logging.basicConfig(level=logging.ERROR)

from _common import (  # noqa: E402
    PG_DEFAULT,
    create_pg_database,
    drop_pg_database,
    machine,
    machine_line,
    write_json,
)
from sqlalchemy import select  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.bootstrap import build_context  # noqa: E402
from server.config import ROOT, Settings  # noqa: E402
from server.engine import compaction  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Case, HumanTask  # noqa: E402
from server.services.cases import lifecycle as cases  # noqa: E402
from server.services.context import AppContext  # noqa: E402
from server.services.procedures import deployments  # noqa: E402
from server.services.tasks import human_tasks as tasks  # noqa: E402

LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d_loop" targetNamespace="bench">
  <bpmn:process id="bench_loop" name="Цикл (замер роста истории)" isExecutable="true">
    <bpmn:ioSpecification id="loop_start_data">
      <bpmn:dataInput id="limit" name="limit"/>
      <bpmn:inputSet id="loop_start_inputs"><bpmn:dataInputRefs>limit</bpmn:dataInputRefs></bpmn:inputSet>
      <bpmn:outputSet id="loop_start_outputs"/>
    </bpmn:ioSpecification>
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
    ctx = build_context(settings)
    deployments.deploy_file(ctx, Actor.system(), "bench_loop.bpmn", LOOP)
    return ctx


def _open_task(ctx: AppContext, case_id: int) -> str:
    with ctx.db.read() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                         HumanTask.status == "open"))


def _state_size(ctx: AppContext, case_id: int) -> int:
    with ctx.db.read() as session:
        return len(session.get(Case, case_id).state)


def _start(ctx: AppContext, limit: int) -> int:
    return cases.start_case(ctx, Actor.system(), cases.StartRequest(process_id="bench_loop",
                                                                   data={"limit": limit}))


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = CLOCKS["wall"]


def _complete(ctx: AppContext, case_id: int) -> float:
    """Complete the case's open task; ms it took (wall clock, or this process's CPU time)."""
    task_id = _open_task(ctx, case_id)
    start = _clock()
    tasks.complete_task(ctx, Actor.system(), task_id, {})
    return (_clock() - start) * 1000


def _result(timings: dict[int, list[float]], sizes: dict[int, int], early: int,
            late: int) -> dict[str, float]:
    early_ms, late_ms = statistics.median(timings[early]), statistics.median(timings[late])
    return {"early_ms": early_ms, "late_ms": late_ms, "ratio": late_ms / early_ms,
            "early_state_kb": sizes[early] / 1024, "late_state_kb": sizes[late] / 1024}


def measure(ctx: AppContext, early: int, late: int, samples: int) -> dict[str, float]:
    """ms per completion after `early` and after `late` earlier steps (median of `samples`),
    one case: the early samples are taken first, the late ones minutes later."""
    case_id = _start(ctx, late + samples + 10)
    timings: dict[int, list[float]] = {early: [], late: []}
    sizes: dict[int, int] = {}
    for done in range(late + samples):
        if done in (early, late):
            sizes[done] = _state_size(ctx, case_id)
        elapsed = _complete(ctx, case_id)
        for mark in (early, late):
            if mark <= done < mark + samples:
                timings[mark].append(elapsed)
    return _result(timings, sizes, early, late)


def measure_interleaved(ctx: AppContext, early: int, late: int, samples: int) -> dict[str, float]:
    """The same figures with the early and late completions alternating (one case advanced to
    `late` steps, `samples` cases advanced to `early`), so both see the same machine load."""
    late_case = _start(ctx, late + samples + 10)
    early_cases = [_start(ctx, late) for _ in range(samples)]
    for case_id, steps in [(late_case, late)] + [(c, early) for c in early_cases]:
        for _ in range(steps):
            _complete(ctx, case_id)
    sizes = {early: _state_size(ctx, early_cases[0]), late: _state_size(ctx, late_case)}
    timings: dict[int, list[float]] = {early: [], late: []}
    for case_id in early_cases:
        timings[early].append(_complete(ctx, case_id))
        timings[late].append(_complete(ctx, late_case))
    return _result(timings, sizes, early, late)


def _pg_database(admin_url: str, prefix: str) -> tuple[str, str] | None:
    try:
        return create_pg_database(admin_url, prefix)
    except Exception as exc:
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}")
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--early", type=int, default=5)
    parser.add_argument("--late", type=int, default=200)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--pg-url", default=os.environ.get("REGOFFICE_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--pg-prefix", default="regoffice_bench_", help="name prefix of the scratch database")
    parser.add_argument("--interleaved", action="store_true",
                        help="alternate early and late completions (steadier on a loaded machine)")
    parser.add_argument("--no-compaction", action="store_true",
                        help="switch history compaction off (the figures before it)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="cpu: this process's CPU time, blind to waits and to the PostgreSQL server")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCKS[args.clock]
    if args.no_compaction:
        compaction.COMPACT_AFTER = sys.maxsize
    print(machine_line())
    figures: dict[str, Any] = {"machine": machine(), "early": args.early, "late": args.late,
                                  "samples": args.samples, "target_ratio": 1.5, "results": {},
                                  "interleaved": args.interleaved, "compaction": not args.no_compaction,
                                  "clock": args.clock}
    print(f"completion cost after {args.early} vs after {args.late} earlier steps "
          f"(median of {args.samples}{', interleaved' if args.interleaved else ''}"
          f"{', compaction off' if args.no_compaction else ''}, {args.clock} clock); target ratio <= 1.5")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [("SQLite", f"sqlite:///{folder / 'bench.db'}", None)]
        pg = _pg_database(args.pg_url, args.pg_prefix)
        if pg:
            runs.append(("PostgreSQL", pg[1], pg[0]))
        for label, url, _name in runs:
            ctx = _context(url, folder)
            result = (measure_interleaved if args.interleaved else measure)(ctx, args.early, args.late,
                                                                          args.samples)
            ctx.db.dispose()
            figures["results"][label] = {k: round(v, 3) for k, v in result.items()}
            print(f"{label:<11} after {args.early}: {result['early_ms']:.2f} ms "
                  f"(state {result['early_state_kb']:.0f} KB)   after {args.late}: "
                  f"{result['late_ms']:.2f} ms (state {result['late_state_kb']:.0f} KB)   "
                  f"ratio {result['ratio']:.2f}")
        if pg:
            drop_pg_database(args.pg_url, pg[0])
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
