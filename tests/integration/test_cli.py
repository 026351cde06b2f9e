"""The `regoffice` command: users and tokens, student import, deploy, check."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.domain.iin import make_iin


@pytest.fixture
def env(settings, monkeypatch, tmp_path):
    from server.migrate import upgrade

    upgrade(settings.database_url)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REGOFFICE_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("REGOFFICE_BACKGROUND", "none")
    return settings


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_users_and_token(env, ctx):
    from server.models import Faculty
    from server.services.people.users import actor_for_token

    with ctx.db.unit_of_work() as s:
        s.add(Faculty(code="IT", name_ru="ИТ", name_kk="АТ"))
    code, out = run("users", "create", "dean1", "--full-name", "Декан ИТ", "--role", "dean",
                    "--faculty", "IT", "--password", "p4ssword!")
    assert code == 0, out
    code, out = run("users", "create", "dean2", "--full-name", "X", "--role", "dean", "--password", "x")
    assert code == 2 and "факультет" in out
    code, out = run("users", "create", "x", "--full-name", "X", "--role", "wizard", "--password", "x")
    assert code == 2 and "wizard" in out
    code, out = run("users", "token", "dean1")
    assert code == 0
    actor = actor_for_token(ctx, out.strip())
    assert actor is not None and actor.roles == {"dean"} and actor.faculty_id is not None
    code, out = run("users", "token", "nobody")
    assert code == 2


def test_students_import(env, ctx, tmp_path: Path):
    from sqlalchemy import select

    from server.models import Faculty, Student

    with ctx.db.unit_of_work() as s:
        s.add(Faculty(code="IT", name_ru="ИТ", name_kk="АТ"))
    good = make_iin(__import__("datetime").date(2005, 2, 3), "F", 777)
    header = "iin;last_name;first_name;middle_name;faculty_code;programme_code;programme_name;year\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + f"{good};Ахметова;Айгерим;;IT;6B06101;ИС;2\n"
                   "123456789012;Петров;Иван;;IT;6B06101;ИС;x\n", encoding="utf-8")
    code, out = run("students", "import", str(bad))
    assert code == 2 and "строка 3" in out and "iin" in out and "year" in out
    with ctx.db.read() as s:
        assert s.scalars(select(Student)).all() == []
    ok = tmp_path / "ok.csv"
    ok.write_text(header + f"{good};Ахметова;Айгерим;Бекболатовна;IT;6B06101;ИС;2\n", encoding="utf-8")
    code, out = run("students", "import", str(ok))
    assert code == 0 and "Создано: 1" in out
    code, out = run("students", "import", str(ok))
    assert "обновлено: 1" in out
    with ctx.db.read() as s:
        student = s.scalars(select(Student)).one()
        assert student.sex == "F" and student.full_name == "Ахметова Айгерим Бекболатовна"


def test_deploy_and_check(env):
    code, out = run("deploy")
    assert code == 0 and "transfer_in: версия 1 (новая версия)" in out
    code, out = run("deploy")
    assert "transfer_in: версия 1 (без изменений)" in out
    code, out = run("check")
    assert code == 0, out


def test_demo_prepares_users_and_cases_in_every_state(env, ctx):
    from sqlalchemy import select

    from server.demo import USERS
    from server.models import Case, Document, User

    code, out = run("demo", "--no-serve")
    assert code == 0, out
    assert "demo12345" in out and out.count("Authorization: Bearer ro_") == len(USERS)
    with ctx.db.read() as s:
        roles = {r for u in s.scalars(select(User)) for r in u.role_codes}
        statuses = sorted(c.status for c in s.scalars(select(Case)) if c.process_id == "transfer_in")
        others = sorted(c.process_id for c in s.scalars(select(Case)) if c.process_id != "transfer_in")
        numbers = {d.number for d in s.scalars(select(Document))}
    assert roles >= {"registrar", "registrar_head", "dean", "vice_rector", "rector",
                     "international", "accountant", "admin", "lawyer"}
    assert statuses == ["completed", "in_progress", "in_progress", "rejected", "returned"]
    assert others == ["academic_leave", "cert_incomplete", "cert_study", "contingent_order", "duplicate",
                      "expulsion", "foreign_registration", "military", "mobility", "recognition",
                      "reinstatement", "transcript", "transcript", "transfer_internal", "transfer_out",
                      "vacant_grant"]
    with ctx.db.read() as s:  # every procedure has a case in progress
        in_progress = {c.process_id for c in s.scalars(select(Case)) if c.status == "in_progress"}
    assert in_progress >= set(others) | {"transfer_in"}
    # the order, the transcript drawn for signing («1-с»), and the letters (refusal, military
    # notice, personal-file request: «N-п»)
    assert {n for n in numbers if not n.endswith("-п")} == {"1-у", "1-с"} and "1-п" in numbers
    code, out = run("demo", "--no-serve")  # idempotent: nothing created twice
    with ctx.db.read() as s:
        assert len(s.scalars(select(Case)).all()) == 5 + len(others)
