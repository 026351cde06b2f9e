"""Every user task's instructions of every shipped procedure, rendered for a realistic case in
Russian and in Kazakh, read as words: no code of a form's choice or of the vocabulary
(«medical», «paid», «KOR»), no ISO date, no empty name or gap («для  (ИИН …)»), no template
left unrendered. The walk follows test_roundtrip's driver (real SpiffWorkflow, sample answers,
timers fired, messages delivered) on three paths — all yes, refusals, and the other branches
(documents incomplete, a paid place, a notice) — so the steps after a refusal or a return are
read too."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from server.config import ROOT
from server.domain import labels
from server.engine import load_bundle
from server.services.cases.instructions import render_task_instructions
from server.services.errors import Invalid
from server.services.tasks.form_samples import POSITIVE, sample_object
from server.services.tasks.forms import validate_submission
from tests.integration.test_roundtrip import (
    DOCUMENT_RESULT,
    FORMS,
    MAX_STEPS,
    MODEL_INPUTS,
    WORKFLOWS,
    _compile,
    _context,
    _schema_for,
    _start_data,
)

STUDENT = {
    "id": 1, "iin": "040517400125", "last_name": "Сидорова", "first_name": "Елена",
    "middle_name": "Павловна", "full_name": "Сидорова Елена Павловна", "latin_name": "SIDOROVA ELENA",
    "faculty_code": "IT", "faculty_name": "Факультет информационных технологий",
    "faculty_name_kk": "Ақпараттық технологиялар факультеті", "programme_code": "6B06102",
    "programme_name": "Программная инженерия", "programme_name_kk": "Бағдарламалық инженерия",
    "level": "bachelor", "year": 2, "group": "ПИ-24-1", "form": "full_time", "language": "ru",
    "funding": "paid", "citizenship": "KOR", "sex": "female", "status": "active",
}
WITHOUT_STUDENT = {"contingent_order", "vacant_grant"}  # a list of students / a competition
PERSON = {key: STUDENT[key] for key in ("iin", "last_name", "first_name", "middle_name", "full_name", "sex")}


def _typed(prop: dict[str, Any], name: str) -> str:
    """What a person types into a free-text field, short enough for any field."""
    return "Образец"[: prop.get("maxLength", 200)]


def _answer(schema: dict[str, Any] | None, validator: Any, mode: str) -> dict[str, Any]:
    """The form's sample answer: `positive` says yes to everything; `negative` says no and
    refuses; `other` approves but says no to every box and picks each other choice's last
    option (documents incomplete, a notice instead of a certificate, a paid place)."""
    if schema is None:
        return validate_submission(None, None, {})
    answer = sample_object(schema, _typed)
    for name, prop in (schema.get("properties") or {}).items():
        if name in answer and prop.get("type") == "boolean":
            answer[name] = mode == "positive"
        elif name in answer and mode == "negative" and prop.get("enum"):
            others = [v for v in prop["enum"] if v not in POSITIVE]
            answer[name] = others[0] if others else answer[name]
        elif (name in answer and mode == "other" and prop.get("enum")
              and not any(v in POSITIVE for v in prop["enum"])):
            answer[name] = prop["enum"][-1]
    try:
        return validate_submission(schema, validator, answer)
    except Invalid:  # the other branch needs what a sample cannot know: the positive answer
        return _answer(schema, validator, "positive")


def _realistic_start(pid: str, variant: str) -> dict[str, Any]:
    """test_roundtrip's start data with the application a registrar enters and a real person."""
    data = _start_data(pid, "positive" if variant == "positive" else "negative")
    for form, key in (("register", "applicant"), ("application", None)):
        if FORMS.exists(f"{pid}/{form}"):
            schema, validator = FORMS.load(f"{pid}/{form}")
            for sample in (sample_object(schema, _typed), sample_object(schema)):
                try:
                    answer = validate_submission(schema, validator, sample)
                except Invalid:  # a typed field has a pattern (then the form's own sample)
                    continue  # or the sample is not a valid application: the start data has it
                data.update({key: answer} if key else answer)
                break
    data.update(MODEL_INPUTS.get(pid, {}).get("positive" if variant == "positive" else "negative", {}))
    if isinstance(data.get("applicant"), dict):
        data["applicant"] = {**data["applicant"], **PERSON}
    if pid not in WITHOUT_STUDENT:
        data["student"] = STUDENT
    return data


def _advance(instance: Any, model: Any, variant: str, visits: dict[str, int], fired: list[int]) -> bool:
    """Complete the first ready user task (negative on its first visit in the negative run),
    else finish a started service task, else fire the timers (three times at most), else
    deliver a message a catch waits for; False when only waits remain."""
    ready = instance.ready_user_tasks()
    if ready:
        task = ready[0]
        visits[task.spec_name] = visits.get(task.spec_name, 0) + 1
        schema, validator = _schema_for(model, task.meta.get("form_key"))
        first = visits[task.spec_name] == 1
        instance.complete_user_task(task.id, _answer(schema, validator, variant if first else "positive"))
        return True
    started = instance.started_service_tasks()
    if started:
        instance.complete_service_task(started[0], DOCUMENT_RESULT)
        return True
    if instance.waiting_timers() and len(fired) < 3:
        fired.append(1)
        with time_machine.travel(max(t.due_at for t in instance.waiting_timers()) + timedelta(seconds=1),
                                 tick=False):
            instance.fire_due_timers()
        return True
    if instance.waiting_messages():
        wait = instance.waiting_messages()[0]
        instance.deliver_message(wait.task_id, wait.name, {}, wait.expected)
        return True
    return False
# The vocabulary's kinds a case's data holds (a form's own choices are read from its schema).
DATA_KINDS = ("student_status", "form", "language", "funding", "level", "sex", "citizenship", "order_kind")
# Latin words an instruction may show (a web address); any other lowercase Latin word is a code.
LATIN_WORDS = {"egov", "kz"}
GAPS = [re.compile(p) for p in (
    r"\(\s*\)", r"«\s*»", r"\(\s", r"\s[,.;:)»]", r"\S\s{2,}\S", r"№\s*[,.;:)]", r"\b(None|True|False)\b",
    r"\{\{|\{%", r"—\s*\(",
)]


def _codes(process_id: str) -> set[str]:
    """The codes a person must never read: the procedure's forms' choices and the vocabulary's."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.get("enum") or []:
                if isinstance(value, str) and value:
                    found.add(value)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "forms" / process_id).glob("*.schema.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    for kind in DATA_KINDS:
        found |= set(labels.KINDS[kind])
    return found


def _problems(text: str, codes: set[str]) -> list[str]:
    problems = []
    if labels.has_iso_date(text):
        problems.append("an ISO date")
    for code in sorted(codes):
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            problems.append(f"the code {code!r}")
    problems += [f"a gap {m.group(0)!r}" for p in GAPS if (m := p.search(text))]
    problems += [f"the Latin word {w!r}" for w in re.findall(r"(?<![\w.-])[a-z][a-z_]+(?![\w-])", text)
                 if w not in LATIN_WORDS]
    return problems


def _cases() -> list[Any]:
    return [pytest.param(path, variant, id=f"{path.stem}:{variant}")
            for path in sorted(WORKFLOWS.glob("*.bpmn")) for variant in ("positive", "negative", "other")]


@pytest.mark.parametrize(("path", "variant"), _cases())
def test_every_instruction_reads_in_words(tmp_path, path, variant):
    ctx = _context(tmp_path)
    model = _compile(path, ctx)
    pid = path.stem
    bundle = load_bundle(0, pid, model.dialect, model.bundles[pid], model.task_meta[pid], model.hashes[pid])
    instance = ctx.new_instance(bundle, _realistic_start(pid, variant))
    instance.run()
    codes = _codes(pid)
    visits: dict[str, int] = {}
    fired: list[int] = []
    read: list[str] = []
    failures: list[str] = []
    for _step in range(MAX_STEPS):
        if instance.completed:
            break
        for task in instance.ready_user_tasks():
            templates = {key: task.meta.get(key) for key in ("instructions", "instructions_kk")}
            if not any(templates.values()):
                continue
            assert all(templates.values()), f"{task.spec_name}: instructions in one language only"
            for key, text in render_task_instructions(FORMS, pid, templates,
                                                      instance.task_data(task.id)).items():
                read.append(task.spec_name)
                failures += [f"{task.spec_name} ({key}): {problem}\n    {text}"
                             for problem in _problems(text or "", codes)]
        if not _advance(instance, model, variant, visits, fired):
            break
    assert read, "no instructions were read"
    assert not failures, "\n".join(failures)


def test_instructions_decline_names_and_keep_codes_testable():
    """«для Сидоровой Елены Павловны»; a value in words still equals its code in `{% if %}`."""
    from server.services.cases.instructions import render_instructions

    data = {"student": STUDENT, "leave_ground": "medical", "leave_start": "2027-01-11", "batch_order": False}
    fields = {"leave_ground": type("W", (), {"choice": lambda self, v, lang: {"medical": "по болезни"}.get(v),
                                            "is_date": False})()}
    text = render_instructions(
        "Справка для {{ student|genitive }}, {{ student|dative }}: {{ leave_ground }} с {{ leave_start }}"
        "{% if leave_ground == 'medical' %} (справка ВКК){% endif %}{% if batch_order %} сводный{% endif %}"
        " — {{ raw.leave_ground }}", data, "ru", fields)  # type: ignore[arg-type]
    assert text == ("Справка для Сидоровой Елены Павловны, Сидоровой Елене Павловне: по болезни с 11.01.2027"
                    " (справка ВКК) — medical")
    kk = render_instructions("{{ student|genitive }} анықтамасы, {{ student|dative }}", data, "kk")
    assert kk == "Сидорова Елена Павловнаның анықтамасы, Сидорова Елена Павловнаға"
    assert render_instructions("договор с {{ applicant|instrumental }}", {"applicant": {}}) == "договор с —"
    assert render_instructions("{{ student|name }}", {"student": {"full_name": "Ли Вэй"}}) == "Ли Вэй"
