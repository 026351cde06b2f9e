"""The load benches at a tiny size, on a whole installation (PostgreSQL, gunicorn, a Celery worker
and beat on Redis): bench/http_load.py (4 clients, 8 s) and bench/load_faults.py (8 clients, 40 s,
the worker killed every 10 s, gunicorn killed and restarted once) and bench/load_faults_hang.py
(2 clients, 25 s, a job that never ends, the worker killed once). The figures are checked for
presence and sanity through their --json output, never against wall-clock thresholds."""

from __future__ import annotations

import pytest

from tests.bench.test_bench_smoke import positive, run_bench
from tests.conftest import PG_SKIP
from tests.integration.worker_procs import redis_reason

pytestmark = [pytest.mark.skipif(PG_SKIP is not None, reason=PG_SKIP or ""),
              pytest.mark.skipif(bool(redis_reason()), reason=redis_reason() or "")]


def test_http_load(tmp_path):
    data = run_bench("http_load.py", tmp_path, "--model", "approval", "--clients", "4", "--duration", "8",
                     "--warmup", "2", "--workers", "1", "--threads", "2", timeout=120)
    assert data["errors"] == [] and data["five_xx"] == 0, data["errors"]
    assert data["completions"] > 0 and positive(data["completions_per_s"])
    assert data["cases_started"] > 0
    lat = data["latency_ms"]
    assert positive(lat["p50"]) and lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert set(data["statuses"]) <= {"200", "201"}
    cpu = data["cpu"]["ms_per_completion"]
    assert positive(cpu["web"]) and positive(cpu["client"])
    labels = {row["label"].split(" [")[0] for row in data["memory"]}
    assert {"web worker 1", "celery main", "celery pool children (max)"} <= labels, labels
    for row in data["memory"]:
        assert positive(row["peak_mib"]) and row["first_mib"] <= row["peak_mib"], row
    assert set(data["targets_met"]) == {"rate", "p99", "rss", "flat"}


def test_load_faults(tmp_path):
    data = run_bench("load_faults.py", tmp_path, "--clients", "8", "--duration", "40", "--kill-every", "10",
                     timeout=150)
    checks = {c["name"]: c for c in data["checks"]}
    assert set(checks) == {"cases", "completions", "not stuck", "numbers", "jobs", "audit"}
    assert all(c["ok"] for c in checks.values()), [c for c in checks.values() if not c["ok"]]
    assert data["all_pass"] and data["errors"] == [] and data["five_xx"] == 0
    assert data["completions"] > 0 and data["cases"] > 0
    assert set(data["cases_by_model"]) == {"transfer_in", "cert_study"}
    assert len(data["kills"]) == 3 and data["worker_starts"] == 4
    assert len(data["web_restarts"]) == 1
    assert data["jobs_left"] == 0
    assert checks["jobs"]["counts"]["document jobs"] > 0
    assert checks["numbers"]["counts"]["numbers"] == checks["jobs"]["counts"]["issues"]


def test_load_faults_hang(tmp_path):
    data = run_bench("load_faults_hang.py", tmp_path, "--clients", "2", "--duration", "25", "--kill-at", "8",
                     "--hard-limit", "3", timeout=180)
    assert data["all_pass"], data["checks"]
    assert data["stuck"]["status"] == "failed" and data["docs_done"] > 0 and data["docs_left"] == 0
    assert set(data["statuses"]) <= {"200", "201"}
