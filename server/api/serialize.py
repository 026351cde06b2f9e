"""ORM rows and service views -> plain dicts matching the response schemas."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app

from server.db import utcnow
from server.domain import labels
from server.domain.catalog import Catalog
from server.models import Case, HumanTask, ProcessDefinition
from server.services.background.operations import Incident
from server.services.cases.lifecycle import CaseView
from server.services.documents.pdfs import pdf_status_name
from server.services.tasks.human_tasks import TaskView
from server.web.i18n import api_locale, localized

_CASE_FIELDS = ("id", "process_id", "status", "outcome", "refusal_ground", "channel", "student_id",
                "faculty_id", "subject_name", "subject_iin", "received_at", "deadline_at",
                "decided_at", "cancel_reason")
_TASK_FIELDS = ("id", "case_id", "process_id", "spec_name", "name", "lane", "role", "faculty_id",
                "assignee_id", "form_key", "status", "subject_name", "subject_iin", "created_at",
                "due_at", "completed_at", "instructions", "instructions_kk")


def _catalog_words(process_id: str, locale: str) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """The service's name, its refusal grounds and the channels, in `locale` (the catalog has
    Russian and Kazakh; English reads the Russian)."""
    catalog = current_app.extensions["regoffice"].catalog
    key = (id(catalog), process_id, locale)
    cached = _WORDS.get(key)
    if cached is None or cached[0] is not catalog:
        if len(_WORDS) > 256:
            _WORDS.clear()
        cached = _WORDS[key] = (catalog, _words_of(catalog, process_id, locale))
    return cached[1]


# (catalog's id, procedure, language) -> (the catalog, its words): a list of cases asks the same
# few procedures; the catalog object is kept to tell a reloaded catalog from the one cached.
_WORDS: dict[tuple[int, str, str], tuple[Catalog, Any]] = {}


Words = tuple[str | None, dict[str, str], dict[str, str]]


def _words_of(catalog: Catalog, process_id: str, locale: str) -> Words:
    kk = locale == "kk"
    channels = {c.code: c.kk if kk else c.ru for c in catalog.channels.values()}
    service = catalog.services.get(process_id)
    if service is None:
        return None, {}, channels
    grounds = {g.code: g.kk if kk else g.ru for g in (*service.refusal_grounds, *service.decision_grounds)}
    return service.name(locale), grounds, channels


def case_out(case: Case) -> dict[str, Any]:
    """A case's columns, and next to each code people read its words in the client's language
    (Accept-Language): `status_display`, `outcome_display`, `refusal_ground_display`,
    `channel_display`, `process_display`."""
    out = {f: getattr(case, f) for f in _CASE_FIELDS}
    locale = api_locale()
    process_name, grounds, channels = _catalog_words(case.process_id, locale)
    out["process_display"] = process_name or case.process_id
    out["status_display"] = labels.label("case_status", case.status, locale)
    out["outcome_display"] = labels.label("outcome", case.outcome, locale) if case.outcome else None
    out["refusal_ground_display"] = (grounds.get(case.refusal_ground, case.refusal_ground)
                                     if case.refusal_ground else None)
    out["channel_display"] = channels.get(case.channel, case.channel) if case.channel else None
    return out


def task_out(task: HumanTask) -> dict[str, Any]:
    out = {f: getattr(task, f) for f in _TASK_FIELDS}
    out["status_display"] = labels.label("task_status", task.status, api_locale())
    out["candidate_roles"] = (task.candidate_roles or "").split(",") if task.candidate_roles else []
    out["overdue"] = bool(task.status == "open" and task.due_at and task.due_at < utcnow())
    return out


def task_detail(view: TaskView) -> dict[str, Any]:
    out = task_out(view.task)
    out.update(form=view.form, ui_schema=view.ui_schema, data=view.data, can_act=view.can_act)
    return out


def document_out(d: Any) -> dict[str, Any]:
    """A document of a case (its columns but the files): the version's status and the PDF's,
    as codes and in words in the client's language."""
    locale = api_locale()

    def localize(text: str) -> str:
        return localized(text, locale)

    return {"id": d.id, "kind": d.kind, "number": d.number, "language": d.language,
            "version": d.version, "filename": d.filename, "sha256": d.sha256,
            "template_version": d.template_version,
            "created_at": d.created_at, "status": d.status,
            "status_name": labels.label("document_status", d.status, locale),
            "status_display": labels.label("document_status", d.status, locale),
            "kind_display": labels.label("document_kind", d.kind, locale),
            "language_display": labels.label("language", d.language, locale),
            "signed_at": d.signed_at, "pdf_status": d.pdf_status,
            "pdf_status_name": localize(pdf_status_name(d.pdf_status)), "pdf_sha256": d.pdf_sha256}


def case_detail(view: CaseView) -> dict[str, Any]:
    out = case_out(view.case)
    out["data"] = view.data
    out["process_version"] = view.version
    out["open_tasks"] = [task_out(t) for t in view.open_tasks]
    out["history"] = [{"id": e.id, "kind": e.kind, "at": e.at, "actor_id": e.actor_id,
                       "task_id": e.task_id, "payload": e.payload} for e in view.history]
    out["documents"] = [document_out(d) for d in view.documents]
    out["timers"] = [{"spec_name": t.spec_name, "due_at": t.due_at} for t in view.timers]
    out["incidents"] = [asdict(Incident.of(j)) for j in view.incidents]
    return out


def process_out(d: ProcessDefinition, application_form: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": d.id, "process_id": d.process_id, "version": d.version, "name": d.name,
        "kind": d.kind, "dialect": d.dialect, "filename": d.filename,
        "content_hash": d.content_hash, "is_latest": d.is_latest, "deployed_at": d.deployed_at,
        "user_tasks": [{"id": m.get("bpmn_id"), "name": m.get("name"), "lane": m.get("lane"),
                        "form_key": m.get("form_key")} for m in (d.task_meta or {}).values()],
        "application_form": application_form,
    }
