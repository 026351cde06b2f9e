"""What an application says besides who it is about: a procedure's application form.

`forms/<process_id>/application.schema.json` declares the fields a registrar takes from the
application when registering it — a certificate's purpose and number of copies, the dates of
an academic leave, a foreign student's arrival date. They become top-level variables of the
case, which the model's instructions, gateways and documents read. The form is checked when
the case is started (over the API and in the staff UI alike): a missing or malformed field is
refused with its name and reason before anything is written, instead of the process stopping
later on a variable it does not have. Fields left out take the form's defaults.

What else a registration may carry is declared too, and nothing more is accepted
(`check_declared`, 422 naming `data.<key>`): the applicant of a procedure with a
registration form (`forms/<process_id>/register.schema.json`, checked there) and the
process's own BPMN data inputs (`ioSpecification`; the batch order's list of students). Values
the server sets itself (the student, the outcome and refusal ground, the results of service
tasks…) are refused even when declared, and the start data as a whole has a size limit
(`check_size`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator

from server.domain.case_data import RESERVED_DATA_KEYS
from server.services.context import AppContext
from server.services.errors import Invalid, tr
from server.services.tasks.date_rules import check_dates
from server.services.tasks.forms import validate_submission
from server.services.tasks.references import with_choices

# Case variables the server or the model writes, never the application: the student's
# record, the procedure's code and channel, the case id, the script functions (all in
# RESERVED_DATA_KEYS), the decision the model records and the reports read (`outcome`,
# `refusal_ground`), the link of a case a model opened (`parent_case_id`). The results of the
# model's service tasks are added per model (`check_declared`'s `written`).
SERVER_KEYS = RESERVED_DATA_KEYS | frozenset({"outcome", "refusal_ground", "parent_case_id"})


def form_key(process_id: str) -> str:
    return f"{process_id}/application"


def application_form(ctx: AppContext, process_id: str) -> tuple[dict[str, Any], Draft202012Validator] | None:
    """The procedure's application form (schema, validator), or None when it has none."""
    key = form_key(process_id)
    if not process_id or not ctx.forms.exists(key):
        return None
    return with_choices(ctx, *ctx.forms.load(key))  # type: ignore[return-value]


def application_schema(ctx: AppContext, process_id: str) -> dict[str, Any] | None:
    """The JSON Schema of the procedure's application form, or None."""
    form = application_form(ctx, process_id)
    return form[0] if form else None


def needs_student(schema: dict[str, Any] | None) -> bool:
    """False for a procedure about no particular student (a vacant-grant announcement)."""
    return not (schema or {}).get("x-no-student", False)


def student_missing() -> Invalid:
    """The answer to a registered student's procedure started without the student."""
    return Invalid("Укажите обучающегося: эта процедура ведётся по зарегистрированному обучающемуся",
                   {"student_id": tr("Обязательное поле")})


def complete_application(ctx: AppContext, process_id: str, data: dict[str, Any], *,
                         has_student: bool = True) -> dict[str, Any]:
    """The start data with the application's fields checked and their defaults filled in;
    `Invalid` naming each bad field as `data.<name>` otherwise. An application form not marked
    `x-no-student` is a registered student's application: the staff UI asks for the student,
    and so does this (`student_id`, with the data's errors when there are some)."""
    form = application_form(ctx, process_id)
    if form is None:
        return data
    schema, validator = form
    no_student = {} if has_student or not needs_student(schema) else student_missing().fields
    declared = (schema.get("properties") or {}).keys()
    given = {key: value for key, value in data.items() if key in declared}
    try:
        clean = validate_submission(schema, validator, given)
    except Invalid as exc:
        fields = {f"data.{name}": reason for name, reason in exc.fields.items()}
        raise Invalid("Заявление не зарегистрировано: исправьте отмеченные поля",
                      {**no_student, **fields}) from None
    if no_student:
        raise student_missing()
    check_dates(ctx, form_key(process_id), clean, prefix="data.",
                message="Заявление не зарегистрировано: исправьте отмеченные поля")
    return {**data, **clean, **_kazakh_versions(schema, clean)}


def _kazakh_versions(schema: dict[str, Any], clean: dict[str, Any]) -> dict[str, str]:
    """`<field>_kk` for a free-text field whose value is one of its suggested `examples`: the
    form's `x-examples-kk` says it in Kazakh, for the Kazakh version of the document (a
    certificate's purpose). Any other text is kept as written, in one language."""
    found = {}
    for name, prop in (schema.get("properties") or {}).items():
        value = clean.get(name)
        if not isinstance(prop, dict) or not isinstance(value, str) or not prop.get("x-examples-kk"):
            continue
        pairs = {str(ru).strip().lower(): str(kk) for ru, kk in zip(prop.get("examples") or [],
                                                                       prop["x-examples-kk"], strict=False)}
        if value.strip().lower() in pairs:
            found[f"{name}_kk"] = pairs[value.strip().lower()]
    return found


def check_size(ctx: AppContext, data: Any) -> None:
    """Refuse start data larger than the setting (as UTF-8 JSON) before anything else reads it."""
    limit = ctx.settings.max_application_bytes
    try:
        size = len(json.dumps(data, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        size = limit + 1
    if size > limit:
        raise Invalid("Данные заявления больше %(kilobytes)s КБ: сократите их (файлы прикладываются "
                      "отдельно)", {"data": tr("Слишком большой объём данных")}, kilobytes=limit // 1024)


def check_declared(ctx: AppContext, process_id: str, given: Iterable[str], inputs: frozenset[str],
                   written: frozenset[str], *, has_student: bool) -> None:
    """Refuse start data keys the procedure does not declare (its application form, its BPMN
    data inputs, and the applicant of its registration form when the case is not a registered
    student's) and keys the server or the model sets itself (`written`: the model's
    service-task results)."""
    schema = application_schema(ctx, process_id)
    declared = set((schema or {}).get("properties") or {}) | inputs
    if not has_student and ctx.forms.exists(f"{process_id}/register"):
        declared.add("applicant")
    fields = {}
    for key in given:
        if key in SERVER_KEYS or key in written:
            fields[f"data.{key}"] = tr("Это значение устанавливает система, а не заявление")
        elif key not in declared:
            fields[f"data.{key}"] = tr("Неизвестное поле: его нет в заявлении этой процедуры")
    if fields:
        raise Invalid("Заявление не зарегистрировано: исправьте отмеченные поля", fields)
