"""Kazakhstan working-day calendar and case deadlines (the spec in server/domain/calendar.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.domain.calendar import (
    CalendarConfigError,
    WorkCalendar,
    default_calendar,
    default_config_dir,
)

ALMATY = ZoneInfo("Asia/Almaty")
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def cal(tmp_path: Path) -> WorkCalendar:
    """A calendar with public holidays only (no transfer files)."""
    return WorkCalendar(tmp_path)


def write_transfers(config_dir: Path, year: int, body: str) -> None:
    (config_dir / "calendar").mkdir(parents=True, exist_ok=True)
    (config_dir / "calendar" / f"{year}.yaml").write_text(body, encoding="utf-8")


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ALMATY)


def end_of_day_utc(d: date) -> datetime:
    """23:59:59.999999 in Almaty (UTC+5) expressed in UTC."""
    return datetime(d.year, d.month, d.day, 18, 59, 59, 999999, tzinfo=UTC)


# -- working days -----------------------------------------------------------------------------


def test_almaty_is_utc_plus_five() -> None:
    # Kazakhstan has a single zone, UTC+5, since 1 March 2024; the tests below rely on it.
    assert local(2026, 3, 20).utcoffset() == timedelta(hours=5)


def test_nauryz_2026_with_observed_days(cal: WorkCalendar) -> None:
    # `holidays` gives 21 (Sat), 22 (Sun), 23 (Mon) March and, observed, 24 (Tue) and 25 (Wed).
    assert cal.is_working_day(date(2026, 3, 20))
    for day in range(21, 26):
        assert not cal.is_working_day(date(2026, 3, day)), day
    assert cal.is_working_day(date(2026, 3, 26))
    assert cal.add_working_days(date(2026, 3, 20), 1) == date(2026, 3, 26)
    assert cal.add_working_days(date(2026, 3, 26), -1) == date(2026, 3, 20)
    assert cal.working_days_between(date(2026, 3, 20), date(2026, 3, 27)) == 2
    assert cal.working_days_between(date(2026, 3, 27), date(2026, 3, 20)) == -2


def test_other_2026_observed_days(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2026, 3, 9))  # Women's Day on Sunday -> Monday
    assert not cal.is_working_day(date(2026, 5, 11))  # Victory Day on Saturday -> Monday
    assert not cal.is_working_day(date(2026, 1, 7))  # Orthodox Christmas
    assert cal.is_working_day(date(2026, 1, 5))


def test_weekend_and_plain_counting(cal: WorkCalendar) -> None:
    fri, sat, sun, mon = (date(2026, 2, d) for d in (6, 7, 8, 9))
    assert cal.is_working_day(fri)
    assert not cal.is_working_day(sat)
    assert not cal.is_working_day(sun)
    assert cal.add_working_days(fri, 0) == fri
    assert cal.add_working_days(fri, 1) == mon
    assert cal.add_working_days(sat, 1) == mon
    assert cal.add_working_days(fri, 5) == date(2026, 2, 13)
    assert cal.working_days_between(fri, mon) == 1
    assert cal.working_days_between(fri, fri) == 0
    assert cal.working_days_between(date(2026, 2, 1), date(2026, 2, 28)) == 20


# -- deadlines -------------------------------------------------------------------------------


def test_state_corporation_friday_one_day_is_monday(cal: WorkCalendar) -> None:
    due = cal.deadline(local(2026, 2, 6), 1, "working", "state_corporation", ALMATY)
    assert due == end_of_day_utc(date(2026, 2, 9))
    assert due.tzinfo is UTC
    assert due.astimezone(ALMATY).isoformat() == "2026-02-09T23:59:59.999999+05:00"


def test_direct_and_egov_count_the_day_of_receipt(cal: WorkCalendar) -> None:
    for channel in ("direct", "egov"):
        for days in (0, 1):
            due = cal.deadline(local(2026, 2, 6), days, "working", channel, ALMATY)
            assert due == end_of_day_utc(date(2026, 2, 6)), (channel, days)
        due = cal.deadline(local(2026, 2, 6), 2, "working", channel, ALMATY)
        assert due == end_of_day_utc(date(2026, 2, 9))


def test_receipt_on_a_non_working_day_starts_next_working_day(cal: WorkCalendar) -> None:
    sat = local(2026, 2, 7)
    assert cal.deadline(sat, 1, "working", "direct", ALMATY) == end_of_day_utc(date(2026, 2, 9))
    assert cal.deadline(sat, 2, "working", "direct", ALMATY) == end_of_day_utc(date(2026, 2, 10))
    assert cal.deadline(sat, 1, "working", "state_corporation", ALMATY) == end_of_day_utc(
        date(2026, 2, 9)
    )


def test_day_of_receipt_is_the_local_date(cal: WorkCalendar) -> None:
    # 20:30 UTC on Friday is 01:30 on Saturday in Almaty: received on a non-working day.
    received = datetime(2026, 2, 6, 20, 30, tzinfo=UTC)
    assert cal.deadline(received, 1, "working", "direct", ALMATY) == end_of_day_utc(
        date(2026, 2, 9)
    )
    # 18:59 UTC on Friday is still Friday in Almaty.
    received = datetime(2026, 2, 6, 18, 59, tzinfo=UTC)
    assert cal.deadline(received, 1, "working", "direct", ALMATY) == end_of_day_utc(
        date(2026, 2, 6)
    )


def test_working_deadline_across_nauryz(cal: WorkCalendar) -> None:
    thu = local(2026, 3, 19)
    # direct: day 1 = 19 Mar, day 2 = 20 Mar, day 3 = 26 Mar (21-25 are off)
    assert cal.deadline(thu, 3, "working", "direct", ALMATY) == end_of_day_utc(date(2026, 3, 26))
    # State Corporation: day 1 = 20 Mar, day 2 = 26 Mar, day 3 = 27 Mar
    assert cal.deadline(thu, 3, "working", "state_corporation", ALMATY) == end_of_day_utc(
        date(2026, 3, 27)
    )
    assert cal.deadline(local(2026, 3, 20), 1, "working", "state_corporation", ALMATY) == (
        end_of_day_utc(date(2026, 3, 26))
    )


def test_duplicate_fifteen_working_days(cal: WorkCalendar) -> None:
    # Received Mon 16 Mar 2026: 16-20 (5), 26-27 (7), 30 Mar-3 Apr (12), 6-8 Apr (15).
    due = cal.deadline(local(2026, 3, 16), 15, "working", "egov", ALMATY)
    assert due == end_of_day_utc(date(2026, 4, 8))


def test_calendar_kind(cal: WorkCalendar) -> None:
    mon = local(2026, 2, 2)
    assert cal.deadline(mon, 3, "calendar", "direct", ALMATY) == end_of_day_utc(date(2026, 2, 5))
    # State Corporation: one more day
    assert cal.deadline(mon, 3, "calendar", "state_corporation", ALMATY) == end_of_day_utc(
        date(2026, 2, 6)
    )
    # lands on Saturday -> moved to Monday
    assert cal.deadline(mon, 5, "calendar", "direct", ALMATY) == end_of_day_utc(date(2026, 2, 9))
    assert cal.deadline(mon, 5, "calendar", "state_corporation", ALMATY) == end_of_day_utc(
        date(2026, 2, 9)
    )
    # lands on Nauryz -> moved to 26 March
    assert cal.deadline(local(2026, 3, 19), 3, "calendar", "direct", ALMATY) == end_of_day_utc(
        date(2026, 3, 26)
    )
    assert cal.deadline(local(2026, 2, 7), 0, "calendar", "direct", ALMATY) == end_of_day_utc(
        date(2026, 2, 9)
    )


def test_deadline_rejects_bad_arguments(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.deadline(datetime(2026, 2, 6, 10), 1, "working", "direct", ALMATY)
    with pytest.raises(ValueError, match="channel"):
        cal.deadline(local(2026, 2, 6), 1, "working", "post", ALMATY)
    with pytest.raises(ValueError, match="kind"):
        cal.deadline(local(2026, 2, 6), 1, "business", "direct", ALMATY)
    with pytest.raises(ValueError, match="non-negative"):
        cal.deadline(local(2026, 2, 6), -1, "working", "direct", ALMATY)


# -- government transfers ---------------------------------------------------------------------


def test_transfer_working_saturday_and_weekday_off(tmp_path: Path) -> None:
    write_transfers(
        tmp_path,
        2026,
        """
transfers:
  - {date: 2026-02-07, works_as_weekday: true, note: "рабочая суббота"}
  - date: "2026-02-09"
    works_as_weekday: false
    note: "перенесённый выходной"
""",
    )
    cal = WorkCalendar(tmp_path)
    assert cal.is_working_day(date(2026, 2, 7))
    assert not cal.is_working_day(date(2026, 2, 9))
    assert not cal.is_working_day(date(2026, 2, 8))
    assert cal.add_working_days(date(2026, 2, 6), 2) == date(2026, 2, 10)
    assert cal.deadline(local(2026, 2, 6), 1, "working", "state_corporation", ALMATY) == (
        end_of_day_utc(date(2026, 2, 7))
    )
    assert cal.deadline(local(2026, 2, 7), 1, "working", "direct", ALMATY) == end_of_day_utc(
        date(2026, 2, 7)
    )
    assert cal.working_days_between(date(2026, 2, 6), date(2026, 2, 10)) == 2


def test_transfer_may_override_a_holiday_and_sit_in_neighbouring_file(tmp_path: Path) -> None:
    # e.g. the office corrects an estimated Kurban Ait, and a 2026 decree moves a 2027 day.
    write_transfers(tmp_path, 2026, "transfers:\n  - {date: 2026-05-27, works_as_weekday: true}\n")
    write_transfers(tmp_path, 2025, "transfers:\n  - {date: 2026-01-03, works_as_weekday: true}\n")
    cal = WorkCalendar(tmp_path)
    assert cal.is_working_day(date(2026, 5, 27))
    assert cal.is_working_day(date(2026, 1, 3))


def test_repository_calendar_2025_transfer() -> None:
    cal = WorkCalendar(REPO_CONFIG)
    assert not cal.is_working_day(date(2025, 1, 3))  # Friday off
    assert cal.is_working_day(date(2025, 1, 5))  # Sunday worked
    assert cal.add_working_days(date(2025, 1, 2), 1) == date(2025, 1, 5)
    for year in (2025, 2026, 2027):
        assert (REPO_CONFIG / "calendar" / f"{year}.yaml").exists()
        cal.is_working_day(date(year, 6, 1))  # the shipped files parse


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("transfers:\n  - {date: 2026-02-07}\n", "works_as_weekday"),
        ("transfers:\n  - {date: 2026-02-31, works_as_weekday: true}\n", "YYYY-MM-DD"),
        ("transfers:\n  - {date: 2026-02-07, works_as_weekday: yes please}\n", "works_as_weekday"),
        ("transfers:\n  - {date: 2026-02-07, works_as_weekday: true, when: x}\n", "unknown keys"),
        ("holidays: []\n", "transfers"),
        ("transfers: {a: 1}\n", "list"),
        ("transfers: [\n", "invalid YAML"),
        (
            "transfers:\n  - {date: 2026-02-07, works_as_weekday: true}\n"
            "  - {date: 2026-02-07, works_as_weekday: false}\n",
            "contradictory",
        ),
    ],
)
def test_malformed_transfer_file(tmp_path: Path, body: str, message: str) -> None:
    write_transfers(tmp_path, 2026, body)
    with pytest.raises(CalendarConfigError, match=message) as info:
        WorkCalendar(tmp_path).is_working_day(date(2026, 2, 7))
    assert "2026.yaml" in str(info.value)


def test_default_calendar_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGOFFICE_CONFIG_DIR", raising=False)
    assert default_config_dir() == REPO_CONFIG
    assert default_calendar() is default_calendar()
    assert default_calendar().is_working_day(date(2025, 1, 5))

    write_transfers(tmp_path, 2026, "transfers:\n  - {date: 2026-02-07, works_as_weekday: true}\n")
    monkeypatch.setenv("REGOFFICE_CONFIG_DIR", str(tmp_path))
    assert default_config_dir() == tmp_path.resolve()
    assert default_calendar().is_working_day(date(2026, 2, 7))


def test_package_substitutions_apply_without_data_files(cal: WorkCalendar) -> None:
    # The `holidays` package records some decrees itself, including a day worked in the year
    # before the decree's year (Saturday 28 Dec 2013 for Friday 3 Jan 2014).
    assert not cal.is_working_day(date(2025, 1, 3))
    assert cal.is_working_day(date(2025, 1, 5))
    assert cal.is_working_day(date(2013, 12, 28))
    assert not cal.is_working_day(date(2014, 1, 3))
