#!/usr/bin/env python
"""What a message delivery costs with many cases waiting for the same message: recognition
cases wait for the ENIC decision (tests/fixtures/messages/msg_recognition.bpmn), each
matched by its application number; deliveries go through the service
(server/services/messages/delivery.py) with durable commits, SQLite.

    python bench/messages.py [--waiting 1000] [--samples 100] [--json FILE]

Reported: ms per delivery (p50/p95) by correlation, with `--waiting` cases waiting, and ms
for the repeat of a delivered idempotency key.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
logging.basicConfig(level=logging.ERROR)

from _common import machine, machine_line, percentiles, write_json  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.bootstrap import build_context  # noqa: E402
from server.config import ROOT, Settings  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.services.cases.lifecycle import start_case  # noqa: E402
from server.services.cases.registration import StartRequest  # noqa: E402
from server.services.messages.delivery import MessageIn, send_message  # noqa: E402
from server.services.procedures.deployments import deploy_file  # noqa: E402

MODEL = ROOT / "tests" / "fixtures" / "messages" / "msg_recognition.bpmn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(machine_line())
    folder = Path(tempfile.mkdtemp(prefix="regoffice-messages-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    ctx = build_context(replace(Settings.from_env(), instance_dir=folder / "instance", database_url=url,
                                secret_key="bench", workflows_dir=ROOT / "workflows",
                                forms_dir=ROOT / "forms", templates_dir=ROOT / "templates",
                                config_dir=ROOT / "config", background="none", celery_broker_url=None))
    system = Actor.system()
    deploy_file(ctx, system, MODEL.name, MODEL.read_bytes())
    began = time.perf_counter()
    for i in range(args.waiting):
        start_case(ctx, system, StartRequest("msg_recognition", data={"application_no": f"R-{i}"}))
    start_ms = (time.perf_counter() - began) * 1000 / args.waiting
    picks = list(range(0, args.waiting, max(1, args.waiting // args.samples)))[:args.samples]
    deliver, repeat = [], []
    for i in picks:
        payload = {"application_no": f"R-{i}", "enic_result": "recognised"}
        msg = MessageIn("enic_decision", f"enic-{i}", payload)
        began = time.perf_counter()
        assert send_message(ctx, system, msg).outcome == "delivered"
        deliver.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        assert send_message(ctx, system, msg).duplicate
        repeat.append((time.perf_counter() - began) * 1000)
    figures = {"machine": machine(), "waiting": args.waiting, "samples": len(picks),
               "start_ms_per_case": round(start_ms, 2),
               "deliver_ms": {k: round(v, 2) for k, v in percentiles(deliver).items()},
               "repeat_ms": {k: round(v, 2) for k, v in percentiles(repeat).items()}}
    print(f"{args.waiting} cases waiting (start {start_ms:.1f} ms/case); delivery by correlation: "
          f"p50 {figures['deliver_ms']['p50']} ms, p95 {figures['deliver_ms']['p95']} ms; "
          f"repeat of a key: p50 {figures['repeat_ms']['p50']} ms")
    write_json(args.json, figures)
    ctx.db.dispose()


if __name__ == "__main__":
    main()
