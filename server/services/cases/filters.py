"""Query filters shared by the case search, the inbox and the registers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func

from server.services.context import AppContext
from server.services.errors import Invalid, tr

IIN_LENGTH = 12


def name_or_iin(name_col: Any, iin_col: Any, text: str) -> ColumnElement[bool]:
    """Digits search the ИИН by prefix; anything else the name, any case. A whole ИИН is
    compared for equality: the same rows (the column holds 12 characters), and a plain B-tree
    index answers it under any collation (LIKE 'x%' needs the C collation for that).
    `%` and `_` typed in the search are themselves (escaped), not LIKE's wildcards."""
    text = text.strip()
    if text.isdigit():
        return iin_col == text if len(text) == IIN_LENGTH else iin_col.startswith(text)
    return func.lower(name_col).contains(text.lower(), autoescape=True)


FIRST_YEAR, LAST_YEAR = 1900, 2999  # a date outside is a typo, refused before it overflows


def local_day_start(ctx: AppContext, day: date, plus_days: int = 0) -> datetime:
    """Midnight of a local calendar day (the office's time zone), as an aware datetime."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid("Дата %(date)s вне допустимого периода (%(first)s–%(last)s гг.)",
                      {"date": tr("Проверьте год")}, date=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR)
    return datetime.combine(day + timedelta(days=plus_days), time(0), tzinfo=ctx.tz)


def within_days(column: Any, ctx: AppContext, first: date | None,
                last: date | None) -> list[ColumnElement[bool]]:
    """`column` falls on local days first..last (both inclusive, either may be open)."""
    clauses = []
    if first:
        clauses.append(column >= local_day_start(ctx, first))
    if last:
        clauses.append(column < local_day_start(ctx, last, 1))
    return clauses
