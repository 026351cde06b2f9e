"""What a case holds, as the people deciding on it read it: what the application says, what each
completed step decided, the case's documents and whether a background step is still making one.

The case page and the task page show the same material (a dean decides beside the application
and the registrar's check; the rector signs beside the draft order), built inside the page's one
read. Titles and values come in words through `display` (the procedure's forms and the one
vocabulary), never as codes or ISO dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.hot_path import case_records
from server.models import Case, HumanTask, OutboxJob
from server.services.cases.applications import application_schema
from server.services.cases.display import FieldWords, _collect, display_value, procedure_fields
from server.services.context import AppContext

# The applicant's identity and faculty are the page's heading («Студент», «Факультет» by its
# name): not repeated among the rows (a faculty's code is no word for people).
_SHOWN_ABOVE = frozenset({"iin", "last_name", "first_name", "middle_name", "full_name", "faculty_code"})
# Background work that adds a document to the case or its PDF.
DOCUMENT_JOBS = ("document/render", "document/pdf")
_BUSY = ("pending", "sent", "running")
# A job due later than this (a PDF retried in an hour: no LibreOffice yet) is not waited for.
SOON_SECONDS = 30
# The rector's signature of an order: the task page shows the draft order beside the form.
SIGN_STEPS = ("sign_order", "rector_sign")


@dataclass(frozen=True)
class Row:
    """One field: its title and its value in words; `table` for a list of records (the
    difference's disciplines): the columns' titles and each record's cells."""

    title: str
    value: str = ""
    table: tuple[list[str], list[list[str]]] | None = None


@dataclass(frozen=True)
class Decision:
    """A completed step: the task row (its name, form, who and when) and what it decided."""

    task: HumanTask
    rows: list[Row]


@dataclass(frozen=True)
class CaseMaterial:
    application: list[Row]
    decisions: list[Decision]
    documents: list[Any]  # Document's columns but the file, oldest first
    pending: bool  # a document or its PDF is still being made: the page refreshes the list


def rows(data: Mapping[str, Any], lang: str, fields: Mapping[str, FieldWords],
         only: Sequence[str] | None = None) -> list[Row]:
    """`data`'s fields that the forms title, in the forms' order (or `only`'s), in words; a
    list of records becomes a table."""
    found = []
    for name in only if only is not None else list(fields):
        words = fields.get(name)
        value = data.get(name)
        if words is None or value is None or value == "" or value == []:
            continue
        if name.endswith("_kk") and data.get(name.removesuffix("_kk")) not in (None, ""):
            continue  # one row per thing: its Russian field shows the Kazakh text in Kazakh
        if lang == "kk" and data.get(f"{name}_kk") not in (None, ""):
            value = data[f"{name}_kk"]
        title = words.title(lang)
        if not title:
            continue
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            found.append(Row(title, table=_table(value, lang, fields)))
            continue
        shown = display_value(name, value, lang, fields)
        if isinstance(shown, list):
            shown = "; ".join(map(str, shown))
        elif isinstance(shown, Mapping):
            shown = ", ".join(str(v) for v in shown.values())
        found.append(Row(title, str(shown)))
    return found


def _table(items: list[Mapping[str, Any]], lang: str,
           fields: Mapping[str, FieldWords]) -> tuple[list[str], list[list[str]]]:
    keys = list(dict.fromkeys(k for item in items for k in item))
    titles = [(fields[k].title(lang) if k in fields else None) or k for k in keys]
    cells = [[str(display_value(k, item.get(k), lang, fields)) if item.get(k) is not None else ""
              for k in keys] for item in items]
    return titles, cells


def application_rows(ctx: AppContext, process_id: str, data: Mapping[str, Any], lang: str,
                     fields: Mapping[str, FieldWords]) -> list[Row]:
    """What the application says: the fields of the procedure's application form (as the case
    holds them now: a check may correct them) and the applicant's registration form."""
    schema = application_schema(ctx, process_id) or {}
    found = rows(data, lang, fields, list(schema.get("properties") or {}))
    applicant = data.get("applicant")
    if isinstance(applicant, Mapping) and ctx.forms.exists(f"{process_id}/register"):
        register = ctx.forms.load(f"{process_id}/register")[0]
        names = [k for k in (register.get("properties") or {}) if k not in _SHOWN_ABOVE]
        found += rows(applicant, lang, procedure_fields_of(register), names)
    return found


def procedure_fields_of(schema: Mapping[str, Any]) -> dict[str, FieldWords]:
    """The words of one form's fields (the applicant's registration form, whose fields share
    names such as `form` or `language` with the steps' forms)."""
    found: dict[str, FieldWords] = {}
    _collect(schema, found)  # the one collector of a form's words (same package)
    return found


def decisions(ctx: AppContext, session: Session, history: Sequence[Any], lang: str,
              fields: Mapping[str, FieldWords], case_id: int) -> list[Decision]:
    """Each completed step of the case, oldest first, with what its form recorded (in the
    words of that step's own form: two forms may name the same code differently)."""
    submitted = {e.task_id: (e.payload or {}).get("data") or {}
                 for e in history if e.kind == "task_completed" and e.task_id}
    done = session.scalars(_COMPLETED, {"case_id": case_id}).all()
    found = []
    for task in done:
        data = submitted.get(task.id) or {}
        words = _step_fields(ctx, task, fields)
        # an approval has no refusal ground, whatever a hidden field of the form still held
        approved = any(k.endswith("decision") and v == "approve" for k, v in data.items())
        keys = [k for k in words if k in data and not (approved and k.endswith("refusal_ground"))]
        found.append(Decision(task, rows(data, lang, words, keys)))
    return found


def _step_fields(ctx: AppContext, task: HumanTask,
                 fields: Mapping[str, FieldWords]) -> Mapping[str, FieldWords]:
    key = task.form_key or ""
    if not key or key.startswith("camunda:") or not ctx.forms.exists(key):
        return fields
    own = procedure_fields_of(ctx.forms.load(key)[0])  # first, in the form's order
    return {**own, **{k: v for k, v in fields.items() if k not in own}} if own else fields


def document_state(session: Session, case_id: int,
                   documents: Sequence[Any] | None = None) -> tuple[list[Any], bool]:
    """The case's documents (without their files; read unless given) and whether one is still
    being made."""
    docs = list(documents) if documents is not None else case_records(session, case_id)[1]
    soon = utcnow() + timedelta(seconds=SOON_SECONDS)
    busy = session.scalar(_BUSY_JOB, {"case_id": case_id, "soon": soon}) is not None
    return docs, busy or any(d.pdf_status == "pending" for d in docs)


def case_material(ctx: AppContext, session: Session, case: Case, data: Mapping[str, Any],
                  history: Sequence[Any], documents: Sequence[Any], lang: str) -> CaseMaterial:
    """The material of `case` (read and checked by the caller in its session, with its audit
    trail and documents: `hot_path.case_records`)."""
    fields = procedure_fields(ctx.forms, case.process_id)
    docs, pending = document_state(session, case.id, documents)
    return CaseMaterial(
        application=application_rows(ctx, case.process_id, data, lang, fields),
        decisions=decisions(ctx, session, history, lang, fields, case.id),
        documents=docs, pending=pending)


def is_sign_step(task: HumanTask) -> bool:
    """The rector's signature of an order (its form key ends with sign_order / rector_sign)."""
    return bool(task.form_key) and task.form_key.rsplit("/", 1)[-1] in SIGN_STEPS


def draft_for(documents: Sequence[Any], lang: str) -> Any | None:
    """The draft awaiting the signature, in the UI language when there is one (else Russian,
    else any): the latest draft version of the case's documents."""
    drafts = [d for d in documents if d.status == "draft"] or list(documents)
    if not drafts:
        return None
    for wanted in (lang, "ru"):
        same = [d for d in drafts if d.language == wanted]
        if same:
            return max(same, key=lambda d: (d.version, d.id))
    return max(drafts, key=lambda d: (d.version, d.id))


_COMPLETED = (select(HumanTask).where(HumanTask.case_id == bindparam("case_id"),
                                      HumanTask.status == "completed")
              .order_by(HumanTask.completed_at, HumanTask.id))
_BUSY_JOB = (select(OutboxJob.id).where(OutboxJob.case_id == bindparam("case_id"),
                                        OutboxJob.kind.in_(DOCUMENT_JOBS), OutboxJob.status.in_(_BUSY),
                                        OutboxJob.available_at <= bindparam("soon"))
             .limit(1))
