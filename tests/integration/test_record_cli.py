"""`regoffice record import` and `regoffice record promotion`."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from server.models import Result
from tests.integration.record_data import (
    FIRST_YEAR,
    GOOD,
    IIN_A,
    IIN_UNKNOWN,
    MAPPING,
    curriculum_csv,
    transcript_csv,
)
from tests.integration.test_cli import env, run  # noqa: F401  (the CLI's environment fixture)


def test_record_import_dry_run_real_run_and_promotion(env, ctx, people, tmp_path):  # noqa: F811
    from tests.integration.api import add_student
    from tests.integration.record_data import IIN_B

    add_student(ctx, IIN_A)
    add_student(ctx, IIN_B, sex="F")
    plan = tmp_path / "plan.csv"
    plan.write_bytes(curriculum_csv())
    code, out = run("record", "import", "curricula", str(plan))
    assert code == 0 and "new: 4" in out, out
    maps = [a for field, column in MAPPING.items() for a in ("--map", f"{field}={column}")]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(transcript_csv([*GOOD, (IIN_UNKNOWN, "MAT101", FIRST_YEAR, 1, 1, 80, "B")]))
    code, out = run("record", "import", "transcripts", str(bad), *maps, "--dry-run", "--json")
    assert code == 0, out
    report = json.loads(out[out.index("{"):])
    assert report["dry_run"] and [r["status"] for r in report["rows"]] == ["new"] * 5 + ["refused"]
    code, out = run("record", "import", "transcripts", str(bad), *maps)
    assert code == 2 and "строка 7" in out
    good = tmp_path / "good.csv"
    good.write_bytes(transcript_csv(GOOD))
    code, out = run("record", "import", "transcripts", str(good), *maps)
    assert code == 0 and "new: 5" in out, out
    with ctx.db.read() as session:
        assert session.scalar(select(func.count(Result.id))) == 5
    code, out = run("record", "promotion", "IT")
    assert code == 0 and IIN_A in out and "Остаются: 1" in out, out
    code, out = run("record", "import", "transcripts", str(good), "--map", "nonsense")
    assert code == 2
