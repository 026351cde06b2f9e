"""The application context every use case runs in: settings, database, engine wiring."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from server.config import Settings
from server.db import Database, utcnow
from server.engine import ScriptFunctions, ScriptLimits

# Operators a model's service tasks may name; the async ones wait for a background job.
# case/start opens a case of another procedure (params: process_id, a literal; data) in the
# same transaction: checked at deploy by server/services/deployments.py.
# student/update and student/enrol change the student registry as a signed order says
# (server/services/registry.py; parameters checked by server/domain/registry.py).
SYNC_OPERATORS = frozenset({"case/escalate", "notify/send", "case/set_status", "case/start",
                            "student/update", "student/enrol"})
ASYNC_OPERATORS = frozenset({"document/render", "order/await_batch"})
# Async operators with no background job: the task waits until a use case releases it.
# order/await_batch: the case waits to be collected into a batch order (server/services/batch_orders.py).
WAITING_OPERATORS = frozenset({"order/await_batch"})
RESERVED_DATA_KEYS = frozenset({"student", "service_code", "channel", "case_id", "received_at",
                                "deadline_at", "working_days", "working_days_before",
                                "working_days_after", "add_working_days", "migration_rules",
                                "rank_applicants", "step_deadline", "step_days"})


@dataclass
class AppContext:
    settings: Settings
    db: Database

    @classmethod
    def create(cls, settings: Settings, **engine_kwargs: Any) -> AppContext:
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings, Database(settings.database_url, **engine_kwargs))

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
    def calendar(self) -> Any:
        from server.domain.calendar import WorkCalendar

        return WorkCalendar(self.settings.config_dir)

    @cached_property
    def catalog(self) -> Any:
        from server.domain.catalog import load_catalog

        return load_catalog(self.settings.config_dir / "catalog.yaml")

    @cached_property
    def forms(self) -> Any:
        """One form registry per application: schemas are parsed and checked once."""
        from server.services.forms import FormRegistry

        return FormRegistry(self.settings.forms_dir)

    @cached_property
    def script_functions(self) -> ScriptFunctions:
        from server.services.rules import procedure_functions

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
                                **procedure_functions(self)}, limits)

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
