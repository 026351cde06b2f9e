"""Hostile input for the REST API: schemathesis generates requests from our own OpenAPI
document (/api/v1/openapi.json) for every operation and checks that none answers 5xx and every
answer matches the document (status codes, content types, bodies). It runs as the
administrator, so requests get past authorization to the use cases, on SQLite and on PostgreSQL
(which refuses what SQLite lets through: a NUL in text, integers beyond 64 bits)."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import checks  # noqa: E402
from schemathesis.specs.openapi import checks as oa_checks  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.bootstrap import build_context  # noqa: E402
from server.config import ROOT, Settings  # noqa: E402
from server.services.procedures import deployments  # noqa: E402

# No 5xx; status codes, content types and bodies as documented. (Schemathesis's "schema-valid
# data is accepted" check is left out on purpose: the use cases validate beyond the schema —
# an unknown process, a wrong ИИН check digit — and answer 422 for it.)
CHECKS = [checks.not_a_server_error, oa_checks.status_code_conformance, oa_checks.content_type_conformance,
          oa_checks.response_schema_conformance]
EXAMPLES = int(os.environ.get("REGOFFICE_FUZZ_EXAMPLES", "12"))  # per operation; more by hand


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_app(request, tmp_path_factory, sqlite_template):  # type: ignore[no-untyped-def]
    from server.app import create_app
    from server.services.people.users import NewUser, create_token, create_user

    folder = tmp_path_factory.mktemp("fuzz")
    if request.param == "postgres":
        from tests.conftest import _truncate_pg

        database_url = request.getfixturevalue("pg_database")
        _truncate_pg(database_url)
    else:
        shutil.copy(sqlite_template, folder / "fuzz.db")
        database_url = f"sqlite:///{folder / 'fuzz.db'}"
    settings_ = replace(Settings.from_env(), instance_dir=folder / "instance",
                        database_url=database_url, secret_key="fuzz",
                        workflows_dir=ROOT / "workflows", forms_dir=ROOT / "forms",
                        templates_dir=ROOT / "templates", config_dir=ROOT / "config",
                        background="none", celery_broker_url=None)
    ctx = build_context(settings_)
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    create_user(ctx, NewUser("admin", "Admin", ("admin", "registrar", "registrar_head"), "secret-pass-1"))
    app = create_app(ctx=ctx, background=False)
    app.config["TESTING"] = False  # errors become 500 answers, as in production
    app.config["FUZZ_HEADERS"] = {"Authorization": f"Bearer {create_token(ctx, 'admin')}"}
    yield app
    ctx.db.dispose()


def test_api_answers_match_the_document(fuzz_app):  # type: ignore[no-untyped-def]
    """Every operation, each with its own examples; all failures are reported together."""
    from hypothesis import given

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    headers = fuzz_app.config["FUZZ_HEADERS"]
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_fuzzing_reaches_the_use_cases(fuzz_app):  # type: ignore[no-untyped-def]
    client = fuzz_app.test_client()
    r = client.get("/api/v1/processes", headers=fuzz_app.config["FUZZ_HEADERS"])
    assert r.status_code == 200 and len(r.json["items"]) >= 4
    assert Path(ROOT / "workflows").is_dir()


HOSTILE_TEXT = "a\x00b\r\n"  # NUL: PostgreSQL refuses it in text; CR/LF: no header takes it
HOSTILE_INT = 10**30  # beyond any database integer


def _hostile(value: Any) -> Any:
    """The generated request with every string and integer in it made hostile."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return HOSTILE_TEXT
    if isinstance(value, int):
        return HOSTILE_INT
    if isinstance(value, dict):
        return {key: _hostile(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_hostile(item) for item in value]
    return value


def test_hostile_values_in_every_operation(fuzz_app):  # type: ignore[no-untyped-def]
    """Each operation's generated requests with NUL and CR/LF in every string and 10^30 in every
    integer (query, path, JSON body, form fields): no 5xx. Hypothesis seldom draws these."""
    from hypothesis import given

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    headers = fuzz_app.config["FUZZ_HEADERS"]
    failures = []
    for operation in [result.ok() for result in schema.get_all_operations()]:
        @given(case=operation.as_strategy())
        @settings(max_examples=3, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):  # type: ignore[no-untyped-def]
            for part in ("query", "path_parameters", "body"):
                value = getattr(case, part, None)
                if isinstance(value, (dict, list)):
                    setattr(case, part, _hostile(value))
            case.call_and_validate(headers=headers, checks=[checks.not_a_server_error])

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
