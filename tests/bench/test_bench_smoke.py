"""Every bench script runs end to end at a tiny size (the same code as the full runs documented
in docs/performance.md). The figures are checked for presence and sanity through each script's
--json output, never against wall-clock thresholds (the machine is shared)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_SKIP, _pg_admin_url

BENCH = Path(__file__).resolve().parents[2] / "bench"
PG_URL = _pg_admin_url().replace("postgresql+psycopg://", "postgresql://")


def run_bench(script: str, tmp_path: Path, *args: str, timeout: float = 120) -> dict[str, Any]:
    out = tmp_path / f"{Path(script).stem}.json"
    env = {**os.environ, "REGOFFICE_BENCH_PG_URL": PG_URL}
    proc = subprocess.run([sys.executable, str(BENCH / script), *args, "--json", str(out)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(out.read_text())


def positive(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0


@pytest.mark.skipif(PG_SKIP is not None, reason=PG_SKIP or "")
def test_inbox_scale(tmp_path: Path) -> None:
    data = run_bench("inbox_scale.py", tmp_path, "--open", "2000", "--closed", "20000", "--students",
                     "2000", "--samples", "5", "--warmup", "1")
    rows = data["rows"]
    assert rows["open_tasks"] == 2000
    assert rows["cases"] == 22_000 and rows["cases_closed"] == 20_000
    # closed cases carry 2-5 completed steps, open ones 0-3 completed plus the open one
    assert 20_000 * 2 + 2000 <= rows["human_tasks"] <= 20_000 * 5 + 2000 * 4
    assert rows["multi_role_tasks"] > 0  # the international office's tasks have two candidate roles
    assert 0 < rows["overdue_open"] < rows["open_tasks"]
    assert positive(data["generation_s"]) and data["machine"]["cpus"] >= 1
    names = {q["name"].split()[0] for q in data["queries"]}
    assert names == {"mine", "group", "overdue", "all", "search", "counts"}
    for q in data["queries"]:
        assert q["samples"] == 5
        assert positive(q["p50"]) and q["p50"] <= q["p95"] <= q["p99"], q
        assert 0 <= q["rows_median"] <= data["page"]
        assert 0 <= q["total_min"] <= q["total_median"] <= q["total_max"]
    by_name = {" ".join(q["name"].split()): q for q in data["queries"]}
    assert by_name["all office head"]["total_median"] == rows["open_tasks"]
    assert by_name["all office head"]["rows_median"] == data["page"]
    assert by_name["group registrar"]["total_median"] > 0
    assert by_name["search ИИН office head (all)"]["total_max"] >= 1  # a subject of an open task


def test_engine_overhead(tmp_path: Path) -> None:
    dbs = "sqlite" if PG_SKIP else "sqlite,postgresql"
    for model in ("approval", "transfer_in"):
        data = run_bench("engine_overhead.py", tmp_path, "--model", model, "--cases", "3", "--warmup", "1",
                         "--modes", "a,b,c,d", "--db", dbs, "--no-gunicorn", "--budget", "60")
        assert data["model"] == model and data["cases"] == 3
        rows = {(r["mode"], r["db"]): r for r in data["results"]}
        expected = {("a", "-"), ("a'", "-"), ("b", "-"), ("b'", "-")} | {
            (m, db) for m in ("c", "d") for db in dbs.split(",")}
        assert expected <= rows.keys(), rows.keys()
        for key in expected:
            r = rows[key]
            assert r["skipped"] is None and r["n"] == 3, r
            assert positive(r["ms_case_median"]) and positive(r["cases_per_s"]), r
        for db in dbs.split(","):
            assert rows[("c", db)]["sql_per_completion"] > 0 and rows[("c", db)]["commits_per_case"] > 0


def test_history_growth(tmp_path: Path) -> None:
    data = run_bench("history_growth.py", tmp_path, "--early", "2", "--late", "12", "--samples", "3")
    labels = {"SQLite"} | (set() if PG_SKIP else {"PostgreSQL"})
    assert set(data["results"]) == labels
    for r in data["results"].values():
        assert positive(r["early_ms"]) and positive(r["late_ms"]) and positive(r["ratio"])
        assert r["late_state_kb"] > r["early_state_kb"] > 0  # the state grows with the history


def test_documents(tmp_path: Path) -> None:
    data = run_bench("documents.py", tmp_path, "--runs", "3", "--cases", "1", "--batch", "20")
    for key in ("raw_per_s", "render_per_s", "render_ratio", "service_per_s", "service_ratio", "batch_ms"):
        assert positive(data[key]), key


@pytest.mark.skipif(PG_SKIP is not None, reason=PG_SKIP or "")
def test_reports(tmp_path: Path) -> None:
    data = run_bench("reports.py", tmp_path, "--cases", "3000", "--runs", "1")
    assert data["cases"] == 3000
    assert set(data["median_ms"]) == {"monthly report (JSON figures)", "dashboard",
                                      "contingent statistics (month)", "XLSX file", "DOCX file"}
    assert all(positive(ms) for ms in data["median_ms"].values())
    totals = data["totals"]
    assert totals["received"] > 0 and totals["rendered"] >= 0 and totals["in_progress"] >= 0


def test_durable_floor(tmp_path: Path) -> None:
    data = run_bench("durable_floor.py", tmp_path, "--steps", "20")
    expected = {"SQLite"} if PG_SKIP else {"SQLite", "PostgreSQL"}
    assert set(data["results"]) == expected and data["steps"] == 20
    for figures in data["results"].values():
        assert positive(figures["step_ms"])
        assert figures["case_of_5_steps_ms"] == pytest.approx(5 * figures["step_ms"], rel=0.01)


def test_http_floor(tmp_path: Path) -> None:
    data = run_bench("http_floor.py", tmp_path, "--requests", "50")
    assert data["requests"] == 50
    assert set(data["us_per_request"]) == {"gthread", "sync"}
    for figures in data["us_per_request"].values():
        assert set(figures) == {"wsgi", "flask", "404"} and all(positive(v) for v in figures.values())


def test_messages(tmp_path: Path) -> None:
    data = run_bench("messages.py", tmp_path, "--waiting", "20", "--samples", "5")
    assert data["waiting"] == 20 and data["samples"] == 5
    assert positive(data["deliver_ms"]["p50"]) and positive(data["repeat_ms"]["p50"])
