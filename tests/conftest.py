"""Shared fixtures: a migrated database (SQLite always; PostgreSQL when reachable), the
application context and app, demo users with API tokens."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from server.auth import passwords
from server.bootstrap import build_context
from server.config import ROOT, Settings, normalize_database_url
from server.migrate import upgrade
from server.services.context import AppContext

FIXTURES = Path(__file__).parent / "fixtures"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_admin_url() -> str:
    return normalize_database_url(os.environ.get("REGOFFICE_TEST_PG_URL")
                                  or os.environ.get("DATABASE_URL") or PG_DEFAULT)


def _pg_reason() -> str | None:
    url = _pg_admin_url()
    if not url.startswith("postgresql"):
        return "DATABASE_URL is not a PostgreSQL URL"
    try:
        import psycopg

        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL not reachable at {url.split('@')[-1]}: {type(exc).__name__}"
    return None


PG_SKIP = _pg_reason()
# argon2 at its lowest cost: still the real hash and verify, so signing in works everywhere, but
# creating a test's ten users takes milliseconds instead of 2.5 s (its production cost, 64 MiB and
# three passes, is kept by the server; tests running servers in subprocesses use that one).
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", _TEST_HASHER)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    import psycopg

    admin = _pg_admin_url().replace("postgresql+psycopg://", "postgresql://")
    # REGOFFICE_TEST_DB_PREFIX lets parallel sessions on one server keep their databases apart.
    name = f"{os.environ.get('REGOFFICE_TEST_DB_PREFIX', 'regoffice_test_')}{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = normalize_database_url(admin.rsplit("/", 1)[0] + "/" + name)
    upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    from server.db import Base

    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "regoffice.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    base = Settings.from_env()
    return replace(base, instance_dir=tmp_path / "instance", database_url=database_url,
                   secret_key="test-secret", workflows_dir=ROOT / "workflows",
                   forms_dir=ROOT / "forms", templates_dir=ROOT / "templates",
                   config_dir=ROOT / "config", background="none", celery_broker_url=None)


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = build_context(settings)
    yield context
    context.db.dispose()


@pytest.fixture
def app(ctx: AppContext):  # type: ignore[no-untyped-def]
    from server.app import create_app

    application = create_app(ctx=ctx, background=False)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


# The registry's programmes in the tests, with the Kazakh names their documents print.
PROGRAMMES = {
    "6B06101": ("Информационные системы", "Ақпараттық жүйелер"),
    "6B06102": ("Программная инженерия", "Бағдарламалық инженерия"),
    "6B04101": ("Экономика", "Экономика"),
    "6B01101": ("Педагогика и психология", "Педагогика және психология"),
}


@pytest.fixture
def people(ctx: AppContext) -> dict[str, dict[str, str]]:
    """Faculties and one user per role (two deans), with bearer headers by username."""
    from server.db import Base  # noqa: F401
    from server.models import Faculty
    from server.services.people.users import NewUser, create_token, create_user
    from server.services.students.names import record_programme

    with ctx.db.unit_of_work() as session:
        session.add_all([Faculty(code="IT", name_ru="Факультет информационных технологий",
                                 name_kk="Ақпараттық технологиялар факультеті",
                                 name_en="Faculty of Information Technology"),
                         Faculty(code="ECON", name_ru="Факультет экономики и бизнеса",
                                 name_kk="Экономика және бизнес факультеті",
                                 name_en="Faculty of Economics and Business")])
        for code, (ru, kk) in PROGRAMMES.items():
            record_programme(session, code, ru, kk)
    specs = [
        ("admin", ("admin",), None), ("registrar", ("registrar",), None),
        ("registrar2", ("registrar",), None), ("head", ("registrar_head",), None),
        ("dean_it", ("dean",), "IT"), ("dean_econ", ("dean",), "ECON"),
        ("vicerector", ("vice_rector",), None), ("rector", ("rector",), None),
        ("accountant", ("accountant",), None), ("intl", ("international",), None),
    ]
    headers = {}
    for username, roles, faculty in specs:
        create_user(ctx, NewUser(username, username.title(), roles, "secret-pass-1", faculty))
        headers[username] = {"Authorization": f"Bearer {create_token(ctx, username)}"}
    return headers
