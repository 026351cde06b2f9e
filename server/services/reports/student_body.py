"""Statistical counts of the student body on a date (the 1-НК / 3-НК style): the contingent by
course, form, language, funding basis, citizenship, sex and age, per level and faculty.

**Which data.** On today's date the counts are read from the registry as it stands
(``basis = "registry"``). On an earlier date the registry is taken back to the end of that day
by undoing, newest first, every change the signed orders recorded after it (``student_changes``:
server/services/reports/movement.py; ``basis = "registry_and_changes"``): a student enrolled
later is not counted, one expelled later is, in the faculty and course of that day. Records
loaded by the registry import count as they are [assumed: the import is the starting point]. A
date in the future is refused.

The contingent is the students whose status on the date is ``active`` or ``on_leave`` (those on
academic leave are counted and shown apart). Sex is the registry's (from the ИИН when the
record has none); age is in full years on the date, from the birth date in the ИИН."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import InvalidIIN, iin_birth_date, iin_sex
from server.models import Faculty, Student, StudentChange
from server.services.cases.filters import local_day_start
from server.services.context import AppContext
from server.services.errors import Invalid, tr
from server.services.reports.labels import UNKNOWN, Words, words
from server.services.reports.movement import CONTINGENT
from server.services.reports.public_services import check_reader

FIELDS = ("faculty_code", "level", "year", "form", "language", "funding", "citizenship", "status", "sex")
# The tables of the report, in order: each counts the contingent by one field.
DIMENSIONS = ("year", "form", "language", "funding", "citizenship", "sex", "age", "level", "faculty_code",
              "status")
TITLES: dict[str, Words] = {
    "year": {"ru": "Курс", "kk": "Курс", "en": "Year of study"},
    "form": {"ru": "Форма обучения", "kk": "Оқу нысаны", "en": "Form of study"},
    "language": {"ru": "Язык обучения", "kk": "Оқыту тілі", "en": "Language of instruction"},
    "funding": {"ru": "Основа обучения", "kk": "Оқу негізі", "en": "Funding"},
    "citizenship": {"ru": "Гражданство", "kk": "Азаматтығы", "en": "Citizenship"},
    "sex": {"ru": "Пол", "kk": "Жынысы", "en": "Sex"},
    "age": {"ru": "Возраст (полных лет)", "kk": "Жасы (толық жыл)", "en": "Age (full years)"},
    "level": {"ru": "Уровень образования", "kk": "Білім деңгейі", "en": "Level of education"},
    "faculty_code": {"ru": "Факультет", "kk": "Факультет", "en": "Faculty"},
    "status": {"ru": "Статус", "kk": "Мәртебесі", "en": "Status"},
}
LEVELS: dict[str, Words] = {
    "bachelor": {"ru": "бакалавриат", "kk": "бакалавриат", "en": "bachelor's"},
    "master": {"ru": "магистратура", "kk": "магистратура", "en": "master's"},
    "doctoral": {"ru": "докторантура", "kk": "докторантура", "en": "doctoral"},
}
COLUMNS: dict[str, Words] = {
    "total": {"ru": "Всего", "kk": "Барлығы", "en": "Total"},
    "female": {"ru": "из них женщин", "kk": "оның ішінде әйелдер", "en": "of them women"},
    "grant": {"ru": "по гранту", "kk": "грант бойынша", "en": "on a state grant"},
    "foreign": {"ru": "иностранные граждане", "kk": "шетел азаматтары", "en": "foreign citizens"},
    "on_leave": {"ru": "в академическом отпуске", "kk": "академиялық демалыста", "en": "on academic leave"},
}
# Age groups as the 3-НК form counts them [assumed]: under 18, each year 18..24, 25-29, 30-34, 35+.
AGE_GROUPS = (("lt18", None, 17), *((str(a), a, a) for a in range(18, 25)), ("25-29", 25, 29),
              ("30-34", 30, 34), ("35+", 35, None))


def _age_group(age: int | None) -> str:
    if age is None:
        return ""
    for code, low, high in AGE_GROUPS:
        if (low is None or age >= low) and (high is None or age <= high):
            return code
    return ""


def _age_words(code: str) -> Words:
    if not code:
        return dict(UNKNOWN)
    if code == "lt18":
        return {"ru": "до 18 лет", "kk": "18 жасқа дейін", "en": "under 18"}
    if code.endswith("+"):
        n = code[:-1]
        return {"ru": f"{n} лет и старше", "kk": f"{n} жас және одан жоғары", "en": f"{n} and over"}
    return {"ru": f"{code} лет", "kk": f"{code} жас", "en": code}


def _year_words(code: str) -> Words:
    return {"ru": f"{code} курс", "kk": f"{code} курс", "en": f"year {code}"} if code else dict(UNKNOWN)


def _age(iin: str, on: date) -> int | None:
    try:
        born = iin_birth_date(iin)
    except (InvalidIIN, ValueError):
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _sex(sex: str | None, iin: str) -> str:
    if sex:
        return sex
    try:
        return iin_sex(iin)
    except (InvalidIIN, ValueError):
        return ""


def states_on(ctx: AppContext, session: Session, on: date) -> tuple[dict[int, dict[str, Any]], str]:
    """Every student's record at the end of `on` (local), and which data gave it."""
    stmt = select(Student.id, Student.iin, Faculty.code, Student.level, Student.year, Student.form,
                  Student.language, Student.funding, Student.citizenship, Student.status, Student.sex) \
        .join(Faculty, Faculty.id == Student.faculty_id)
    states = {sid: {"iin": iin, **dict(zip(FIELDS, values, strict=True))}
              for sid, iin, *values in session.execute(stmt)}
    if on >= ctx.local_today():
        return states, "registry"
    end = local_day_start(ctx, on, 1)
    changes = session.execute(select(StudentChange.student_id, StudentChange.action, StudentChange.changes)
                              .where(StudentChange.at >= end)
                              .order_by(StudentChange.at.desc(), StudentChange.id.desc()))
    for student_id, action, diff in changes:
        if action == "created":
            states.pop(student_id, None)
            continue
        state = states.get(student_id)
        for name, values in (diff or {}).items():
            if state is not None and name in state and isinstance(values, dict):
                state[name] = values.get("before")
    return states, "registry_and_changes"


def _names(dimension: str, code: str, faculties: dict[str, Words]) -> Words:
    if dimension == "year":
        return _year_words(code)
    if dimension == "age":
        return _age_words(code)
    if dimension == "level":
        return LEVELS.get(code) or words("level", code)
    if dimension == "faculty_code":
        return faculties.get(code) or words("faculty", code)
    return words(dimension, code)


def _order(dimension: str, code: str) -> tuple[int, str]:
    if dimension == "age":
        return next((i for i, (c, _l, _h) in enumerate(AGE_GROUPS) if c == code), 99), code
    if dimension == "year":
        return (int(code) if code.isdigit() else 99), code
    return 0, code


def student_body(ctx: AppContext, actor: Actor, on: date | None = None) -> dict[str, Any]:
    """The counts on `on` (today when absent): per dimension, rows of {code, name, total,
    female, grant, on_leave}, and courses per faculty."""
    check_reader(actor)
    today = ctx.local_today()
    on = on or today
    if on > today:
        raise Invalid("Численность считается на прошедшую дату или на сегодня",
                      {"on": tr("Дата в будущем: %(date)s", date=on.strftime("%d.%m.%Y"))})
    with ctx.db.read() as session:
        states, basis = states_on(ctx, session, on)
        faculties = {f.code: {"ru": f.name_ru, "kk": f.name_kk or f.name_ru, "en": f.name_en or f.name_ru}
                     for f in session.scalars(select(Faculty))}
    counts: dict[str, dict[str, Counter]] = {d: defaultdict(Counter) for d in DIMENSIONS}
    courses: dict[str, Counter] = defaultdict(Counter)
    total = Counter()
    for state in states.values():
        if state["status"] not in CONTINGENT:
            continue
        sex = _sex(state["sex"], state["iin"])
        values = {**{k: str(state.get(k) or "") for k in DIMENSIONS if k in FIELDS},
                  "sex": sex, "age": _age_group(_age(state["iin"], on))}
        marks = {"total": 1, "female": int(sex == "F"), "grant": int(state["funding"] == "grant"),
                 "on_leave": int(state["status"] == "on_leave"),
                 "foreign": int(state["citizenship"] != "KAZ")}
        total.update(marks)
        for dimension in DIMENSIONS:
            counts[dimension][values[dimension]].update(marks)
        courses[values["faculty_code"]][values["year"]] += 1
    tables = []
    for dimension in DIMENSIONS:
        rows = [{"code": code, "name": _names(dimension, code, faculties),
                 **{k: c[k] for k in COLUMNS}}
                for code, c in sorted(counts[dimension].items(), key=lambda kv: _order(dimension, kv[0]))]
        tables.append({"dimension": dimension, "title": TITLES[dimension], "rows": rows})
    years = sorted({y for c in courses.values() for y in c}, key=lambda y: _order("year", y))
    by_faculty = [{"faculty_code": code, "faculty": faculties.get(code) or dict(UNKNOWN),
                   "years": {y: c.get(y, 0) for y in years}, "total": sum(c.values())}
                  for code, c in sorted(courses.items())]
    return {"kind": "student_body", "on": on.isoformat(), "basis": basis,
            "generated_at": utcnow().isoformat(), "timezone": ctx.settings.timezone,
            "totals": {k: total[k] for k in COLUMNS}, "columns": COLUMNS, "tables": tables,
            "years": years, "year_names": {y: _year_words(y) for y in years}, "by_faculty": by_faculty}
