"""Helpers shared by the bench scripts: scratch PostgreSQL databases, the machine's size,
percentiles, capturing the SQL a service call runs, the --json output, the people who complete
tasks (one user per role) and the models the benches run."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import statistics
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from server.config import normalize_database_url

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
REPO = Path(__file__).resolve().parent.parent
SHARED_APPROVAL = REPO.parent / "shared" / "bench" / "approval.bpmn"
FIXTURE_APPROVAL = REPO / "tests" / "fixtures" / "approval.bpmn"
# username, roles, faculty: the same people as tests/conftest.py `people`.
PEOPLE = [
    ("admin", ("admin",), None), ("registrar", ("registrar",), None),
    ("registrar2", ("registrar",), None), ("head", ("registrar_head",), None),
    ("dean_it", ("dean",), "IT"), ("dean_econ", ("dean",), "ECON"),
    ("vicerector", ("vice_rector",), None), ("rector", ("rector",), None),
    ("accountant", ("accountant",), None), ("intl", ("international",), None),
]
USER_BY_ROLE = {"registrar": "registrar", "registrar_head": "head", "vice_rector": "vicerector",
                "rector": "rector", "accountant": "accountant", "international": "intl",
                "admin": "admin"}


def user_for(roles: list[str], faculty_code: str | None) -> str | None:
    """The PEOPLE user who may complete a task with these candidate roles (a dean's task: the dean
    of the case's faculty), or None when nobody holds one of them."""
    for role in roles:
        if role == "dean":
            if faculty_code:
                return f"dean_{faculty_code.lower()}"
        elif role in USER_BY_ROLE:
            return USER_BY_ROLE[role]
    return None


@dataclass
class Model:
    """A model a bench runs: what to deploy, how to start a case and how to answer its tasks."""

    key: str
    process_id: str
    files: list[tuple[str, bytes]]  # in deploy order (DMN first)
    start_data: dict[str, Any]
    answers: dict[str, dict[str, Any]]  # by form key
    default_answer: dict[str, Any]
    source_note: str = ""
    needs_student: bool = False  # the case is for a registered student (`student_id`)

    def answer(self, form_key: str | None) -> dict[str, Any]:
        return dict(self.answers.get(form_key or "", self.default_answer))


def _form_answers(ctx: Any, folder: str) -> dict[str, dict[str, Any]]:
    from server.services.tasks.form_samples import answer_for
    from server.services.tasks.forms import FormRegistry

    registry = FormRegistry(ctx.settings.forms_dir)
    answers = {}
    for schema in sorted((ctx.settings.forms_dir / folder).glob("*.schema.json")):
        form_key = f"{folder}/{schema.name[: -len('.schema.json')]}"
        if registry.exists(form_key):
            answers[form_key] = answer_for(ctx, form_key)
    return answers


def declare_start_data(xml: bytes, names: list[str]) -> bytes:
    """The model with its start data declared as BPMN data inputs, as registration requires
    (a peer's copy of approval.bpmn may predate it): an `ioSpecification` before the first
    start event, unless the process has one."""
    if b"ioSpecification" in xml:
        return xml
    inputs = "".join(f'<bpmn:dataInput id="{n}" name="{n}"/>' for n in names)
    refs = "".join(f"<bpmn:dataInputRefs>{n}</bpmn:dataInputRefs>" for n in names)
    spec = (f'<bpmn:ioSpecification id="start_data">{inputs}<bpmn:inputSet id="start_inputs">{refs}'
            '</bpmn:inputSet><bpmn:outputSet id="start_outputs"/></bpmn:ioSpecification>')
    return xml.replace(b"<bpmn:startEvent", spec.encode() + b"<bpmn:startEvent", 1)


def load_model(key: str, ctx: Any) -> Model:
    """`approval` (the peer's model), `transfer_in` (6 user tasks, an asynchronous order) or
    `cert_study` (a registered student's certificate, numbered in the certificates register)."""
    wf = REPO / "workflows"
    if key == "approval":
        path = SHARED_APPROVAL if SHARED_APPROVAL.is_file() else FIXTURE_APPROVAL
        source = declare_start_data(path.read_bytes(), ["amount"])
        return Model("approval", "Process_approval", [("approval.bpmn", source)],
                     {"amount": 5}, {}, {"approved": True}, source_note=str(path))
    if key == "cert_study":
        return Model("cert_study", "cert_study",
                     [("cert_study.bpmn", (wf / "cert_study.bpmn").read_bytes())],
                     {"purpose": "по месту требования", "copies": 1}, _form_answers(ctx, "cert_study"), {},
                     source_note=str(wf / "cert_study.bpmn"), needs_student=True)
    if key != "transfer_in":
        raise ValueError(f"unknown model {key!r}")
    answers = _form_answers(ctx, "transfer_in")
    applicant = answers.pop("transfer_in/register")
    applicant["faculty_code"] = "IT"
    applicant["programme_code"] = "6B06102"  # a programme the registry names in Kazakh
    return Model("transfer_in", "transfer_in",
                 [("transfer_rules.dmn", (wf / "transfer_rules.dmn").read_bytes()),
                  ("transfer_in.bpmn", (wf / "transfer_in.bpmn").read_bytes())],
                 {"applicant": applicant}, answers, {}, source_note=str(wf / "transfer_in.bpmn"))


def pg_admin_conninfo(url: str) -> str:
    """A libpq URL psycopg accepts (no SQLAlchemy driver suffix)."""
    return normalize_database_url(url).replace("postgresql+psycopg://", "postgresql://")


def pg_unreachable(url: str) -> str | None:
    """Why the PostgreSQL server at `url` cannot be used, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(pg_admin_conninfo(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        detail = " ".join(str(exc).split())
        return f"PostgreSQL not reachable at {url.split('@')[-1]}: {type(exc).__name__}: {detail}"
    return None


def create_pg_database(admin_url: str, prefix: str) -> tuple[str, str]:
    """Create `<prefix><random>` on the server of `admin_url`; return (name, SQLAlchemy URL)."""
    import psycopg

    admin = pg_admin_conninfo(admin_url)
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, normalize_database_url(admin.rsplit("/", 1)[0] + "/" + name)


def pg_arguments(parser: argparse.ArgumentParser) -> None:
    """--pg-url, --keep and --json of the scripts that build a PostgreSQL database of their own."""
    parser.add_argument("--pg-url", default=os.environ.get("REGOFFICE_BENCH_PG_URL", PG_DEFAULT),
                        help=f"the server to create the scratch database on (default {PG_DEFAULT})")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")


def skipped_without_pg(args: argparse.Namespace) -> bool:
    """Say so (and write it to --json) when the PostgreSQL server cannot be reached."""
    reason = pg_unreachable(args.pg_url)
    if reason:
        print(f"skipped: {reason}")
        write_json(args.json, {"skipped": reason})
    return reason is not None


def run_on_databases(args: argparse.Namespace, prefix: str,
                     run: Callable[[str, argparse.Namespace], dict[str, Any]],
                     show: Callable[[str, dict[str, Any]], None]) -> dict[str, Any]:
    """Run a bench on a fresh SQLite file and/or a fresh PostgreSQL database (``args.db``: sqlite,
    postgres or both; --pg-url, --keep and --json as `pg_arguments` adds them), print each
    database's figures with `show` and write them all to --json."""
    import tempfile

    print(machine_line())
    out: dict[str, Any] = {"machine": machine(), "args": {k: v for k, v in vars(args).items() if k != "json"}}
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            out["sqlite"] = run(f"sqlite:///{tmp}/{prefix}.db", args)
            show("SQLite", out["sqlite"])
    if args.db in ("postgres", "both"):
        reason = pg_unreachable(args.pg_url)
        if reason:
            out["postgres"] = {"skipped": reason}
            print(f"PostgreSQL skipped: {reason}")
        else:
            name, url = create_pg_database(args.pg_url, f"regoffice_bench_{prefix}_")
            try:
                out["postgres"] = run(url, args)
                show("PostgreSQL", out["postgres"])
            finally:
                if args.keep:
                    print(f"kept database {name}")
                else:
                    drop_pg_database(args.pg_url, name)
    write_json(args.json, out)
    return out


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(pg_admin_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> dict[str, Any]:
    """CPUs, RAM, CPU model, Python and the 1-minute load average (the machine is shared)."""
    mem_gib = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpus": affinity, "cpu_count": os.cpu_count(), "ram_gib": mem_gib, "cpu_model": cpu,
            "python": platform.python_version(), "platform": platform.platform(),
            "load1": round(os.getloadavg()[0], 2)}


def machine_line() -> str:
    m = machine()
    return (f"machine: {m['cpus']} CPUs ({m['cpu_model']}), RAM {m['ram_gib']} GiB, "
            f"Python {m['python']}, {m['platform']}, load average {m['load1']:.2f}")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 (inclusive method: defined for any number of samples, even one)."""
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


@contextlib.contextmanager
def captured_sql(engine: Any, keep: Callable[[str], bool] = lambda s: True
                 ) -> Iterator[list[tuple[str, Any]]]:
    """Collect (statement, parameters) of every statement `engine` runs inside the block."""
    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if keep(statement):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def healthz_ok(port: int) -> bool:
    """Whether a regoffice server on 127.0.0.1:port answers its health check with 200."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status == 200
    except OSError:
        return False
