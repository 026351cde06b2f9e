"""The application context every use case runs in: settings, database, engine wiring."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session

from server.auth import Actor
from server.config import Settings
from server.db import Database, utcnow
from server.domain.catalog import Catalog, load_catalog
from server.engine import Instance, ScriptFunctions, ScriptLimits, ServiceCall
from server.models import Case, OutboxJob
from server.services.procedures.rules import procedure_functions
from server.services.tasks.forms import FormRegistry

if TYPE_CHECKING:
    from server.domain.calendar import WorkCalendar


@dataclass(frozen=True)
class StepCall:
    """A service task the engine reached in a step, with the step's transaction around it."""

    ctx: AppContext
    session: Session
    case: Case
    call: ServiceCall
    actor: Actor
    instance: Instance

    @property
    def key(self) -> str:
        """The idempotency key of what this call writes (jobs, escalations)."""
        return f"svc:{self.case.id}:{self.call.task_id}"


@dataclass(frozen=True)
class ParamCheck:
    """What a parameter check sees at deploy: the parameters as written in the model
    (expressions, so strings are quoted) and the procedure codes of the service catalog."""

    params: dict[str, str | None]
    known_processes: frozenset[str] = frozenset()
    templates_dir: Path | None = None


JobHandler = Callable[["AppContext", Session, OutboxJob], None]
# Called in the step's transaction when a case ends (completed, or closed by a person), with
# the case's final data: a batch order's case releases the cases it collected.
CaseClosedHook = Callable[["AppContext", Session, Case, dict[str, Any]], None]


@dataclass(frozen=True)
class Operator:
    """A service-task operator (`spiffworkflow:serviceTaskOperator`).

    mode "step": `handle` runs inside the step's transaction and the task completes at once;
    "background": the step writes a job of the operator's name (outbox) and the task waits
    until `run_job` finishes it; "wait": the task waits until a use case releases it
    (`handle` records what it waits for). `check` returns the problems of the parameters as
    written in the model: deploy and `regoffice check` refuse a model that has any."""

    name: str
    mode: str
    summary: str
    handle: Callable[[StepCall], None] | None = None
    run_job: JobHandler | None = None
    check: Callable[[ParamCheck], list[str]] | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("step", "background", "wait"):
            raise ValueError(f"operator {self.name}: unknown mode {self.mode!r}")
        if self.mode == "background" and self.run_job is None:
            raise ValueError(f"operator {self.name}: a background operator needs run_job")
        if self.mode != "background" and self.handle is None:
            raise ValueError(f"operator {self.name}: needs handle")


@dataclass(frozen=True)
class JobKind:
    """A background job that no model names directly (notifications, the next escalation
    level, the diagnostics probe, the PDF of an issued document): its kind and what runs it.

    `prepare`, where given, does the slow part before the job's transaction, holding no lock
    (on SQLite a transaction that writes holds the database's write lock from its start): it
    gets the job's payload and returns what `run` then finds in ``session.info["prepared"]``.

    `long`: the job may run for minutes (a whole university's record import). Under Celery it
    goes to its own task with the long time limits (REGOFFICE_LONG_JOB_TIME_LIMIT) and the
    sweeper counts it lost only after them; the in-process dispatcher runs it on a thread of
    its own, so the short jobs (notifications, documents) never wait behind it."""

    kind: str
    run: JobHandler
    prepare: Callable[[AppContext, dict[str, Any]], Any] | None = None
    long: bool = False


class OperatorRegistry:
    """The operators models may name and the job kinds the background runner knows, each
    declared once (server/services/operators/). The step (steps.py) and the background
    runner (background.py) dispatch through it."""

    def __init__(self, operators: tuple[Operator, ...] = (), jobs: tuple[JobKind, ...] = (),
                 on_case_closed: tuple[CaseClosedHook, ...] = ()) -> None:
        self.operators = {op.name: op for op in operators}
        self.on_case_closed = on_case_closed
        self.jobs: dict[str, JobHandler] = {}
        self.prepares = {job.kind: job.prepare for job in jobs if job.prepare is not None}
        self.long_kinds = frozenset(job.kind for job in jobs if job.long)
        for op in operators:
            if op.run_job is not None:
                self.jobs[op.name] = op.run_job
        for job in jobs:
            if job.kind in self.jobs:
                raise ValueError(f"job kind {job.kind} declared twice")
            self.jobs[job.kind] = job.run
        if len(self.operators) != len(operators):
            raise ValueError("an operator is declared twice")
        # What the engine leaves waiting (its service task STARTED until released).
        self.async_names = frozenset(op.name for op in operators if op.mode != "step")

    def get(self, name: str) -> Operator | None:
        return self.operators.get(name)

    def job(self, kind: str) -> JobHandler | None:
        return self.jobs.get(kind)

    def prepare(self, kind: str) -> Callable[[AppContext, dict[str, Any]], Any] | None:
        return self.prepares.get(kind)

    def is_long(self, kind: str) -> bool:
        return kind in self.long_kinds

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.operators)


@dataclass
class AppContext:
    """Settings, the database and the engine's wiring. Built by `server.bootstrap.build_context`
    (which loads the operators); a context built here alone knows no operator."""

    settings: Settings
    db: Database
    operators: OperatorRegistry = field(default_factory=OperatorRegistry)

    @property
    def async_operators(self) -> frozenset[str]:
        return self.operators.async_names

    def new_instance(self, bundle: Any, data: dict[str, Any]) -> Instance:
        """Start a workflow of `bundle` with the server's functions and operators."""
        return Instance.start(bundle, data, self.script_functions, self.async_operators)

    def restore_instance(self, bundle: Any, state: Any) -> Instance:
        """A case's workflow, restored from its stored state."""
        return Instance.restore(bundle, state, self.script_functions, self.async_operators)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def local_today(self) -> date:
        """Today's date in the university's time zone."""
        return utcnow().astimezone(self.tz).date()

    @cached_property
    def lanes(self) -> dict[str, str]:
        path = self.settings.config_dir / "lanes.yaml"
        if not path.exists():
            return {}
        return dict((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("lanes") or {})

    @cached_property
    def calendar(self) -> WorkCalendar:
        # Imported here: the holidays package takes ~0.1 s to import, and many commands
        # (`regoffice check`, reads) never compute a deadline.
        from server.domain.calendar import WorkCalendar

        return WorkCalendar(self.settings.config_dir)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.config_dir / "catalog.yaml")

    @cached_property
    def forms(self) -> FormRegistry:
        """One form registry per application: schemas are parsed and checked once."""
        return FormRegistry(self.settings.forms_dir)

    @cached_property
    def script_functions(self) -> ScriptFunctions:
        s = self.settings
        limits = ScriptLimits(max_steps=s.script_max_steps, max_seconds=s.script_max_seconds,
                              max_items=s.script_max_items, max_int_bits=s.script_max_int_bits,
                              max_state_bytes=s.script_max_state_bytes, max_engine_tasks=s.step_max_tasks)
        # The engine hands these to scripts sealed: no attribute chain leads back to `self`.
        return ScriptFunctions({"working_days": self._working_days_duration,
                                "working_days_before": self._working_days_before_duration,
                                "working_days_after": self._working_days_after_duration,
                                "step_deadline": self._step_deadline_duration,
                                "step_days": self.step_days,
                                **procedure_functions(s.config_dir, lambda: self.calendar)},
                               limits)

    def step_days(self, service_code: str, step: str) -> int:
        """Working days a step may take, from the service catalog (config/catalog.yaml,
        step_deadlines): the office changes a deadline there, not in the model."""
        days = self.catalog.service(str(service_code)).step_deadlines.get(str(step))
        if days is None:
            raise KeyError(f"config/catalog.yaml: у услуги {service_code} нет срока шага {step} "
                           "(step_deadlines)")
        return int(days)

    def _step_deadline_duration(self, service_code: str, step: str) -> str:
        """ISO-8601 duration to the end of the step's last working day (step_days)."""
        return self._working_days_duration(self.step_days(service_code, step))

    def _working_days_duration(self, days: int) -> str:
        """ISO-8601 duration from now to the end of the n-th working day (local time)."""
        return self._end_of_working_day(utcnow().astimezone(self.tz).date(), int(days))

    def end_of_working_day(self, start: date, days: int) -> datetime:
        """The end (local midnight) of the n-th working day after `start`."""
        last_day = self.calendar.add_working_days(start, days)
        return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=self.tz)

    def _end_of_working_day(self, start: Any, days: int) -> str:
        """ISO-8601 duration from now to the end (local midnight) of the n-th working day after
        `start`; at least one second, so a moment already past fires at the next sweep."""
        end = self.end_of_working_day(start, days)
        seconds = max(1, math.ceil((end - utcnow()).total_seconds()))
        return f"PT{seconds}S"

    def _working_days_before_duration(self, day: str, days: int = 0) -> str:
        """ISO-8601 duration from now to 09:00 (local) of the n-th working day before `day`
        (a date "YYYY-MM-DD"): reminders before a leave ends, a registration expires…
        A moment already past gives one second: the timer fires at the next sweep."""

        target = date.fromisoformat(str(day)[:10])
        if int(days) > 0:
            target = self.calendar.add_working_days(target, -int(days))
        moment = datetime.combine(target, time(9), tzinfo=self.tz)
        seconds = max(1, math.ceil((moment - utcnow()).total_seconds()))
        return f"PT{seconds}S"

    def _working_days_after_duration(self, day: str, days: int) -> str:
        """ISO-8601 duration from now to the end of the n-th working day after `day` (a date
        "YYYY-MM-DD"): a deadline counted from an event's date rather than from today, e.g. the
        personal file sent within 3 working days of the receiving university's order."""
        from datetime import date

        return self._end_of_working_day(date.fromisoformat(str(day)[:10]), int(days))

    @property
    def on_jobs(self) -> list[Callable[[], None]]:
        return self.db.after_jobs

    def forms_dir(self) -> Path:
        return self.settings.forms_dir

    def role_for_lane(self, lane: str | None) -> str | None:
        if not lane:
            return None
        return self.lanes.get(lane, lane)

    def now(self) -> datetime:
        return datetime.now(UTC)
