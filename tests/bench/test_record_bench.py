"""bench/record.py end to end at a tiny size (the same code as the full run in
docs/performance.md): the figures are present and sane, never checked against wall-clock limits."""

from __future__ import annotations

from pathlib import Path

from tests.bench.test_bench_smoke import positive, run_bench
from tests.conftest import PG_SKIP


def test_record_bench(tmp_path: Path) -> None:
    data = run_bench("record.py", tmp_path, "--students", "120", "--results", "10", "--imported", "20",
                     "--samples", "3", "--db", "both", timeout=300)
    assert data["machine"]["cpus"] >= 1
    backends = ["sqlite"] + ([] if PG_SKIP else ["postgres"])
    if PG_SKIP:
        assert "skipped" in data["postgres"]
    for name in backends:
        r = data[name]
        assert r["students"] == 120 and r["results_rows"] == 1200
        assert r["curricula_rows"] == 10 * 4 * 64
        imp = r["import"]
        assert imp["rows"] == 200 and imp["progress_calls"] >= 1
        assert positive(imp["rows_per_s"]) and positive(imp["floor_rows_per_s"])
        rec = r["student_record"]
        assert rec["samples"] == 3 and positive(rec["p50"]) and rec["p50"] <= rec["p95"]
        assert positive(rec["floor"]["p50"])
        assert r["university_gpa"]["students"] == 120 and positive(r["university_gpa"]["ms"])
        promo = r["promotion_list"]
        assert promo["faculties"] == 5 and 0 < promo["students_staying"] < 120
        assert positive(promo["median_ms"]) and positive(promo["floor_median_ms"])
