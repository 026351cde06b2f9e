"""What a signed order may change in the student registry: the statuses a student can have,
the fields an order changes, and the checks of the `student/update` and `student/enrol`
service operators' parameters.

The same checks run twice: at deploy on the parameters written as literals in the model
(`literal_problems`), and at run time on the evaluated values (`parse_update`, `parse_enrol`),
because a parameter may be an expression over the case data (e.g. `new_programme_code`).
Pure functions: no database, no HTTP."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.domain import labels
from server.domain.iin import InvalidIIN, validate_iin

# The registry's statuses: the codes and their words come from the one vocabulary
# (server/domain/labels.py, kind `student_status`); code -> (Russian, Kazakh).
STUDENT_STATUSES: dict[str, tuple[str, str]] = {
    code: (ru, kk) for code, (ru, kk, _en) in labels.STUDENT_STATUS.items()}
DEFAULT_STATUS = "active"

# Fields of the study record an order changes (faculty by its code).
STUDY_FIELDS = ("faculty_code", "programme_code", "programme_name", "level", "year", "group",
                "form", "language", "funding")
# ... and, when a person is enrolled (created or re-enrolled), who the person is.
PERSON_FIELDS = ("last_name", "first_name", "middle_name", "latin_name", "citizenship")
# Needed to create a record for someone the registry does not know yet.
ENROL_REQUIRED = ("iin", "last_name", "first_name", "faculty_code", "programme_code", "programme_name",
                  "year")
# The registry's vocabularies: the import (server/services/students/imports.py), the orders and every
# form that asks for one of these fields use these codes (tests/unit/test_vocabularies.py), and
# the documents print them (server/documents/contexts/).
CHOICES: dict[str, tuple[str, ...]] = {
    "level": ("bachelor", "master", "doctoral"),
    "form": ("full_time", "part_time", "distance", "evening"),
    "language": ("ru", "kk", "en"),
    "funding": ("grant", "paid"),
}
MAX_YEAR = 7
# Column sizes of server/models/student.py: a longer value would fail at the database.
MAX_LENGTH = {"faculty_code": 32, "programme_code": 32, "programme_name": 300, "level": 16, "group": 32,
              "form": 16, "language": 8, "funding": 16, "last_name": 100, "first_name": 100,
              "middle_name": 100, "latin_name": 200, "citizenship": 3}

UPDATE = "student/update"
ENROL = "student/enrol"
OPERATORS = frozenset({UPDATE, ENROL})
_PARAMS = {UPDATE: frozenset({"status", "changes", "students", "order_number"}),
           ENROL: frozenset({"status", "student", "students", "order_number"})}


class RegistryParamError(ValueError):
    """A parameter of a registry operator is not what the operator can apply (Russian text)."""


@dataclass(frozen=True)
class UpdateSpec:
    """`student/update`: `status` and `changes` for every student concerned; `rows` (ИИН ->
    changes of that student) for a batch order, None for the case's own student."""

    status: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] | None = None
    order_number: str | None = None


@dataclass(frozen=True)
class EnrolSpec:
    """`student/enrol`: the persons to enrol (one for a case, many for a batch order)."""

    persons: list[dict[str, Any]]
    status: str = DEFAULT_STATUS
    single: bool = True
    order_number: str | None = None


def status_label(code: str | None, lang: str = "ru") -> str:
    """The status in words of `lang`: the code itself when it is not a known status."""
    return labels.label("student_status", code, lang)


def check_status(value: Any) -> str:
    if not isinstance(value, str) or value not in STUDENT_STATUSES:
        raise RegistryParamError(f"статус «{value}» неизвестен; допустимы: {', '.join(STUDENT_STATUSES)}")
    return value


def check_value(name: str, value: Any) -> Any:
    """One field's new value, checked (the year as a number of 1..7, texts within the column)."""
    if name == "year":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_YEAR:
            raise RegistryParamError(f"поле year: ожидается курс от 1 до {MAX_YEAR}, получено «{value}»")
        return value
    if name == "group" and value in (None, ""):
        return None
    if name in ("middle_name", "latin_name") and value in (None, ""):
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegistryParamError(f"поле {name}: ожидается непустая строка, получено «{value}»")
    value = value.strip()
    if len(value) > MAX_LENGTH.get(name, 300):
        raise RegistryParamError(f"поле {name}: не длиннее {MAX_LENGTH.get(name, 300)} символов")
    if name in CHOICES and value not in CHOICES[name]:
        raise RegistryParamError(f"поле {name}: допустимо {', '.join(CHOICES[name])}, получено «{value}»")
    return value


def check_changes(value: Any, allowed: tuple[str, ...] = STUDY_FIELDS) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise RegistryParamError("параметр changes: ожидается словарь {поле: значение}")
    unknown = [str(k) for k in value if k not in allowed]
    if unknown:
        raise RegistryParamError(f"параметр changes: поле «{unknown[0]}» не меняется приказом; "
                                 f"допустимы: {', '.join(allowed)}")
    return {str(k): check_value(str(k), v) for k, v in value.items()}


def _check_iin(value: Any) -> str:

    try:
        return validate_iin(str(value or ""))
    except InvalidIIN as exc:
        raise RegistryParamError(f"ИИН «{value}»: {exc.reason_ru}") from None


def _order_number(params: Mapping[str, Any]) -> str | None:
    number = params.get("order_number")
    return str(number) if number not in (None, "") else None


def _unknown_params(operator: str, names: Any) -> None:
    unknown = sorted(str(n) for n in names if n not in _PARAMS[operator])
    if unknown:
        raise RegistryParamError(f"оператор {operator}: неизвестный параметр «{unknown[0]}»; "
                                 f"допустимы: {', '.join(sorted(_PARAMS[operator]))}")


def _rows(value: Any) -> dict[str, dict[str, Any]]:
    """A batch order's students: ИИН strings, or {iin, field: value} of each student."""
    if not isinstance(value, list | tuple):
        raise RegistryParamError("параметр students: ожидается список ИИН или строк {iin, поле: значение}")
    rows: dict[str, dict[str, Any]] = {}
    for item in value:
        iin = _check_iin(item.get("iin") if isinstance(item, Mapping) else item)
        if iin in rows:
            raise RegistryParamError(f"параметр students: ИИН {iin} указан дважды")
        rows[iin] = check_changes({k: v for k, v in item.items() if k != "iin"}) \
            if isinstance(item, Mapping) else {}
    return rows


def parse_update(params: Mapping[str, Any]) -> UpdateSpec:
    """The evaluated parameters of `student/update`, checked."""
    _unknown_params(UPDATE, params)
    status = check_status(params["status"]) if params.get("status") is not None else None
    changes = check_changes(params.get("changes") or {})
    rows = _rows(params["students"]) if params.get("students") is not None else None
    if status is None and not changes and rows is None:
        raise RegistryParamError(f"оператор {UPDATE}: укажите status, changes или students")
    return UpdateSpec(status, changes, rows, _order_number(params))


def _person(value: Any) -> dict[str, Any]:
    """A person to enrol: the known fields of the case's applicant data (others are ignored:
    the application carries more, e.g. the sending university)."""
    if not isinstance(value, Mapping):
        raise RegistryParamError("параметр student: ожидается словарь с данными обучающегося")
    person: dict[str, Any] = {"iin": _check_iin(value.get("iin"))}
    for name in STUDY_FIELDS + PERSON_FIELDS:
        if value.get(name) not in (None, "") or name == "group":
            person[name] = check_value(name, value.get(name))
    return person


def parse_enrol(params: Mapping[str, Any]) -> EnrolSpec:
    """The evaluated parameters of `student/enrol`, checked (required fields of a new record are
    checked when the registry does not know the person: server/services/students/registry.py)."""
    _unknown_params(ENROL, params)
    if (params.get("student") is None) == (params.get("students") is None):
        raise RegistryParamError(f"оператор {ENROL}: укажите либо student (одно дело), "
                                 "либо students (сводный приказ)")
    status = check_status(params["status"]) if params.get("status") is not None else DEFAULT_STATUS
    single = params.get("student") is not None
    raw = [params["student"]] if single else params["students"]
    if not isinstance(raw, list | tuple):
        raise RegistryParamError("параметр students: ожидается список обучающихся")
    persons = [_person(p) for p in raw]
    iins = [p["iin"] for p in persons]
    counts = Counter(iins)
    repeated = next((iin for iin in iins if counts[iin] > 1), None)
    if repeated:
        raise RegistryParamError(f"параметр students: ИИН {repeated} указан дважды")
    return EnrolSpec(persons, status, single, _order_number(params))


def missing_for_new(person: Mapping[str, Any]) -> list[str]:
    """The fields a new registry record needs and the person lacks."""
    return [name for name in ENROL_REQUIRED if person.get(name) in (None, "")]


# --- at deploy: what the model states literally ---------------------------------------------

def _literal(expression: str | None) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(expression or "")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _dict_keys(expression: str | None) -> list[str] | None:
    """The keys of a dict display written with constant string keys ({'funding': 'grant', ...});
    None when the keys are computed (checked at run time)."""
    try:
        node = ast.parse(expression or "", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Dict) or not all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                                 for k in node.keys):
        return None
    return [k.value for k in node.keys]  # type: ignore[union-attr]


def literal_problems(operator: str, params: Mapping[str, str | None]) -> list[str]:
    """Problems of a registry operator's parameters as written in the model (expressions):
    unknown parameters, a literal status outside STUDENT_STATUSES, a literal `changes` naming a
    field an order does not change or with a bad literal value, nothing to change."""
    problems: list[str] = []
    try:
        _unknown_params(operator, params)
    except RegistryParamError as exc:
        problems.append(str(exc))
    is_literal, status = _literal(params.get("status"))
    if "status" in params and is_literal and status is not None:
        try:
            check_status(status)
        except RegistryParamError as exc:
            problems.append(f"оператор {operator}: {exc}")
    if operator == UPDATE and "changes" in params:
        problems += _changes_problems(params.get("changes"))
    if operator == UPDATE and not {"status", "changes", "students"} & set(params):
        problems.append(f"оператор {UPDATE}: укажите status, changes или students")
    if operator == ENROL and len({"student", "students"} & set(params)) != 1:
        problems.append(f"оператор {ENROL}: укажите либо student (одно дело), либо students (сводный приказ)")
    return problems


def _changes_problems(expression: str | None) -> list[str]:
    keys = _dict_keys(expression)
    if keys is None:
        return []
    problems = [f"оператор {UPDATE}: параметр changes: поле «{k}» не меняется приказом; "
                f"допустимы: {', '.join(STUDY_FIELDS)}" for k in keys if k not in STUDY_FIELDS]
    is_literal, value = _literal(expression)
    if is_literal and not problems:
        try:
            check_changes(value)
        except RegistryParamError as exc:
            problems.append(f"оператор {UPDATE}: {exc}")
    return problems
