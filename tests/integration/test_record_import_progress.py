"""A record import queued and run in the background: POST /record/imports answers 202 and a
Location, the import's GET shows its progress (read through another connection while the job
runs) then the counts; any refused row refuses the whole file and writes nothing; an import
stopped while writing leaves nothing in anyone's record; the migration goes down and up."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, inspect, select

from server.auth import Actor
from server.jobs.inprocess import drain
from server.migrate import alembic_config, upgrade
from server.models import RecordImport, Result
from server.services.record import import_jobs, queries
from tests.integration.record_data import (
    FIRST_YEAR,
    GOOD,
    IIN_A,
    IIN_B,
    IIN_UNKNOWN,
    MAPPING,
    record_env,
    results_count,
    seed,
    transcript_csv,
)
from tests.integration.test_openapi import _validate_response

API = "/api/v1"


@pytest.fixture
def env(ctx, people, client):
    return record_env(ctx, people, client)
# Student B's first-year results the seed has not recorded (MAT101 is).
MORE_B = [(IIN_B, "HIS101", FIRST_YEAR, 1, 1, 70, "C+"), (IIN_B, "PHY102", FIRST_YEAR, 2, 1, 55, "D+"),
          (IIN_B, "ALG102", FIRST_YEAR, 2, 1, 90, "A-")]


def _upload(client, h, rows: list[tuple[Any, ...]], *, dry_run: bool = False, run_async: str = "true"):
    return client.post(f"{API}/record/imports", headers=h["registrar"], content_type="multipart/form-data",
                       data={"kind": "transcripts", "dry_run": "true" if dry_run else "false",
                             "mapping": json.dumps(MAPPING), **({"async": run_async} if run_async else {}),
                             "file": (io.BytesIO(transcript_csv(rows)), "transcript.csv")})


def _terms_of_b(ctx, student_id: int) -> list[str]:
    """Student B's disciplines in the record (record_of, what every page and document reads)."""
    record = queries.student_record(ctx, Actor.system(), student_id)
    return sorted(line.discipline_code for term in record.terms for line in term.lines)


def test_a_queued_import_shows_its_progress_then_its_counts(client, ctx, env, monkeypatch):
    h, spec = env["h"], env["spec"]
    r = _upload(client, h, MORE_B)
    assert r.status_code == 202, r.json
    _validate_response(spec, "post", f"{API}/record/imports", r)
    import_id = r.json["import_id"]
    location = r.headers["Location"]
    assert location.endswith(f"/record/imports/{import_id}") and r.json["status"] == "queued"
    state = client.get(location, headers=h["registrar"])
    assert state.status_code == 200 and state.json["status"] == "queued" and state.json["percent"] == 0
    _validate_response(spec, "get", f"{API}/record/imports/{{import_id}}", state)

    # The progress, read through the API (another connection) each time the job commits it.
    monkeypatch.setattr(import_jobs, "CHUNK", 1)
    monkeypatch.setattr(import_jobs.imports, "CHUNK", 1)
    seen: list[tuple[str, int, int]] = []
    original = import_jobs._progress

    def watched(session, import_id_: int, **values: Any) -> None:
        original(session, import_id_, **values)
        seen.append(("staged", values["processed"], 0))  # committed with its chunk of staged rows

    set_progress = import_jobs._set

    def observed(ctx_, import_id_: int, **values: Any) -> None:
        set_progress(ctx_, import_id_, **values)
        body = client.get(location, headers=h["registrar"]).json
        seen.append((body["status"], body["processed"], body["percent"]))

    monkeypatch.setattr(import_jobs, "_set", observed)
    monkeypatch.setattr(import_jobs, "_progress", watched)
    assert drain(ctx) >= 1
    checking = [s for s in seen if s[0] == "checking"]
    assert [p for _, p, _ in checking if p] == [1, 2, 3], seen  # each row, as it was checked
    assert ("checking", 3, 100) in checking and ("writing", 0, 0) in seen
    assert [p for s, p, _ in seen if s == "staged"] == [1, 2, 3]  # each chunk staged with its progress

    done = client.get(location, headers={**h["registrar"], "Accept-Language": "kk"})
    _validate_response(spec, "get", f"{API}/record/imports/{{import_id}}", done)
    body = done.json
    assert body["status"] == "done" and body["percent"] == 100 and body["total"] == 3
    assert body["counts"] == {"new": 3, "updated": 0, "unchanged": 0, "refused": 0}
    assert body["status_display"] == "орындалды" and body["started_at"] and body["finished_at"]
    assert [row["status"] for row in body["rows"]] == ["new"] * 3
    assert _terms_of_b(ctx, env["ids"]["b"]) == ["ALG102", "HIS101", "MAT101", "PHY102"]
    assert import_jobs.staged_rows(ctx, import_id) == 0
    with ctx.db.read() as session:  # a real run does not keep its file
        assert session.scalar(select(RecordImport.content).where(RecordImport.id == import_id)) is None
    listed = client.get(f"{API}/record/imports", headers=h["registrar"])
    _validate_response(spec, "get", f"{API}/record/imports", listed)
    assert listed.json["items"][0]["id"] == import_id
    assert client.get(location, headers=h["dean_it"]).status_code == 403
    assert client.get(f"{API}/record/imports/999999", headers=h["registrar"]).status_code == 404


def test_a_large_file_is_queued_without_being_asked(client, ctx, env, monkeypatch):
    monkeypatch.setattr(import_jobs, "ASYNC_BYTES", 100)
    r = _upload(client, env["h"], MORE_B, dry_run=True, run_async="")
    assert r.status_code == 202, r.json
    small = _upload(client, env["h"], MORE_B[:1], dry_run=True, run_async="false")
    assert small.status_code == 200 and small.json["counts"]["new"] == 1  # synchronous, as before
    drain(ctx)
    body = client.get(r.headers["Location"], headers=env["h"]["registrar"]).json
    assert body["status"] == "done" and body["dry_run"] and body["counts"]["new"] == 3
    assert results_count(ctx) == len(GOOD)  # a dry run writes nothing
    with ctx.db.read() as session:  # a dry run keeps its file for the real run that follows
        assert session.scalar(select(RecordImport.content).where(RecordImport.id == body["id"]))
    again = import_jobs.queue_again(ctx, Actor.system(), body["id"], mapping=MAPPING, dry_run=False)
    drain(ctx)
    assert import_jobs.get_import(ctx, Actor.system(), again).status == "done"
    assert results_count(ctx) == len(GOOD) + 3


def test_any_refused_row_refuses_the_whole_file(client, ctx, env):
    rows = [MORE_B[0],
            (IIN_UNKNOWN, "MAT101", FIRST_YEAR, 1, 1, 80, "B"),  # an unknown student
            (IIN_B, "NOPE101", FIRST_YEAR, 1, 1, 80, "B"),  # an unknown discipline
            (IIN_B, "PHY102", FIRST_YEAR, 2, 1, 80, "A"),  # the letter does not match the points
            MORE_B[2], MORE_B[2],  # the same attempt twice
            (IIN_B, "ALG102", FIRST_YEAR, 1, 2, 86, "B+"),  # ALG102 is not in semester 1
            (IIN_A, "MAT101", FIRST_YEAR, 1, 1, 50, "D")]  # recorded with other points
    before = results_count(ctx)
    r = _upload(client, env["h"], rows)
    assert r.status_code == 202
    drain(ctx)
    body = client.get(r.headers["Location"], headers=env["h"]["registrar"]).json
    assert body["status"] == "refused" and body["percent"] == 100
    assert body["counts"] == {"new": 2, "updated": 0, "unchanged": 0, "refused": 6}
    reasons = {row["row"]: row["reason"] for row in body["rows"] if row["status"] == "refused"}
    assert sorted(reasons) == [3, 4, 5, 7, 8, 9]
    assert "неизвестный обучающийся" in reasons[3] and "неизвестная дисциплина NOPE101" in reasons[4]
    assert "буква A не соответствует 80 баллам" in reasons[5]
    assert "повторяет строку 6" in reasons[7] and "в этом семестре нет" in reasons[8]
    assert "корректировкой" in reasons[9]
    assert results_count(ctx) == before and import_jobs.staged_rows(ctx, body["id"]) == 0
    kk = client.get(r.headers["Location"], headers={**env["h"]["registrar"], "Accept-Language": "kk"}).json
    assert kk["status_display"] == "қабылданбады: жолдарда қате бар"
    assert "неизвестный" not in {row["row"]: row["reason"] for row in kk["rows"]}[3]


class _Killed(BaseException):
    """The worker's process dies (not an error the job could catch)."""


def test_an_import_stopped_while_writing_is_in_nobodys_record(ctx, env, monkeypatch):
    b = env["ids"]["b"]
    standings_before = {s.student_id: s for s in queries.university_standings(ctx)}
    monkeypatch.setattr(import_jobs, "CHUNK", 1)
    import_id = import_jobs.queue_import(ctx, Actor.system(), "transcripts", "t.csv", transcript_csv(MORE_B),
                                         mapping=MAPPING, dry_run=False)
    original = import_jobs._progress

    def fail_on_second_chunk(session, import_id_: int, **values: Any) -> None:
        original(session, import_id_, **values)
        if values.get("processed") == 2:
            raise RuntimeError("disk full")

    # An error while writing: the import fails, its staged rows are removed, nothing recorded.
    monkeypatch.setattr(import_jobs, "_progress", fail_on_second_chunk)
    drain(ctx)
    failed = import_jobs.get_import(ctx, Actor.system(), import_id)
    assert failed.status == "failed" and "RuntimeError" in str(import_jobs.error_text(failed))
    assert import_jobs.staged_rows(ctx, import_id) == 0 and results_count(ctx) == len(GOOD)
    assert _terms_of_b(ctx, b) == ["MAT101"]

    # The worker killed after two chunks were staged: the import stays `writing`, its rows staged,
    # and still in nobody's record or standing.
    def killed(session, import_id_: int, **values: Any) -> None:
        original(session, import_id_, **values)
        if values.get("processed") == 2:
            session.commit()
            raise _Killed()

    again = import_jobs.queue_import(ctx, Actor.system(), "transcripts", "t.csv", transcript_csv(MORE_B),
                                     mapping=MAPPING, dry_run=False)
    monkeypatch.setattr(import_jobs, "_progress", killed)
    with pytest.raises(_Killed):
        import_jobs.run_import(ctx, {"import_id": again})
    half = import_jobs.get_import(ctx, Actor.system(), again)
    assert half.status == "writing" and half.processed == 2 and import_jobs.staged_rows(ctx, again) == 2
    assert _terms_of_b(ctx, b) == ["MAT101"] and results_count(ctx) == len(GOOD)
    after = {s.student_id: s for s in queries.university_standings(ctx)}
    assert after == standings_before
    with ctx.db.read() as session:
        assert session.scalar(select(func.count(Result.id)).where(Result.import_id == again)) == 0
    # Its job sent again: it starts from the first row and records each row once.
    monkeypatch.setattr(import_jobs, "_progress", original)
    import_jobs.run_import(ctx, {"import_id": again})
    assert import_jobs.get_import(ctx, Actor.system(), again).status == "done"
    assert _terms_of_b(ctx, b) == ["ALG102", "HIS101", "MAT101", "PHY102"]
    assert results_count(ctx) == len(GOOD) + 3 and import_jobs.staged_rows(ctx, again) == 0


def test_an_attempt_recorded_meanwhile_refuses_the_import(ctx, env, monkeypatch):
    from server.services.record import results

    import_id = import_jobs.queue_import(ctx, Actor.system(), "transcripts", "t.csv", transcript_csv(MORE_B),
                                         mapping=MAPPING, dry_run=False)
    original = import_jobs._set

    def meanwhile(ctx_, import_id_: int, **values: Any) -> None:
        original(ctx_, import_id_, **values)
        if values.get("status") == "writing":  # checked: a grade sheet records one of the rows now
            results.append_result(ctx, Actor.system(), results.NewResult(
                student_id=env["ids"]["b"], discipline_code="HIS101", academic_year=FIRST_YEAR, term=1,
                points=70))

    monkeypatch.setattr(import_jobs, "_set", meanwhile)
    drain(ctx)
    row = import_jobs.get_import(ctx, Actor.system(), import_id)
    assert row.status == "failed" and "за время импорта записаны 1" in str(import_jobs.error_text(row))
    assert results_count(ctx) == len(GOOD) + 1 and import_jobs.staged_rows(ctx, import_id) == 0


def test_a_file_that_cannot_be_read_fails_with_its_reason(client, ctx, env):
    h = env["h"]["registrar"]
    r = client.post(f"{API}/record/imports", headers=h, content_type="multipart/form-data",
                    data={"kind": "transcripts", "dry_run": "true", "async": "true",
                          "file": (io.BytesIO(b"PK\x03\x04 not a workbook"), "t.xlsx")})
    assert r.status_code == 202
    drain(ctx)
    body = client.get(r.headers["Location"], headers=env["h"]["registrar"]).json
    assert body["status"] == "failed" and "t.xlsx" in body["error"]
    bad = client.post(f"{API}/record/imports", headers=h, content_type="multipart/form-data",
                      data={"kind": "transcripts", "async": "true", "mapping": json.dumps({"nope": "x"}),
                            "file": (io.BytesIO(b"a;b\n"), "t.csv")})
    assert bad.status_code == 422 and "nope" in bad.json["message"]


def test_the_migration_goes_down_and_up(database_url, tmp_path: Path):
    from alembic import command

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'updown.db'}"
        drop = None
    else:
        import psycopg

        admin = database_url.replace("postgresql+psycopg://", "postgresql://")
        name = f"regoffice_updown_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = database_url.rsplit("/", 1)[0] + "/" + name

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        upgrade(url, "0022")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO record_imports (kind, filename, rows, created_at) "
                                 "VALUES ('curricula', 'old.csv', 4, CURRENT_TIMESTAMP)")
        upgrade(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT status, processed FROM record_imports").one() == ("done", 0)
        assert "record_import_rows" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(url), "0022")
        after = inspect(create_engine(url))
        names = {c["name"] for c in after.get_columns("record_imports")}
        assert "status" not in names and "record_import_rows" not in after.get_table_names()
        upgrade(url)
        engine.dispose()
    finally:
        if drop is not None:
            drop()


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", ["Импорт учебных достижений", "транскрипты (результаты)", "Пробный запуск",
            "отклонён: есть ошибки", "неизвестный обучающийся", "отклонена", "новая",
            "Импорт этого файла будет отклонён"]),
    ("kk", ["Оқу жетістіктерін импорттау", "транскриптер (нәтижелер)", "Сынама іске қосу",
            "қабылданбады: жолдарда қате бар", "белгісіз білім алушы", "жаңа",
            "Бұл файлдың импорты қабылданбайды"]),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_web_page_uploads_reports_and_shows_the_bar(app, ctx, env, lang, words):
    from tests.integration.web import Staff, text

    staff = Staff(app, "registrar", lang=lang)
    sheets = staff.get("/app/record/sheets/")
    assert "/app/record/imports/" in sheets  # the academic record's tab
    assert "/app/record/imports/" not in Staff(app, "dean_it", lang=lang).get("/app/record/sheets/")
    rows = [MORE_B[0], (IIN_UNKNOWN, "MAT101", FIRST_YEAR, 1, 1, 80, "B")]
    columns = [(f"map-transcripts-{k}", v) for k, v in MAPPING.items()]
    data = [("kind", "transcripts"), ("run", "dry"), *columns,
            ("file", (io.BytesIO(transcript_csv(rows)), "transcript.csv"))]
    r = staff.post("/app/record/imports/", data, content_type="multipart/form-data")
    page_url = r.headers["Location"]
    queued = staff.get(page_url)
    assert "<progress" in queued and "data-import-url" in queued  # the bar, waiting for the job
    state = staff.client.get(page_url + "/state.json").json
    assert state["status"] == "queued" and state["finished"] is False and state["status_text"]
    drain(ctx)
    page = staff.get(page_url)
    assert "<progress" not in page
    readable = text(page)
    for fragment in words[2:]:
        assert fragment in readable, (fragment, readable[:3000])
    assert "iin" not in readable.split() and "refused" not in readable
    listing = text(staff.get("/app/record/imports/"))
    for fragment in words[:2]:
        assert fragment in listing, (fragment, listing[:2000])
    # The file kept by the dry run runs again with the columns chosen from its header: still refused.
    again = staff.post(page_url + "/again", [("run", "real"), *[(f"map-transcripts-{k}", v.lower())
                                                                  for k, v in MAPPING.items()]])
    drain(ctx)
    assert "data-finished=\"1\"" in staff.get(again.headers["Location"])
    assert results_count(ctx) == len(GOOD)
    bad = staff.post("/app/record/imports/", [("kind", "transcripts"), ("run", "dry"),
                                              ("file", (io.BytesIO(b""), ""))],
                     status=422, content_type="multipart/form-data")
    assert "CSV" in text(bad.get_data(as_text=True))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_prints_its_progress_by_tenths(settings, ctx, people, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from server.cli import main
    from server.services.record import imports

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REGOFFICE_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("REGOFFICE_BACKGROUND", "none")
    ids = seed(ctx)
    assert ids
    monkeypatch.setattr(imports, "CHUNK", 1)
    path = tmp_path / "more.csv"
    path.write_bytes(transcript_csv(MORE_B))
    maps = [a for name, column in MAPPING.items() for a in ("--map", f"{name}={column}")]
    result = CliRunner().invoke(main, ["record", "import", "transcripts", str(path), *maps],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if " % (" in line]
    assert lines == ["проверено 30 % (1 из 3 строк)",
                     "проверено 60 % (2 из 3 строк)", "проверено 100 % (3 из 3 строк)",
                     "записано 30 % (1 из 3 строк)", "записано 60 % (2 из 3 строк)",
                     "записано 100 % (3 из 3 строк)"], result.output
