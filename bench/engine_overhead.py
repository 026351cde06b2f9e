#!/usr/bin/env python
"""How much does regoffice add on top of SpiffWorkflow? Runs the same case N times per mode.

    python bench/engine_overhead.py [--cases N] [--model approval|transfer_in] [--pg-url URL]

Modes (see bench/README.md):
  a   raw SpiffWorkflow in memory (parse once; new BpmnWorkflow, do_engine_steps, complete ready
      user tasks);
  a'  the same through our engine wrapper `server.engine.Instance`, in memory;
  b   raw, with a state round trip per step through the standard BpmnWorkflowSerializer, spec
      included (serialize_json after every step, deserialize_json before the next one);
  b'  Instance.dump / Instance.restore (state without the spec) per step;
  c   services with durable commits: cases.start_case, then tasks.complete_task per task
      (SQLite file DB, PostgreSQL fresh database);
  d   HTTP: Flask test client in-process, then gunicorn on 127.0.0.1 with a keep-alive client.

Ratios c/b and d/b compare medians of ms/case against mode b (targets 2 and 3).
Nothing under server/ is changed; databases and the server process are created and removed here.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import cProfile
import gc
import http.client
import json
import os
import platform
import pstats
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import logging  # noqa: E402

logging.basicConfig(level=logging.ERROR)

from _cluster import free_port  # noqa: E402
from _common import (  # noqa: E402
    PEOPLE,
    PG_DEFAULT,
    Model,
    create_pg_database,
    drop_pg_database,
    healthz_ok,
    load_model,
    machine,
    pg_unreachable,
    user_for,
    write_json,
)
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter  # noqa: E402
from SpiffWorkflow.task import TaskState  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.bootstrap import build_context  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db_direct import DirectStatement  # noqa: E402
from server.engine import Instance, compile_model, load_bundle  # noqa: E402
from server.engine.loader import RegofficeSpiffParser  # noqa: E402
from server.engine.scripting import CaseScriptEngine, RegofficeServiceTask  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.services.context import AppContext  # noqa: E402
from server.services.tasks.forms import FormRegistry  # noqa: E402

FINAL_STATUSES = ("completed", "rejected", "cancelled", "withdrawn")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
              "boundaryEvent", "task", "userTask", "manualTask", "scriptTask", "serviceTask",
              "businessRuleTask", "sendTask", "receiveTask", "callActivity", "subProcess",
              "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"}
DOCUMENT_RESULT = {"document_id": 1, "number": "1-у"}


class Stuck(RuntimeError):
    """A case stopped with no open task and did not finish (e.g. its document job failed)."""


class NoActor(RuntimeError):
    """No user may complete a task (it has no candidate role)."""


# --------------------------------------------------------------------------- the model
def with_single_lane(xml: bytes, lane_name: str = "Registrar") -> bytes:
    """The same process with one lane around every flow node (lanes.yaml: Registrar -> registrar),
    so that a person may complete its tasks over HTTP."""
    from lxml import etree

    root = etree.fromstring(xml)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        nodes = [el.get("id") for el in process
                 if isinstance(el.tag, str) and etree.QName(el).localname in FLOW_NODES]
        lane_set = etree.Element(f"{{{BPMN_NS}}}laneSet", id="LaneSet_bench")
        lane = etree.SubElement(lane_set, f"{{{BPMN_NS}}}lane", id="Lane_bench", name=lane_name)
        for node in nodes:
            etree.SubElement(lane, f"{{{BPMN_NS}}}flowNodeRef").text = node
        process.insert(0, lane_set)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def make_settings(tmp: Path, url: str) -> Settings:
    return Settings(instance_dir=tmp / "instance", database_url=url, secret_key="bench-secret",
                    workflows_dir=REPO / "workflows", forms_dir=REPO / "forms",
                    templates_dir=REPO / "templates", config_dir=REPO / "config",
                    background="none", celery_broker_url=None)


# --------------------------------------------------------------------------- recording
@dataclass
class CaseRec:
    compl: list[float] = field(default_factory=list)  # seconds per user-task completion
    compl_sql: list[int] = field(default_factory=list)
    compl_commits: list[int] = field(default_factory=list)
    lookup: float = 0.0  # finding the next task (DB select / GET /cases/<id>)
    bg: float = 0.0  # background work (document job) drained by the driver
    system_completions: int = 0


@dataclass
class Result:
    mode: str
    db: str
    label: str
    case_ms: list[float] = field(default_factory=list)
    compl_ms: list[float] = field(default_factory=list)
    lookup_ms: list[float] = field(default_factory=list)
    bg_ms: list[float] = field(default_factory=list)
    sql_case: list[int] = field(default_factory=list)
    commits_case: list[int] = field(default_factory=list)
    sql_compl: list[int] = field(default_factory=list)
    commits_compl: list[int] = field(default_factory=list)
    cpu_s: float = 0.0  # CPU seconds of this process (+ the gunicorn processes) over the measured cases
    load: tuple[float, float] | None = None  # 1-min load average before / after
    state_bytes: int | None = None
    truncated: bool = False
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.case_ms)

    def med(self, values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    def p90(self) -> float | None:
        if len(self.case_ms) < 2:
            return self.med(self.case_ms)
        return statistics.quantiles(self.case_ms, n=10)[-1]

    def cases_per_s(self) -> float | None:
        return self.n / (sum(self.case_ms) / 1000) if self.case_ms else None

    def cpu_ms(self) -> float | None:
        return self.cpu_s * 1000 / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "db": self.db, "label": self.label, "n": self.n,
                "ms_case_median": self.med(self.case_ms), "ms_case_p90": self.p90(),
                "cases_per_s": self.cases_per_s(), "ms_completion_median": self.med(self.compl_ms),
                "ms_lookup_per_case": self.med(self.lookup_ms), "ms_bg_per_case": self.med(self.bg_ms),
                "cpu_ms_per_case": self.cpu_ms(), "load1_before_after": self.load,
                "sql_per_case": self.med(self.sql_case), "commits_per_case": self.med(self.commits_case),
                "sql_per_completion": self.med(self.sql_compl),
                "commits_per_completion": self.med(self.commits_compl),
                "state_bytes": self.state_bytes, "truncated": self.truncated, "skipped": self.skipped,
                "notes": self.notes}


class SqlCounter:
    """Counts statements and commits on an engine (in-process modes only): those SQLAlchemy
    executes, and the hot path's writes that go to the driver directly (`DirectStatement`)."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._stmt)
        event.listen(engine, "commit", self._commit)

    def _stmt(self, *_: Any) -> None:
        self.statements += 1

    def _commit(self, *_: Any) -> None:
        self.commits += 1

    def snap(self) -> tuple[int, int]:
        return self.statements + DirectStatement.executed, self.commits


def measure(mode: str, db: str, label: str, run_case: Callable[[CaseRec], None], n: int, warmup: int,
            budget: float, counter: SqlCounter | None = None,
            other_cpu: Callable[[], float] | None = None) -> Result:
    result = Result(mode, db, label)
    for _ in range(warmup):
        run_case(CaseRec())
    gc.collect()
    load0 = os.getloadavg()[0]
    cpu0 = time.process_time() + (other_cpu() if other_cpu else 0.0)
    began = time.perf_counter()
    systems = 0
    for _ in range(n):
        rec = CaseRec()
        s0 = counter.snap() if counter else (0, 0)
        t0 = time.perf_counter()
        run_case(rec)
        dt = time.perf_counter() - t0
        result.case_ms.append(dt * 1000)
        result.compl_ms += [x * 1000 for x in rec.compl]
        result.lookup_ms.append(rec.lookup * 1000)
        result.bg_ms.append(rec.bg * 1000)
        systems += rec.system_completions
        if counter:
            s1 = counter.snap()
            result.sql_case.append(s1[0] - s0[0])
            result.commits_case.append(s1[1] - s0[1])
            result.sql_compl += rec.compl_sql
            result.commits_compl += rec.compl_commits
        if time.perf_counter() - began > budget:
            result.truncated = True
            result.notes.append(f"stopped after {result.n} cases: --budget {budget:.0f}s reached")
            break
    result.cpu_s = time.process_time() + (other_cpu() if other_cpu else 0.0) - cpu0
    result.load = (load0, os.getloadavg()[0])
    if systems:
        result.notes.append(f"{systems} of {len(result.compl_ms)} task completions as Actor.system() "
                            "(the tasks have no candidate role)")
    return result


def timed(rec: CaseRec, counter: SqlCounter | None, fn: Callable[..., Any], *args: Any) -> Any:
    """Call fn(*args) as one task completion: its time (and SQL) go to the case record."""
    s0 = counter.snap() if counter else (0, 0)
    t0 = time.perf_counter()
    out = fn(*args)
    rec.compl.append(time.perf_counter() - t0)
    if counter:
        s1 = counter.snap()
        rec.compl_sql.append(s1[0] - s0[0])
        rec.compl_commits.append(s1[1] - s0[1])
    return out


# --------------------------------------------------------------------------- modes a, a', b, b'
class RawDriver:
    """SpiffWorkflow without our services. approval: the stock SpiffBpmnParser and script engine.
    transfer_in needs the server's service-task class and `working_days()`, so it is parsed with
    RegofficeSpiffParser and run with CaseScriptEngine (still no database, no services)."""

    def __init__(self, model: Model, ctx: AppContext) -> None:
        self.model = model
        self.functions = ctx.script_functions
        self.async_operators = ctx.async_operators
        pid = model.process_id
        stock = model.key == "approval"
        parser = SpiffBpmnParser() if stock else RegofficeSpiffParser()
        for name, content in model.files:
            if name.endswith(".dmn"):
                parser.add_dmn_str(content)
            else:
                parser.add_bpmn_str(content, filename=name)
        self.spec = parser.get_spec(pid)
        self.subs = parser.get_subprocess_specs(pid)
        config = deepcopy(SPIFF_CONFIG)
        if not stock:
            config[RegofficeServiceTask] = ServiceTaskConverter
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.stock = stock
        # The server's bundle (our parser + deploy-time metadata) for the Instance modes.
        files = {name: content.decode("utf-8") for name, content in model.files}
        primary = model.files[-1][0]
        compiled = compile_model(primary, files[primary], {k: v for k, v in files.items() if k != primary},
                                 form_exists=FormRegistry(ctx.settings.forms_dir).exists,
                                 allowed_calls=self.functions.names)
        self.bundle = load_bundle(0, pid, compiled.dialect, compiled.bundles[pid],
                                  compiled.task_meta[pid], compiled.hashes[pid])
        self.start_data = {**model.start_data, "service_code": pid, "channel": "direct", "case_id": 1}
        self.last_state: dict[str, int] = {}

    def _engine(self) -> Any:
        return None if self.stock else CaseScriptEngine(self.functions, self.async_operators)

    def _new(self) -> tuple[BpmnWorkflow, Any]:
        engine = self._engine()
        wf = BpmnWorkflow(self.spec, self.subs, script_engine=engine) if engine else \
            BpmnWorkflow(self.spec, self.subs)
        wf.task_tree.data.update(deepcopy(self.start_data))
        return wf, engine

    def _form_key(self, task: Any) -> str | None:
        ext = getattr(task.task_spec, "extensions", None) or {}
        return (ext.get("properties") or {}).get("formKey")

    def _service_step(self, wf: BpmnWorkflow, engine: Any) -> bool:
        started = [t for t in wf.get_tasks(state=TaskState.STARTED)
                   if hasattr(t.task_spec, "operation_name")]
        if not started:
            return False
        Instance(self.bundle, wf, engine).complete_service_task(str(started[0].id), dict(DOCUMENT_RESULT))
        return True

    def _complete(self, wf: BpmnWorkflow, task: Any) -> None:
        task.data.update(self.model.answer(self._form_key(task)))
        task.run()
        wf.do_engine_steps()

    # a: in memory
    def case_a(self, rec: CaseRec) -> None:
        wf, engine = self._new()
        wf.do_engine_steps()
        while not wf.completed:
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                if not self._service_step(wf, engine):
                    raise Stuck("raw workflow waits with no ready task")
                continue
            for task in ready:
                timed(rec, None, self._complete, wf, task)
        self._check(wf.last_task.data if wf.last_task else {})

    # b: full serializer round trip (spec included) per step
    def case_b(self, rec: CaseRec) -> None:
        ser = self.serializer
        wf, engine = self._new()
        wf.do_engine_steps()
        state = ser.serialize_json(wf)
        while True:
            def step(state: str) -> tuple[str, bool, bool]:
                w = ser.deserialize_json(state)
                if engine is not None:
                    w.script_engine = engine
                ready = w.get_tasks(state=TaskState.READY, manual=True)
                if ready:
                    self._complete(w, ready[0])
                elif not self._service_step(w, engine):
                    raise Stuck("raw workflow waits with no ready task")
                return ser.serialize_json(w), bool(ready), w.completed

            t0 = time.perf_counter()
            state, was_user, done = step(state)
            if was_user:
                rec.compl.append(time.perf_counter() - t0)
            if done:
                break
        self.last_state["b"] = len(state.encode())

    # a': our Instance in memory
    def case_a_instance(self, rec: CaseRec) -> None:
        inst = Instance.start(self.bundle, deepcopy(self.start_data), self.functions, self.async_operators)
        inst.run()
        while not inst.completed:
            ready = inst.ready_user_tasks()
            if not ready:
                started = inst.started_service_tasks()
                if not started:
                    raise Stuck("instance waits with no ready task")
                inst.complete_service_task(started[0], dict(DOCUMENT_RESULT))
                continue
            for task in ready:
                answer = self.model.answer(task.meta.get("form_key"))
                timed(rec, None, inst.complete_user_task, task.id, answer)
        self._check(inst.data)

    # b': Instance.dump / Instance.restore (no spec) per step
    def case_b_specless(self, rec: CaseRec) -> None:
        inst = Instance.start(self.bundle, deepcopy(self.start_data), self.functions, self.async_operators)
        inst.run()
        state = inst.dump()
        while True:
            def step(state: str) -> tuple[str, bool, bool]:
                i = Instance.restore(self.bundle, state, self.functions, self.async_operators)
                ready = i.ready_user_tasks()
                if ready:
                    i.complete_user_task(ready[0].id, self.model.answer(ready[0].meta.get("form_key")))
                else:
                    started = i.started_service_tasks()
                    if not started:
                        raise Stuck("instance waits with no ready task")
                    i.complete_service_task(started[0], dict(DOCUMENT_RESULT))
                return i.dump(), bool(ready), i.completed

            t0 = time.perf_counter()
            state, was_user, done = step(state)
            if was_user:
                rec.compl.append(time.perf_counter() - t0)
            if done:
                break
        self.last_state["b'"] = len(state.encode())

    def _check(self, data: dict[str, Any]) -> None:
        if self.model.key == "approval" and data.get("total") != 10:
            raise AssertionError(f"approval case ended without total == 10: {data.get('total')}")
        if self.model.key == "transfer_in" and data.get("outcome") != "issued":
            raise AssertionError(f"transfer_in case ended with outcome {data.get('outcome')!r}")


# --------------------------------------------------------------------------- databases
@dataclass
class Env:
    db: str  # "sqlite" | "postgresql"
    url: str
    tmp: Path
    ctx: AppContext
    counter: SqlCounter
    user_ids: dict[str, int]
    tokens: dict[str, str]
    actors: dict[str, Actor]
    faculties: dict[int, str]  # faculty id -> code
    drop: Callable[[], None] | None = None
    info: str = ""

    def user_for(self, roles: list[str], faculty_id: int | None) -> str | None:
        return user_for(roles, self.faculties.get(faculty_id or -1))


def create_env(db: str, model: Model, pg_url: str, sqlite_synchronous: str = "server") -> Env:
    from server.models import Faculty
    from server.services.people.users import NewUser, actor_for_user, create_token, create_user
    from server.services.procedures.deployments import deploy_file

    tmp = Path(tempfile.mkdtemp(prefix=f"regoffice-bench-{db}-"))
    drop = None
    if db == "sqlite":
        url = f"sqlite:///{tmp / 'regoffice.db'}"
    else:
        db_name, url = create_pg_database(pg_url, "regoffice_bench_")

        def drop(pg_url: str = pg_url, db_name: str = db_name) -> None:
            drop_pg_database(pg_url, db_name)

        _CLEANUP.append(drop)
    upgrade(url)
    ctx = build_context(make_settings(tmp, url))
    if db == "sqlite" and sqlite_synchronous != "server":
        # Runs after the server's own connect listener, so it overrides its PRAGMA (in-process only).
        event.listen(ctx.db.engine, "connect",
                     lambda conn, _rec: conn.execute(f"PRAGMA synchronous={sqlite_synchronous}"))
    counter = SqlCounter()
    counter.attach(ctx.db.engine)
    seed_registry(ctx)
    with ctx.db.read() as session:
        faculties = {f.id: f.code for f in session.scalars(select(Faculty))}
    user_ids, tokens, actors = {}, {}, {}
    for username, roles, faculty in PEOPLE:
        user_ids[username] = create_user(ctx, NewUser(username, username.title(), roles, None, faculty))
        tokens[username] = create_token(ctx, username, "bench")
        actor = actor_for_user(ctx, user_ids[username])
        assert actor is not None
        actors[username] = actor
    for filename, content in model.files:
        deploy_file(ctx, actors["admin"], filename, content)
    env = Env(db, url, tmp, ctx, counter, user_ids, tokens, actors, faculties, drop)
    env.info = db_info(env)
    return env


def seed_registry(ctx: AppContext) -> None:
    """The faculties and the programme the bench's cases are of (the forms choose from them)."""
    from server.models import Faculty
    from server.services.students.names import record_programme

    with ctx.db.unit_of_work() as session:
        session.add_all([Faculty(code="IT", name_ru="ИТ", name_kk="АТ"),
                         Faculty(code="ECON", name_ru="Экономика", name_kk="Экономика")])
        record_programme(session, "6B06102", "Программная инженерия", "Бағдарламалық инженерия")


def close_env(env: Env) -> None:
    env.ctx.db.dispose()
    if env.drop is not None:
        try:
            env.drop()
        finally:
            with contextlib.suppress(ValueError):
                _CLEANUP.remove(env.drop)
    shutil.rmtree(env.tmp, ignore_errors=True)


def db_info(env: Env) -> str:
    from sqlalchemy import text

    with env.ctx.db.engine.connect() as conn:
        if env.db == "sqlite":
            import sqlite3

            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
            return (f"SQLite {sqlite3.sqlite_version}, file in {env.tmp}, journal_mode={mode}, "
                    f"synchronous={names.get(sync, sync)} in-process"
                    + (" (the server's setting)" if sync == 1 else " (overridden by --sqlite-synchronous; "
                       "gunicorn keeps the server's NORMAL)"))
        version = conn.execute(text("SHOW server_version")).scalar()
        fsync = conn.execute(text("SHOW fsync")).scalar()
        sync = conn.execute(text("SHOW synchronous_commit")).scalar()
        return f"PostgreSQL {version} at {env.url.split('@')[-1]}, fsync={fsync}, synchronous_commit={sync}"


# --------------------------------------------------------------------------- mode c
class ServiceDriver:
    def __init__(self, env: Env, model: Model) -> None:
        self.env = env
        self.model = model
        self.ctx = env.ctx

    def open_tasks(self, case_id: int) -> tuple[list[Any], str]:
        """The case's status and open tasks, in one read-only SELECT (what an inbox query costs)."""
        from sqlalchemy import and_

        from server.models import Case, HumanTask

        with self.ctx.db.read() as session:
            rows = session.execute(
                select(Case.status, HumanTask.id, HumanTask.form_key, HumanTask.candidate_roles,
                       HumanTask.faculty_id)
                .select_from(Case)
                .outerjoin(HumanTask, and_(HumanTask.case_id == Case.id, HumanTask.status == "open"))
                .where(Case.id == case_id).order_by(HumanTask.created_at)).all()
        if not rows:
            raise LookupError(f"case {case_id} not found")
        return [r for r in rows if r.id is not None], str(rows[0].status)

    @staticmethod
    def next_tasks(step: Any) -> tuple[list[Any], str]:
        """The open tasks a service call returned (`start_case_step`, `complete_task`) and the
        case's status."""
        return ([SimpleNamespace(id=t.id, form_key=t.form_key, candidate_roles=t.candidate_roles,
                                 faculty_id=t.faculty_id) for t in step.open_tasks], str(step.case.status))

    def stuck_reason(self, case_id: int, status: str) -> str:
        from server.models import OutboxJob

        with self.ctx.db.read() as session:
            jobs = session.scalars(select(OutboxJob).where(OutboxJob.case_id == case_id)).all()
            desc = "; ".join(f"{j.kind}: {j.status}, attempts {j.attempts}"
                             + (f", error: {j.last_error}" if j.last_error else "") for j in jobs)
        return (f"case {case_id} has no open task and did not finish (status {status}) after "
                f"draining background work; outbox: {desc or 'no jobs'}")

    def case_c(self, rec: CaseRec) -> None:
        from server.jobs.inprocess import drain
        from server.services.cases import lifecycle as cases
        from server.services.tasks import human_tasks as tasks

        ctx, env = self.ctx, self.env
        started = cases.start_case_step(ctx, env.actors["registrar"],
                                        cases.StartRequest(self.model.process_id, data=self.model.start_data))
        case_id = started.case.id
        drained = False
        # What the last service call said comes next (the start and every completion name the
        # tasks now open); the driver reads the database only when none is named.
        known: tuple[list[Any], str] | None = self.next_tasks(started)
        while True:
            if known is not None and (known[0] or known[1] in FINAL_STATUSES):
                rows, status = known
            else:
                t0 = time.perf_counter()
                rows, status = self.open_tasks(case_id)
                rec.lookup += time.perf_counter() - t0
            known = None
            if not rows:
                if status in FINAL_STATUSES:
                    break
                if drained:
                    raise Stuck(self.stuck_reason(case_id, status))
                t0 = time.perf_counter()
                drain(ctx)
                rec.bg += time.perf_counter() - t0
                drained = True
                continue
            drained = False
            row = rows[0]
            roles = [r for r in (row.candidate_roles or "").split(",") if r]
            username = env.user_for(roles, row.faculty_id)
            if username is None:
                actor = Actor.system()
                rec.system_completions += 1
            else:
                actor = env.actors[username]
            data = self.model.answer(row.form_key)
            step = timed(rec, env.counter, tasks.complete_task, ctx, actor, row.id, data)
            known = self.next_tasks(step)
        if status != "completed":
            raise AssertionError(f"case {case_id} ended with status {status}")


# --------------------------------------------------------------------------- mode d
class TestClientTransport:
    name = "Flask test client"

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def request(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        r = self.client.open(path, method=method, headers=headers, json=body)
        return r.status_code, r.get_json(silent=True)

    def close(self) -> None:
        pass


class HttpTransport:
    """http.client on one keep-alive connection (reconnects are counted and reported)."""

    name = "gunicorn over HTTP"

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.connects = 0
        self.requests = 0

    def request(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive",
                   "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                if self.conn.sock is None:
                    self.connects += 1
                self.conn.request(method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if (resp.getheader("Connection") or "").lower() == "close":
                    self.conn.close()
                self.requests += 1
                return resp.status, json.loads(data) if data else None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server had closed: the request never ran.
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


class HttpDriver:
    def __init__(self, env: Env, model: Model, transport: Any, drain_ctx: AppContext) -> None:
        self.env, self.model, self.t, self.drain_ctx = env, model, transport, drain_ctx

    def _expect(self, status: int, body: Any, want: int, what: str) -> Any:
        if status != want:
            raise RuntimeError(f"{what}: HTTP {status} {json.dumps(body, ensure_ascii=False)[:400]}")
        return body

    def case_d(self, rec: CaseRec) -> None:
        from server.jobs.inprocess import drain

        tok = self.env.tokens
        status, body = self.t.request("POST", "/api/v1/cases", tok["registrar"],
                                      {"process_id": self.model.process_id, "data": self.model.start_data})
        case = self._expect(status, body, 201, "start case")
        case_id = case["id"]
        drained = False
        while True:
            open_tasks = case["open_tasks"]
            if not open_tasks:
                if case["status"] in FINAL_STATUSES:
                    break
                if drained:
                    raise Stuck(ServiceDriver(self.env, self.model).stuck_reason(case_id, case["status"]))
                t0 = time.perf_counter()
                drain(self.drain_ctx)  # what a worker would do; the web process runs none
                rec.bg += time.perf_counter() - t0
                drained = True
            else:
                drained = False
                task = open_tasks[0]
                username = self.env.user_for(task["candidate_roles"], task["faculty_id"])
                if username is None:
                    raise NoActor(f"task {task['spec_name']} has no candidate role: no user may "
                                  "complete it over HTTP (403 for every role)")
                data = self.model.answer(task["form_key"])
                status, body = timed(rec, None, self.t.request, "POST",
                                     f"/api/v1/tasks/{task['id']}/complete", tok[username], {"data": data})
                body = self._expect(status, body, 200, f"complete {task['spec_name']} as {username}")
                if "open_tasks" in body and (body["open_tasks"] or body["status"] in FINAL_STATUSES):
                    case = body  # the response names the next tasks: no GET needed
                    continue
            t0 = time.perf_counter()
            status, body = self.t.request("GET", f"/api/v1/cases/{case_id}", tok["registrar"])
            rec.lookup += time.perf_counter() - t0
            case = self._expect(status, body, 200, "get case")
        if case["status"] != "completed":
            raise AssertionError(f"case {case_id} ended with status {case['status']}")



class Gunicorn:
    def __init__(self, env: Env, workers: int, threads: int) -> None:
        self.port = free_port()
        self.log = env.tmp / "gunicorn.log"
        instance = env.tmp / "gunicorn-instance"
        instance.mkdir(exist_ok=True)
        exe = Path(sys.executable).with_name("gunicorn")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gunicorn"]
        cmd += ["server.wsgi:app", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "75",
                "--timeout", "120", "--log-level", "warning", "--error-logfile", str(self.log)]
        child_env = {**os.environ, "DATABASE_URL": env.url, "REGOFFICE_BACKGROUND": "none",
                     "REGOFFICE_INSTANCE": str(instance), "SECRET_KEY": secrets.token_hex(16),
                     "PYTHONPATH": str(REPO)}
        child_env.pop("CELERY_BROKER_URL", None)
        self.cmd = " ".join(cmd)
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=child_env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        _CLEANUP.append(self.stop)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}: {self.log_tail()}")
            if healthz_ok(self.port):
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f}s: {self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the gunicorn master and its workers, from /proc."""
        tick = os.sysconf("SC_CLK_TCK")
        pids = [self.proc.pid]
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
        total = 0.0
        for pid in dict.fromkeys(pids):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def log_tail(self) -> str:
        try:
            return self.log.read_text()[-1500:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the master (our child) stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        with contextlib.suppress(ValueError):
            _CLEANUP.remove(self.stop)


# --------------------------------------------------------------------------- cleanup
_CLEANUP: list[Callable[[], None]] = []


def _cleanup() -> None:
    for fn in reversed(list(_CLEANUP)):
        with contextlib.suppress(Exception):
            fn()


atexit.register(_cleanup)


def _on_signal(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _on_signal)


# --------------------------------------------------------------------------- reporting
def machine_info() -> list[str]:
    from importlib.metadata import version

    m = machine()
    libs = ", ".join(f"{p} {version(p)}" for p in ("SpiffWorkflow", "SQLAlchemy", "Flask", "APIFlask",
                                                    "gunicorn", "psycopg"))
    return [f"machine: nproc={m['cpus']} (cpu_count={m['cpu_count']}), RAM {m['ram_gib']} GiB, "
            f"CPU {m['cpu_model']}",
            f"python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.system()} {platform.release()}",
            f"libraries: {libs}"]


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(results: list[Result]) -> None:
    head = ["mode", "database", "N", "ms/case", "p90", "cases/s", "cpu ms/case", "ms/compl",
            "lookup ms", "bg ms", "SQL/compl", "commits/compl", "SQL/case", "commits/case", "load1"]
    rows: list[list[str]] = []
    for r in results:
        if r.skipped:
            rows.append([r.label, r.db, "-", f"skipped: {r.skipped}"])
            continue
        load = f"{r.load[0]:.1f}>{r.load[1]:.1f}" if r.load else "-"
        rows.append([r.label, r.db, f"{r.n}{'*' if r.truncated else ''}", fmt(r.med(r.case_ms)),
                     fmt(r.p90()), fmt(r.cases_per_s(), ".1f"), fmt(r.cpu_ms()), fmt(r.med(r.compl_ms)),
                     fmt(r.med(r.lookup_ms)) if any(r.lookup_ms) else "-",
                     fmt(r.med(r.bg_ms)) if any(r.bg_ms) else "-",
                     fmt(r.med(r.sql_compl), ".0f"), fmt(r.med(r.commits_compl), ".0f"),
                     fmt(r.med(r.sql_case), ".0f"), fmt(r.med(r.commits_case), ".0f"), load])
    full = [row for row in rows if len(row) == len(head)]
    widths = [max(len(x[i]) for x in [head, *full]) for i in range(len(head))]
    for i in range(3):
        widths[i] = max([widths[i], *(len(row[i]) for row in rows)])

    def render(row: list[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=False))
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs]
        if len(row) < len(head):
            cells = [*cells[:3], "  " + row[3]]
        return "  ".join(cells).rstrip()

    line = render(head)
    print(line)
    print("-" * len(line))
    for row in rows:
        print(render(row))
    print("ms/case: median wall time of a whole case (start, every completion, next-task lookups, background "
          "job); p90 of the same; cases/s: N / total wall time (one sequential client); cpu ms/case: CPU "
          "of this process per case (+ gunicorn's processes in the gunicorn row; PostgreSQL's own CPU is "
          "not counted); ms/compl: median of one user-task completion call (in b/b' with its restore and "
          "dump); lookup: finding the next task when the last call did not name it, per case (c: one "
          "SELECT of case status + open human_tasks; d: GET /api/v1/cases/<id>); bg: draining the "
          "document job, per case; SQL and commits: counted on the in-process engine; load1: 1-minute "
          "load average before>after the mode; * = stopped by --budget.")


def print_ratios(results: list[Result]) -> None:
    base = next((r for r in results if r.mode == "b" and r.n), None)
    if base is None:
        print("ratios: mode b was not measured in this run (use --modes b,c,d)")
        return
    b = base.med(base.case_ms)
    assert b is not None
    print(f"ratios against (b) = {b:.2f} ms/case (targets: c/b <= 2, d/b <= 3); "
          "'core' = without the driver's next-task lookups and the background document job:")
    for r in results:
        if r.mode not in ("c", "d") or not r.n:
            continue
        target = 2.0 if r.mode == "c" else 3.0
        med = r.med(r.case_ms) or 0.0
        core = med - (r.med(r.lookup_ms) or 0.0) - (r.med(r.bg_ms) or 0.0)
        ratio = med / b
        verdict = "meets target" if ratio <= target else f"OVER target {target:g}"
        print(f"  {r.mode}/b  {r.label:<36} {r.db:<10} {ratio:6.2f}  {verdict:<16} core {core / b:6.2f}")
    for r in results:
        if r.mode == "b'" and r.n:
            print(f"  b'/b = {(r.med(r.case_ms) or 0) / b:.2f}: our spec-less round trip against the "
                  "standard serializer with the spec")


# --------------------------------------------------------------------------- profile
def shorten(path: str) -> str:
    for prefix in sorted({p for p in sys.path if p and path.startswith(p)}, key=len, reverse=True):
        return path[len(prefix):].lstrip("/")
    return path.replace(str(REPO) + "/", "")


def print_profile(profile: cProfile.Profile, n_cases: int, top: int, title: str) -> None:
    stats = pstats.Stats(profile)
    entries = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        name = f"{shorten(filename)}:{line}({func})" if filename != "~" else func
        entries.append((ct, tt, nc, cc, name))
    total = max(e[0] for e in entries) if entries else 0.0
    order = ((0, "cumulative"), (1, "tottime"))
    for key, label in order:
        print(f"\n{title}: top {top} by {label} ({n_cases} cases, {total * 1000 / max(1, n_cases):.1f} ms"
              f"/case under the profiler)")
        print(f"{'ncalls':>10} {'tottime s':>10} {'cumtime s':>10} {'cum ms/case':>12}  function")
        for ct, tt, nc, cc, name in sorted(entries, key=lambda e: e[key], reverse=True)[:top]:
            calls = f"{nc}/{cc}" if nc != cc else str(nc)
            print(f"{calls:>10} {tt:10.3f} {ct:10.3f} {ct * 1000 / max(1, n_cases):12.2f}  {name}")
    # Where one service call spends its time: its direct callees, per call.
    for func_name in ("complete_task", "start_case"):
        targets = [f for f in stats.stats if f[2] == func_name  # type: ignore[attr-defined]
                   and "server/services" in f[0]]
        for target in targets:
            calls = stats.stats[target][1]  # type: ignore[attr-defined]
            own = stats.stats[target][3] * 1000 / max(1, calls)  # type: ignore[attr-defined]
            rows = []
            for func, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
                if target in callers:
                    edge = callers[target]
                    rows.append((edge[3] * 1000 / max(1, calls), edge[0] / max(1, calls), func))
            print(f"\n{shorten(target[0])}:{target[1]}({func_name}): {calls} calls, {own:.2f} ms per call "
                  "under the profiler; direct callees, ms per call:")
            for ms, per, func in sorted(rows, reverse=True)[:14]:
                name = f"{shorten(func[0])}:{func[1]}({func[2]})" if func[0] != "~" else func[2]
                print(f"  {ms:8.3f} ms  {per:5.1f}x  {name}")


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=200, help="measured cases per mode (default 200)")
    ap.add_argument("--warmup", type=int, default=10, help="warm-up cases per mode, not measured")
    ap.add_argument("--model", choices=("approval", "transfer_in"), default="approval")
    ap.add_argument("--pg-url", default=os.environ.get("REGOFFICE_BENCH_PG_URL", PG_DEFAULT),
                    help=f"PostgreSQL server to create the scratch database on (default {PG_DEFAULT})")
    ap.add_argument("--modes", default="a,b,c,d", help="subset of a,b,c,d (a includes a', b includes b')")
    ap.add_argument("--db", default="sqlite,postgresql", help="subset of sqlite,postgresql")
    ap.add_argument("--no-gunicorn", action="store_true", help="HTTP through the test client only")
    ap.add_argument("--gunicorn-threads", type=int, default=2)
    ap.add_argument("--budget", type=float, default=600,
                    help="seconds per mode before it stops with the cases done so far (default 600)")
    ap.add_argument("--profile", action="store_true",
                    help="also profile mode c on SQLite with cProfile and print the top entries")
    ap.add_argument("--profile-only", action="store_true", help="only the profile of mode c on SQLite")
    ap.add_argument("--profile-cases", type=int, default=None, help="cases to profile (default --cases)")
    ap.add_argument("--profile-top", type=int, default=15)
    ap.add_argument("--sqlite-synchronous", choices=("server", "NORMAL", "FULL"), default="server",
                    help="override the server's PRAGMA synchronous for the in-process SQLite modes "
                         "(gunicorn keeps the server's setting); default: the server's own")
    ap.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = ap.parse_args(argv)
    modes = set(args.modes.split(","))
    dbs = [d for d in ("sqlite", "postgresql") if d in args.db.split(",")]

    what = (f"profile of mode c on SQLite, {args.profile_cases or args.cases} cases" if args.profile_only
            else f"N={args.cases} measured cases per mode")
    print(f"regoffice engine overhead — model {args.model}, {what}, {args.warmup} warm-up cases excluded, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S %z')}, load average {os.getloadavg()[0]:.2f}")
    for line in machine_info():
        print(line)

    scratch = Path(tempfile.mkdtemp(prefix="regoffice-bench-raw-"))
    _CLEANUP.append(lambda: shutil.rmtree(scratch, ignore_errors=True))
    # the sample answers read the registry's lists (faculties, programmes): a migrated database
    raw_url = f"sqlite:///{scratch / 'raw.db'}"
    upgrade(raw_url)
    raw_ctx = build_context(make_settings(scratch, raw_url))
    seed_registry(raw_ctx)
    model = load_model(args.model, raw_ctx)
    print(f"model file: {model.source_note}")
    if args.profile_only:
        profile_c(model, args)
        return 0
    results: list[Result] = []
    notes: list[str] = []
    n, w = args.cases, args.warmup

    if modes & {"a", "b"}:
        raw = RawDriver(model, raw_ctx)
        if model.key == "transfer_in":
            notes.append("transfer_in in a/b: parsed with RegofficeSpiffParser and run with CaseScriptEngine "
                         "(its service tasks and working_days() need them); the document step is "
                         "completed with Instance.complete_service_task(task, {'document_id': 1, ...})")
        if "a" in modes:
            results.append(measure("a", "-", "a  raw SpiffWorkflow, in memory", raw.case_a, n, w,
                                   args.budget))
            results.append(measure("a'", "-", "a' Instance (engine wrapper), memory",
                                   raw.case_a_instance, n, w, args.budget))
        if "b" in modes:
            results.append(measure("b", "-", "b  raw + serializer w/ spec per step", raw.case_b, n, w,
                                   args.budget))
            results[-1].state_bytes = raw.last_state.get("b")
            results.append(measure("b'", "-", "b' Instance.dump/restore per step", raw.case_b_specless, n,
                                   w, args.budget))
            results[-1].state_bytes = raw.last_state.get("b'")
            size_b, size_b2 = raw.last_state.get("b", 0), raw.last_state.get("b'", 0)
            notes.append(f"final state size: b {size_b / 1024:.1f} KB (spec included), "
                         f"b' {size_b2 / 1024:.1f} KB (spec-less)")

    db_infos: list[str] = []
    if modes & {"c", "d"}:
        for db in dbs:
            if db == "postgresql":
                reason = pg_unreachable(args.pg_url)
                if reason:
                    for mode, label in (("c", "c  services"), ("d", "d  HTTP")):
                        if mode in modes:
                            results.append(Result(mode, db, label, skipped=reason))
                    print(f"PostgreSQL skipped: {reason}")
                    continue
            env = create_env(db, model, args.pg_url, args.sqlite_synchronous)
            db_infos.append(env.info)
            try:
                run_db_modes(env, model, modes, args, results, notes)
            finally:
                close_env(env)

    if db_infos:
        notes.extend(db_infos)
    print()
    print_table(results)
    print()
    print_ratios(results)
    if notes:
        print("\nnotes:")
        for note in dict.fromkeys(notes):
            print(f"  - {note}")
    for r in results:
        for note in r.notes:
            print(f"  - [{r.label.strip()} / {r.db}] {note}")

    if args.profile:
        profile_c(model, args)
    write_json(args.json, {"model": args.model, "cases": n, "machine": machine_info(),
                           "results": [r.as_dict() for r in results], "notes": notes})
    return 0


def run_db_modes(env: Env, model: Model, modes: set[str], args: argparse.Namespace,
                 results: list[Result], notes: list[str]) -> None:
    n, w, budget = args.cases, args.warmup, args.budget
    svc = ServiceDriver(env, model)
    try:
        probe = CaseRec()
        svc.case_c(probe)  # one unmeasured case: does the model run, and who may complete its tasks?
        if "c" in modes:
            results.append(measure("c", env.db, "c  services (start/complete_task)", svc.case_c, n, w,
                                   budget, env.counter))
    except Stuck as exc:
        results.append(Result("c", env.db, "c  services", skipped="case cannot proceed"))
        print(f"\n*** {model.key} on {env.db}: the document service did not finish, the case cannot "
              f"proceed: {exc}\n*** report only the approval model for modes c/d.")
        return
    lane = ""
    if probe.system_completions:
        # Tasks without a candidate role: only Actor.system() may complete them, every user gets
        # 403. Deploy the same model with one lane "Registrar" (-> role registrar) so that real
        # users complete it, in-process and over HTTP.
        from server.services.procedures.deployments import deploy_file

        lane = " [lane]"
        filename, content = model.files[-1]
        deploy_file(env.ctx, env.actors["admin"], filename.replace(".bpmn", "_lane.bpmn"),
                    with_single_lane(content))
        notes.append(f"{filename}: its tasks got no candidate role, so only Actor.system() could complete "
                     "them (HTTP: 403 for every user). Rows marked [lane] use the same model with one lane "
                     "'Registrar' added (deployed as a new version); the registrar completes.")
        if "c" in modes:
            results.append(measure("c", env.db, "c  services [lane], registrar", svc.case_c, n, w,
                                   budget, env.counter))
    if "d" not in modes:
        return
    from server.app import create_app

    app = create_app(ctx=env.ctx, background=False)
    http = HttpDriver(env, model, TestClientTransport(app), env.ctx)
    label_sfx = lane
    try:
        results.append(measure("d", env.db, f"d  HTTP, Flask test client{label_sfx}", http.case_d, n, w,
                               budget, env.counter))
    except (Stuck, NoActor) as exc:
        results.append(Result("d", env.db, "d  HTTP, Flask test client", skipped=str(exc)[:120]))
        return
    if args.no_gunicorn:
        return
    server = Gunicorn(env, workers=1, threads=args.gunicorn_threads)
    try:
        server.wait_ready()
        transport = HttpTransport("127.0.0.1", server.port, timeout=60)
        driver = HttpDriver(env, model, transport, env.ctx)
        try:
            res = measure("d", env.db, f"d  HTTP, gunicorn keep-alive{label_sfx}", driver.case_d, n, w,
                          budget, other_cpu=server.cpu_seconds)
        except (Stuck, NoActor, RuntimeError, OSError) as exc:
            res = Result("d", env.db, "d  HTTP, gunicorn", skipped=f"{type(exc).__name__}: {exc}"[:160])
        res.notes.append(f"{transport.requests} requests on {transport.connects} TCP connection(s); "
                         f"`{server.cmd}` (1 worker, gthread, {args.gunicorn_threads} threads); "
                         "the bench drains the document job itself (REGOFFICE_BACKGROUND=none)")
        results.append(res)
        transport.close()
    finally:
        server.stop()


def profile_c(model: Model, args: argparse.Namespace) -> None:
    cases = args.profile_cases or args.cases
    env = create_env("sqlite", model, args.pg_url, args.sqlite_synchronous)
    try:
        svc = ServiceDriver(env, model)
        for _ in range(args.warmup):
            svc.case_c(CaseRec())
        gc.collect()
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        for _ in range(cases):
            svc.case_c(CaseRec())
        profile.disable()
        wall = time.perf_counter() - t0
        print(f"\nprofile of mode c on SQLite ({model.key}, {cases} cases, {wall * 1000 / cases:.1f} ms/case "
              "with cProfile on)")
        print_profile(profile, cases, args.profile_top, "mode c / SQLite")
    finally:
        close_env(env)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up (gunicorn, scratch databases)", file=sys.stderr)
        sys.exit(130)
