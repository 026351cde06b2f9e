"""Every model (workflows/ and the test fixtures, discovered, not listed) survives a save and
restore at every step: the restored instance has the same ready tasks, data, waits and
dump, and it is the restored instance that runs on, exactly as the server does.

Engine and services level, no HTTP and no database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from server.bootstrap import build_context
from server.config import ROOT, Settings
from server.db import utcnow
from server.engine import Instance, ModelError, TaskNotReady, compaction, compile_model, load_bundle
from server.engine.loader import CompiledModel, ProcessBundle
from server.services.context import AppContext
from server.services.tasks.form_samples import POSITIVE, sample_object
from server.services.tasks.forms import FormRegistry, camunda_validator, validate_submission
from tests.conftest import FIXTURES

WORKFLOWS = ROOT / "workflows"
FORMS = FormRegistry(ROOT / "forms")
MAX_STEPS = 60
MAX_TIMER_FIRES = 3
DOCUMENT_RESULT = {"document_id": 1, "number": "1-у"}
# Inputs a model expects from outside its forms (plain BPMN without forms). Anything not
# listed starts with the server's standard variables (+ the registration form's applicant).
# Cases of a registered student start with `student` (server.services.cases.lifecycle.student_context).
STUDENT = {"student": {"iin": "040517300125", "last_name": "Иванов", "first_name": "Пётр",
                       "programme_code": "6B06102", "programme_name": "Программная инженерия",
                       "level": "bachelor", "year": 2, "form": "full_time", "language": "ru",
                       "funding": "grant", "faculty_code": "IT", "sex": "M"}}
MODEL_INPUTS: dict[str, dict[str, dict[str, Any]]] = {
    "Process_approval": {"positive": {"amount": 5, "approved": True},
                         "negative": {"amount": 5, "approved": False}},
    "transfer_internal": {"positive": STUDENT, "negative": STUDENT},
}
# Cases opened for a registered student carry `student`; batch and competition cases their own data.
_STUDENT = {"iin": "040309300127", "full_name": "Ли Вэй", "last_name": "Ли", "first_name": "Вэй",
            "year": 2, "group": "ПИ-24-1", "programme_code": "6B06102", "funding": "grant",
            "citizenship": "CHN"}
_APPEALED = {"result_id": 1, "discipline_code": "HIS101", "discipline_name": "История Казахстана",
             "discipline_name_kk": "Қазақстан тарихы", "discipline_name_en": "History of Kazakhstan",
             "credits": 5, "term": 1, "academic_year": "2025-2026", "attempt": 1, "points": 66, "letter": "C",
             "sheet_id": None, "published_on": "12.01.2026", "appeal_until": "13.01.2026"}
MODEL_INPUTS.update({
    "academic_leave": {"positive": {"student": _STUDENT},
                       "negative": {"student": {**_STUDENT, "citizenship": "KAZ"}}},
    "expulsion": {"positive": {"student": _STUDENT},
                  "negative": {"student": {**_STUDENT, "citizenship": "KAZ"}}},
    "transfer_out": {"positive": {"student": _STUDENT},
                     "negative": {"student": {**_STUDENT, "citizenship": "KAZ"}}},
    "foreign_registration": {
        "positive": {"student": _STUDENT, "registration_kind": "arrival", "arrival_date": "2026-09-01"},
        "negative": {"student": _STUDENT, "registration_kind": "deregistration",
                     "departure_date": "2026-09-01", "deregistration_reason": "expulsion",
                     "order_number": "1-у"}},
    **{pid: {variant: data for variant in ("positive", "negative")} for pid, data in {
        "contingent_order": {"order_kind": "promotion", "effective_date": "2026-09-01",
                             "students": [_STUDENT]},
        "vacant_grant": {"programme_group_code": "B057", "programme_group_name": "ИТ",
                         "programme_group_name_kk": "АТ", "grant_count": 1,
                         "application_deadline": "2026-09-01"},
        # tests/fixtures/messages: the data inputs the message models declare
        "msg_recognition": {"application_no": "R-1"}, "msg_decision_or_withdrawal": {"application_no": "R-1"},
        "msg_status": {"request_no": "Q-1"},
        "msg_payment": {"contract_no": "C-1"}, "msg_archive": {"request_no": "TR-1", "pages": 2}}.items()},
    "doc_review": {"positive": {"route": "task"}, "negative": {"route": "timer"}},
    # the procedures on the record: what the server adds once the application is checked against it
    # (server/services/record/procedures.py)
    "grade_appeal": {variant: {"student": _STUDENT, "discipline_code": "HIS101", "term": 1, "grounds": "—",
                               "appealed_result": _APPEALED} for variant in ("positive", "negative")},
    "retake": {"positive": {"student": _STUDENT, "disciplines": ["PHY102"], "payment_required": True,
                            "retake_items": [{**_APPEALED, "kind": "summer_semester", "paid": True}]},
               "negative": {"student": _STUDENT, "disciplines": ["PHY102"], "payment_required": False,
                            "retake_items": [{**_APPEALED, "kind": "final_control_retake", "paid": False}]}},
    "transcript": {variant: {"student": _STUDENT, "transcript_languages": "ru_kk_en", "copies": 1}
                   for variant in ("positive", "negative")},
})


# Models from other modelers kept to show how they are refused at deploy or stopped with a
# clear error (tests/integration/test_foreign_models.py): they have no run to round-trip.
NOT_RUNNABLE = frozenset({"data_store.bpmn", "lanes_mismatch.bpmn", "link_events.bpmn", "mutual_call.bpmn",
                          "recursive_call.bpmn", "mi_parallel_missing.bpmn", "mi_sequential_missing.bpmn"})


def _model_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.bpmn")) + sorted(p for p in FIXTURES.rglob("*.bpmn")
                                                     if p.name not in NOT_RUNNABLE)


def _sources_beside(path: Path) -> dict[str, str]:
    """The other models in the same folder (DMN decisions, called processes)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(path.parent.iterdir())
            if p.suffix in (".bpmn", ".dmn") and p != path}


def _context(tmp: Path) -> AppContext:
    settings = Settings(instance_dir=tmp, database_url=f"sqlite:///{tmp / 'unused.db'}",
                        secret_key="test", workflows_dir=WORKFLOWS, forms_dir=ROOT / "forms",
                        templates_dir=ROOT / "templates", config_dir=ROOT / "config",
                        background="none")
    return build_context(replace(settings), database=False)


def _compile(path: Path, ctx: AppContext) -> CompiledModel:
    try:
        return compile_model(path.name, path.read_text(encoding="utf-8"), _sources_beside(path),
                             form_exists=FORMS.exists, allowed_calls=ctx.script_functions.names)
    except ModelError as exc:  # pragma: no cover - reported as the test failure
        pytest.fail(f"{path.name} does not compile: {exc}")


def _cases() -> list[Any]:
    from lxml import etree

    params = []
    for path in _model_files():
        root = etree.parse(str(path)).getroot()
        ns = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
        for proc in root.iter(f"{ns}process"):
            if proc.get("isExecutable", "true").lower() == "true":
                for variant in ("positive", "negative"):
                    params.append(pytest.param(path, proc.get("id"), variant,
                                               id=f"{path.relative_to(ROOT)}:{proc.get('id')}:{variant}"))
    return params


def test_models_are_discovered():
    found = {p.name for p in _model_files()}
    assert {"transfer_in.bpmn", "approval.bpmn", "academic_leave_camunda.bpmn"} <= found
    assert len(_cases()) >= 2 * len(found)


# --- answers -----------------------------------------------------------------------------

def _schema_for(model: CompiledModel, form_key: str | None) -> tuple[dict[str, Any] | None, Any]:
    if not form_key:
        return None, None
    if form_key.startswith("camunda:"):
        schema = model.forms[form_key]
        return schema, camunda_validator(schema)
    return FORMS.load(form_key)


def _answer(schema: dict[str, Any] | None, validator: Any, negative: bool) -> dict[str, Any]:
    """The form's sample answer; the positive run says yes to every boolean, the negative
    run (on a task's first visit) says no and picks a non-positive choice."""
    if schema is None:
        return validate_submission(None, None, {})
    answer = sample_object(schema)
    for name, prop in (schema.get("properties") or {}).items():
        if name not in answer:
            continue
        if prop.get("type") == "boolean":
            answer[name] = not negative
        elif negative and prop.get("enum"):
            others = [v for v in prop["enum"] if v not in POSITIVE]
            answer[name] = others[0] if others else answer[name]
    return validate_submission(schema, validator, answer)


def _start_data(pid: str, variant: str) -> dict[str, Any]:
    data: dict[str, Any] = {"service_code": pid, "channel": "direct", "case_id": 1}
    if FORMS.exists(f"{pid}/register"):
        schema, validator = FORMS.load(f"{pid}/register")
        data["applicant"] = validate_submission(schema, validator, sample_object(schema))
    data.update(MODEL_INPUTS.get(pid, {}).get(variant, {}))
    return data


# --- the round trip ----------------------------------------------------------------------

def _snapshot(instance: Instance) -> dict[str, Any]:
    return {
        "ready": [(t.id, t.spec_name, t.name, t.lane, t.meta) for t in instance.ready_user_tasks()],
        "data": instance.data,
        "workflow_data": dict(instance.workflow.data),
        "started": instance.started_service_tasks(),
        "timers": instance.waiting_timers(),
        "messages": instance.waiting_messages(),
        "completed": instance.completed,
        "path": instance.completed_path(),
    }


def _fresh_bundle(bundle: ProcessBundle, model: CompiledModel, pid: str, step: int) -> ProcessBundle:
    """The same version parsed anew (as another worker process would), not the cached spec."""
    fresh = load_bundle(bundle.definition_id, pid, model.dialect, model.bundles[pid],
                        model.task_meta[pid], f"{model.hashes[pid]}#roundtrip-{step}")
    assert fresh.spec is not bundle.spec
    return fresh


def _round_trip(instance: Instance, model: CompiledModel, pid: str, step: int, ctx: AppContext) -> Instance:
    state = instance.dump()
    stored = json.loads(state)
    assert "spec" not in stored and "subprocess_specs" not in stored, "state must not carry the spec"
    restored = Instance.restore(_fresh_bundle(instance.bundle, model, pid, step), state,
                                ctx.script_functions, ctx.async_operators)
    assert _snapshot(restored) == _snapshot(instance), f"step {step}: restored instance differs"
    assert restored.dump() == state, f"step {step}: dump of the restored instance differs"
    # the case view reads the data from the stored state without restoring the workflow
    assert Instance.stored_data(instance.bundle, state) == restored.data == instance.data, \
        f"step {step}: data read from the stored state differs"
    assert restored.workflow.script_engine is restored.script_engine  # trap 1: engine re-attached
    return restored


def _advance(instance: Instance, model: CompiledModel, variant: str, visits: dict[str, int], *,
             may_fire: bool) -> str | None:
    """Take the next step of the walk: complete the first ready user task (its spec name is
    returned), else finish a started service task ("service"), else fire the timers ("timer"),
    else deliver a message a catch waits for ("message"); None when only waits remain."""
    ready = instance.ready_user_tasks()
    started = instance.started_service_tasks()
    if ready:
        task = ready[0]
        visits[task.spec_name] = visits.get(task.spec_name, 0) + 1
        negative = variant == "negative" and visits[task.spec_name] == 1
        schema, validator = _schema_for(model, task.meta.get("form_key"))
        instance.complete_user_task(task.id, _answer(schema, validator, negative))
        return task.spec_name
    if started:
        instance.complete_service_task(started[0], DOCUMENT_RESULT)
        with pytest.raises(TaskNotReady):  # finished: a re-run of the job is refused
            instance.complete_service_task(started[0], DOCUMENT_RESULT)
        return "service"
    if instance.waiting_timers() and may_fire:
        # Only timers remain: move the clock past them and fire (restored state, too).
        due = max(t.due_at for t in instance.waiting_timers())
        with time_machine.travel(due + timedelta(seconds=1), tick=False):
            instance.fire_due_timers()
        return "timer"
    if instance.waiting_messages():
        # A message catch waits: deliver its message (the correlation it expects, no payload).
        wait = instance.waiting_messages()[0]
        instance.deliver_message(wait.task_id, wait.name, {}, wait.expected)
        return "message"
    return None


@pytest.mark.parametrize(("path", "pid", "variant"), _cases())
def test_model_round_trips_at_every_step(tmp_path, path, pid, variant):
    ctx = _context(tmp_path)
    model = _compile(path, ctx)
    assert pid in model.ids
    bundle = load_bundle(0, pid, model.dialect, model.bundles[pid], model.task_meta[pid], model.hashes[pid])

    instance = ctx.new_instance(bundle, _start_data(pid, variant))
    instance.run()
    visits: dict[str, int] = {}
    done_user_tasks: list[str] = []
    fired = 0
    for step in range(MAX_STEPS):
        instance = _round_trip(instance, model, pid, step, ctx)
        if instance.completed:
            break
        action = _advance(instance, model, variant, visits, may_fire=fired < MAX_TIMER_FIRES)
        if action is None:
            break  # only waits remain
        if action == "timer":
            fired += 1
        elif action not in ("service", "message"):
            done_user_tasks.append(action)
    else:
        pytest.fail(f"{pid} ({variant}) did not finish in {MAX_STEPS} steps: {done_user_tasks}")

    instance = _round_trip(instance, model, pid, MAX_STEPS, ctx)
    assert done_user_tasks, "the run completed no user task"
    assert instance.completed or instance.waiting_timers(), \
        f"{pid} ({variant}) stopped with nothing to wait for after {done_user_tasks}"
    assert not instance.ready_user_tasks() and not instance.started_service_tasks()
    if instance.completed:
        assert not instance.waiting_timers(), "a finished case keeps no timers"
    if variant == "negative" and any(n > 1 for n in visits.values()):
        # A loop was taken (e.g. documents returned for completion): still consistent.
        assert len(done_user_tasks) > len(visits)


def test_transfer_in_paths_reach_their_outcomes(tmp_path):
    """The generic driver really walks the procedure: issued on the positive path (order
    rendered through the async service task), issued through a batch order when the registrar
    ticks «В сводный приказ» (the case waits at `order/await_batch` instead), refused by the
    dean on the negative one."""
    ctx = _context(tmp_path)
    path = WORKFLOWS / "transfer_in.bpmn"
    model = _compile(path, ctx)
    outcomes = {}
    for variant in ("positive", "batch", "negative"):
        bundle = load_bundle(0, "transfer_in", model.dialect, model.bundles["transfer_in"],
                             model.task_meta["transfer_in"], model.hashes["transfer_in"])
        instance = Instance.start(bundle, _start_data("transfer_in", variant), ctx.script_functions,
                                  ctx.async_operators)
        calls = instance.run()
        seen: list[str] = []
        visits: dict[str, int] = {}
        for step in range(MAX_STEPS):
            instance = _round_trip(instance, model, "transfer_in", step, ctx)
            if instance.completed:
                break
            if instance.started_service_tasks():
                letter = next((c for c in calls if c.is_async), None)
                if letter is not None and (letter.operator == "letter/military_notice"
                                           or letter.params.get("register") == "letters"):
                    seen.append(letter.spec_name)  # the letters after the order's registry step
                    calls = instance.complete_service_task(instance.started_service_tasks()[0],
                                                           {"issued": True, "number": "1-п"})
                    continue
                if variant == "batch":
                    assert [c.operator for c in calls] == ["order/await_batch"] and calls[0].params == {}
                    seen.append("await_batch_order")
                else:
                    assert [c.operator for c in calls] == ["document/render"]
                    assert calls[0].params == {"template": "order_transfer_in", "register": "orders"}
                    seen.append("generate_order")
                calls = instance.complete_service_task(instance.started_service_tasks()[0], DOCUMENT_RESULT)
                continue
            task = instance.ready_user_tasks()[0]
            visits[task.spec_name] = visits.get(task.spec_name, 0) + 1
            schema, validator = _schema_for(model, task.meta["form_key"])
            answer = _answer(schema, validator, variant == "negative" and visits[task.spec_name] == 1)
            if task.spec_name == "check_documents":
                answer["batch_order"] = variant == "batch"
            calls = instance.complete_user_task(task.id, answer)
            seen.append(task.spec_name)
        assert instance.completed
        outcomes[variant] = (instance.data.get("outcome"), seen)
    # final_year=True makes the DMN limit 0, so 1 credit of difference means a lower year.
    before = ["check_documents", "determine_difference", "enrol_lower_year", "check_grant", "vr_approval"]
    letters = ["military_notice", "generate_personal_file_request", "request_personal_file"]
    single = [*before, "generate_order", "sign_order", *letters]
    assert outcomes["positive"] == ("issued", single)
    assert outcomes["batch"] == ("issued", [*before, "await_batch_order", *letters])
    outcome, seen = outcomes["negative"]
    assert outcome == "refused"
    assert seen[:3] == ["check_documents", "resubmit_application", "check_documents"]
    assert seen[-1] == "determine_difference"


def _observed(instance: Instance) -> dict[str, Any]:
    """What a run shows at a step, without task ids and due times (they differ between runs)."""
    return {
        "ready": [(t.spec_name, t.lane) for t in instance.ready_user_tasks()],
        "data": instance.data,
        "workflow_data": dict(instance.workflow.data),
        "started": len(instance.started_service_tasks()),
        "timers": [t.spec_name for t in instance.waiting_timers()],
        "completed": instance.completed,
        # As a multiset: the walk fires timers by moving the clock forward and back, so the
        # completion times the path is sorted by are not monotonic here.
        "path": sorted(instance.completed_path()),
    }


@pytest.mark.parametrize(("path", "pid", "variant"), _cases())
def test_history_compaction_changes_nothing_a_model_does(tmp_path, monkeypatch, path, pid, variant):
    """Every model walked twice, saved and restored at each step: never compacted, and compacted
    after every step (server/engine/compaction.py, threshold 0). Each step shows the same."""
    ctx = _context(tmp_path)
    model = _compile(path, ctx)
    runs = []
    start = utcnow()
    for threshold in (10**9, 0):
        monkeypatch.setattr(compaction, "COMPACT_AFTER", threshold)
        bundle = load_bundle(0, pid, model.dialect, model.bundles[pid], model.task_meta[pid],
                             model.hashes[pid])
        # both walks start at the same instant: a script that reads the clock (now()) sees the same
        with time_machine.travel(start, tick=False):
            instance = ctx.new_instance(bundle, _start_data(pid, variant))
            instance.run()
        seen, visits, fired = [], {}, 0
        for _ in range(MAX_STEPS):
            state = instance.dump()
            instance = Instance.restore(bundle, state, ctx.script_functions, ctx.async_operators)
            assert Instance.stored_data(bundle, state) == instance.data  # compacted state, too
            seen.append(_observed(instance))
            if instance.completed:
                break
            action = _advance(instance, model, variant, visits, may_fire=fired < MAX_TIMER_FIRES)
            if action is None:
                break
            fired += action == "timer"
        runs.append((seen, instance.history.pruned))
    (plain, never_pruned), (compacted, _pruned) = runs
    assert never_pruned == 0
    for step, (expected, got) in enumerate(zip(plain, compacted, strict=True)):
        assert got == expected, f"step {step} differs when compacted"
