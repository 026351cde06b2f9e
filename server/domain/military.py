"""Who the university reports to the military office (procedure 14): male citizens of
Kazakhstan of call-up age. Foreign citizens are not in the military register."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.domain.iin import InvalidIIN, iin_birth_date, iin_sex

# [assumed] call-up age of the Law on military service: men from 18 to 27 years inclusive
CONSCRIPTION_AGE = (18, 27)


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def military_liable(person: dict[str, Any], on: date) -> bool:
    """A student dict (registry `student` or an application's `applicant`) is a male citizen
    of Kazakhstan of call-up age on `on`. Sex and birth date come from the ИИН when the record
    gives no sex; a person without a valid ИИН is not reported."""
    if str(person.get("citizenship") or "KAZ").upper() != "KAZ":
        return False
    try:
        born = iin_birth_date(str(person.get("iin") or ""))
        sex = person.get("sex") or iin_sex(str(person.get("iin")))
    except InvalidIIN:
        return False
    low, high = CONSCRIPTION_AGE
    return sex == "M" and low <= age_on(born, on) <= high
