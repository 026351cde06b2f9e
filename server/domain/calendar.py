"""Kazakhstan working-day calendar and the deadline rules of the service catalog.

These definitions are the specification the case deadlines and the monthly public-service report
to the ministry rely on; change them only together with the report.

Working day
    A day is a working day unless it is a Saturday or a Sunday or a public holiday, as given by
    ``holidays.country_holidays("KZ")`` (which includes the observed days a holiday moves to when
    it falls on a weekend, e.g. Nauryz 2026-03-24/25, and the transfers the package knows, such as
    Sunday 2025-01-05 worked for Friday 2025-01-03). On top of that, the government's yearly day
    transfers are read from ``<config>/calendar/<year>.yaml``::

        transfers:
          - {date: 2026-01-03, works_as_weekday: true, note: "..."}   # a weekend day worked
          - {date: 2026-01-05, works_as_weekday: false, note: "..."}  # a weekday off

    An entry in these files overrides everything else for its date, so the office can also correct
    a holiday the package only estimates (Kurban Ait of future years). A file may also list dates
    of the neighbouring years (a decree of year N sometimes moves a day of N-1 or N+1).

``add_working_days(start, n)``
    The n-th working day after ``start``; ``start`` itself is never counted (n = 0 → ``start``;
    negative n counts backwards).

``working_days_between(a, b)``
    The number of working days in the interval (a, b]; negative (−count of (b, a]) if b < a.
    "Days overdue" in the report is ``working_days_between(deadline_day, completion_day)``.

Deadline of a case (``deadline`` / ``deadline_date``), from the day of receipt in local time:
    * kind ``"working"``, channel ``"direct"`` or ``"egov"``: the day of receipt is day 1 if it is
      a working day, so the deadline is the n-th working day counting it; 0 and 1 both mean the
      same working day. Received on a non-working day: day 1 is the next working day.
    * kind ``"working"``, channel ``"state_corporation"``: the day of receipt never counts
      (the State Corporation rule); day 1 is the first working day after it. n = 0 is treated as 1.
    * kind ``"calendar"``: receipt date + n calendar days (+ 1 more day for the State Corporation,
      whose day of receipt does not count); if that day is not a working day, the deadline moves
      forward to the next working day.
    The deadline is the end of that day, 23:59:59.999999 local time, returned as an aware UTC
    datetime. A case completed at any moment up to and including it is on time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

import holidays
import yaml

__all__ = [
    "CHANNELS",
    "DEADLINE_KINDS",
    "CalendarConfigError",
    "DeadlineKind",
    "Transfer",
    "WorkCalendar",
    "default_calendar",
    "default_config_dir",
    "load_transfers",
]

log = logging.getLogger(__name__)

DeadlineKind = Literal["working", "calendar"]
CHANNELS: tuple[str, ...] = ("direct", "egov", "state_corporation")
DEADLINE_KINDS: tuple[str, ...] = ("working", "calendar")
STATE_CORPORATION = "state_corporation"
CONFIG_DIR_ENV = "REGOFFICE_CONFIG_DIR"
_END_OF_DAY = time(23, 59, 59, 999999)
_TRANSFER_KEYS = frozenset({"date", "works_as_weekday", "note"})


class CalendarConfigError(ValueError):
    """A calendar data file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Transfer:
    """One government day transfer: `day` is worked (True) or is a day off (False)."""

    day: date
    works_as_weekday: bool
    note: str = ""


def default_config_dir() -> Path:
    """The ``config/`` folder at the repository root, or ``$REGOFFICE_CONFIG_DIR`` if set."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[2] / "config"


def default_calendar() -> WorkCalendar:
    """The shared calendar for the configured config folder (one instance per folder)."""
    return _calendar_for(default_config_dir())


@lru_cache(maxsize=8)
def _calendar_for(config_dir: Path) -> WorkCalendar:
    return WorkCalendar(config_dir)


def _parse_transfer(entry: object, where: str) -> Transfer:
    if not isinstance(entry, Mapping):
        raise CalendarConfigError(f"{where}: each transfer must be a mapping, got {entry!r}")
    unknown = set(entry) - _TRANSFER_KEYS
    if unknown:
        raise CalendarConfigError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    raw_day = entry.get("date")
    if isinstance(raw_day, str):
        try:
            raw_day = date.fromisoformat(raw_day)
        except ValueError:
            raise CalendarConfigError(f"{where}: 'date' is not YYYY-MM-DD: {raw_day!r}") from None
    if not isinstance(raw_day, date) or isinstance(raw_day, datetime):
        raise CalendarConfigError(f"{where}: 'date' must be a date (YYYY-MM-DD), got {raw_day!r}")
    works = entry.get("works_as_weekday")
    if not isinstance(works, bool):
        raise CalendarConfigError(f"{where}: 'works_as_weekday' must be true or false")
    note = entry.get("note") or ""
    if not isinstance(note, str):
        raise CalendarConfigError(f"{where}: 'note' must be text")
    return Transfer(raw_day, works, note)


def load_transfers(path: Path) -> list[Transfer]:
    """Parse one ``<year>.yaml`` file (a missing file means no transfers)."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CalendarConfigError(f"{path}: invalid YAML: {exc}") from exc
    except ValueError as exc:  # PyYAML builds dates itself: 2026-02-31 fails here
        raise CalendarConfigError(f"{path}: invalid date (YYYY-MM-DD expected): {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, Mapping) or set(data) - {"transfers"}:
        raise CalendarConfigError(f"{path}: expected a mapping with a single key 'transfers'")
    entries = data.get("transfers") or []
    if not isinstance(entries, list):
        raise CalendarConfigError(f"{path}: 'transfers' must be a list")
    return [_parse_transfer(e, f"{path}: transfers[{i}]") for i, e in enumerate(entries)]


@dataclass(frozen=True)
class _Year:
    """What is needed to classify any day of one year."""

    holidays: frozenset[date]
    package_workdays: frozenset[date]
    transfers: Mapping[date, bool]


class WorkCalendar:
    """Working days on the Kazakhstan calendar; see the module docstring for the definitions.

    `config_dir` is the configuration root: transfers are read from ``config_dir/calendar``.
    Each year is computed once and cached (thread-safe); build a new instance to reload files.
    """

    def __init__(self, config_dir: Path | str) -> None:
        self.config_dir = Path(config_dir)
        self.calendar_dir = self.config_dir / "calendar"
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    # -- classification -----------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._years.get(year)
            if cached is None:
                cached = self._build_year(year)
                self._years[year] = cached
            return cached

    def _build_year(self, year: int) -> _Year:
        # Neighbouring years too: a substitution listed under year N+1 may move a day of year N
        # (e.g. the package records Saturday 2013-12-28 worked under 2014).
        kz = holidays.country_holidays("KZ", years=(year - 1, year, year + 1))
        workdays: Iterable[date] = getattr(kz, "weekend_workdays", ())
        if not (self.calendar_dir / f"{year}.yaml").exists():
            log.warning(
                "no calendar transfers file %s: only public holidays are applied for %s; "
                "fill it in from the government decree",
                self.calendar_dir / f"{year}.yaml",
                year,
            )
        transfers: dict[date, bool] = {}
        for file_year in (year - 1, year, year + 1):
            path = self.calendar_dir / f"{file_year}.yaml"
            for t in load_transfers(path):
                if t.day.year != year:
                    continue
                if transfers.get(t.day, t.works_as_weekday) != t.works_as_weekday:
                    raise CalendarConfigError(f"{path}: contradictory transfers for {t.day}")
                transfers[t.day] = t.works_as_weekday
        return _Year(
            holidays=frozenset(d for d in kz if d.year == year),
            package_workdays=frozenset(d for d in workdays if d.year == year),
            transfers=transfers,
        )

    def is_working_day(self, d: date) -> bool:
        """True unless `d` is a weekend day, a public holiday or a transferred day off."""
        info = self._year(d.year)
        if d in info.transfers:
            return info.transfers[d]
        if d in info.holidays:
            return False
        if d in info.package_workdays:
            return True
        return d.weekday() < 5

    def next_working_day(self, d: date, include_self: bool = False) -> date:
        """The first working day after `d` (or `d` itself if `include_self` and it works)."""
        if include_self and self.is_working_day(d):
            return d
        return self.add_working_days(d, 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start not counted; negative n goes back)."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        current = start
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative count of (b, a] when b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        current = a
        while current < b:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    # -- deadlines ------------------------------------------------------------------------

    def deadline_date(self, received_on: date, days: int, kind: str, channel: str) -> date:
        """The last allowed day for a case received on `received_on` (local date)."""
        _check_args(days, kind, channel)
        state_corp = channel == STATE_CORPORATION
        if kind == "calendar":
            last = received_on + timedelta(days=days + (1 if state_corp else 0))
            return self.next_working_day(last, include_self=True)
        n = max(days, 1)
        if state_corp or not self.is_working_day(received_on):
            return self.add_working_days(received_on, n)
        return self.add_working_days(received_on, n - 1)

    def deadline(
        self, received_at: datetime, days: int, kind: str, channel: str, tz: tzinfo
    ) -> datetime:
        """End of the last allowed day (23:59:59.999999 in `tz`) as an aware UTC datetime.

        `received_at` must be timezone-aware; the day of receipt is its date in `tz`.
        """
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be a timezone-aware datetime")
        local_day = received_at.astimezone(tz).date()
        last = self.deadline_date(local_day, days, kind, channel)
        return datetime.combine(last, _END_OF_DAY, tzinfo=tz).astimezone(UTC)


def _check_args(days: int, kind: str, channel: str) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a non-negative integer, got {days!r}")
    if kind not in DEADLINE_KINDS:
        raise ValueError(f"deadline kind must be one of {DEADLINE_KINDS}, got {kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
