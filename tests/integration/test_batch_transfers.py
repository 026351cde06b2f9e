"""Approved transfers collected into one batch order (procedure 11, order_kind `transfer`): the
registrar marks a transfer_in case «В сводный приказ», after the vice-rector's approval it waits
(`order/await_batch`, no order of its own); POST /api/v1/contingent-orders/transfers collects
every waiting case into one contingent order, approved and numbered once; the rector's signature
releases each case with the order's number, a refusal puts them back to waiting. A case is never
in two batch orders, even when two registrars collect at the same instant."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import BatchOrderItem
from server.services.procedures import deployments
from tests.integration.api import case_view, complete, document_parts, history_kinds, spec_names
from tests.integration.procs import sign_order
from tests.integration.test_concurrency import race
from tests.integration.test_transfer_in import TO_ORDER, _start
from tests.integration.web import Staff, text

API = "/api/v1/contingent-orders/transfers"
HOSTILE = "КарУ <b> & {{ x }}"
# three students waiting for the batch order: (faculty, last name, first name, sex)
WAITING = [("IT", "Абенов", "Алмас", "M"), ("IT", "Ержанова", "Айгерим", "F"),
           ("ECON", "Касымов", "Данияр", "M")]
DEANS = {"IT": "dean_it", "ECON": "dean_econ"}


@pytest.fixture
def deployed(ctx, people):  # type: ignore[no-untyped-def]
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _approved(client, people, n: int, faculty: str, last: str, first: str, sex: str,
              batch: bool = True, sending: str = "КарУ им. Букетова") -> int:
    """A paid-basis transfer_in case taken through the vice-rector's approval."""
    iin = make_iin(date(2004, 1 + n, 10 + n), sex, 5000 + n)
    cid = _start(client, people, iin=iin, last_name=last, first_name=first, middle_name="",
                 faculty_code=faculty, sending_university=sending,
                 sending_university_kk=f"{sending} (қаз.)")["id"]
    users = {"check_documents": "registrar", "determine_difference": DEANS[faculty],
             "paid_contract": "accountant", "vr_approval": "vicerector"}
    for spec, data in TO_ORDER.items():
        if spec == "check_documents":
            data = {**data, "batch_order": batch}
        complete(client, people, users[spec], cid, spec, data)
    return cid


def _waiting_cases(client, people) -> list[int]:
    return [_approved(client, people, n, *row, sending=HOSTILE if n == 0 else "КарУ им. Букетова")
            for n, row in enumerate(WAITING)]


def _collect(client, people, user="registrar", status=201, **body) -> dict:
    r = client.post(API, headers=people[user], json=body)
    assert r.status_code == status, r.json
    return r.json


def _approve_batch(client, people, ctx, batch_id: int) -> dict:
    complete(client, people, "head", batch_id, "head_review", {"head_decision": "approve"})
    complete(client, people, "vicerector", batch_id, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    view = sign_order(client, people, batch_id, completed_tasks=3)
    drain(ctx)  # each collected transfer's letters (tests/integration/test_letters.py)
    return view


def _items(ctx) -> list[BatchOrderItem]:
    with ctx.db.read() as session:
        return list(session.scalars(select(BatchOrderItem).order_by(BatchOrderItem.case_id)))


def test_waiting_transfers_collected_into_one_signed_order(client, ctx, deployed):
    people = deployed
    waiting = _waiting_cases(client, people)
    single = _approved(client, people, 9, "IT", "Нурланов", "Ерлан", "M", batch=False)
    for cid in waiting:
        view = case_view(client, people, cid)
        assert view["status"] == "in_progress" and spec_names(view) == [] and view["documents"] == []
        assert "batch_order_awaited" in history_kinds(view)
    assert drain(ctx) == 2  # the single-order case's order only (its render and its PDF)
    assert spec_names(case_view(client, people, single)) == ["sign_order"]

    _collect(client, people, user="dean_it", status=403)
    body = _collect(client, people, effective_date="2026-09-01")
    batch_id = body["id"]
    assert body["process_id"] == "contingent_order" and spec_names(body) == ["head_review"]
    assert body["data"]["order_kind"] == "transfer" and body["data"]["student_count"] == 3
    assert [s["case_id"] for s in body["data"]["students"]] == waiting
    assert single not in body["data"]["transfer_cases"]
    empty = _collect(client, people, status=422)
    assert "Нет дел, ожидающих сводного приказа" in empty["message"]

    view = _approve_batch(client, people, ctx, batch_id)
    number = view["documents"][0]["number"]
    assert [d["number"] for d in view["documents"]] == [number, number] and number == "2-у"
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    paragraphs, cells = document_parts(client, people, ru)
    text = "\n".join(paragraphs)
    assert f"№ {number}" in text and "О зачислении в порядке перевода" in text
    assert "1. Зачислить в порядке перевода с 01.09.2026 следующих обучающихся:" in text
    assert {"Абенова Алмаса", "Ержанову Айгерим", "Касымова Данияра"} <= set(cells)  # accusative
    assert f"из «{HOSTILE}»" in cells  # the data printed literally, never as markup or a tag
    kk = next(d for d in view["documents"] if d["language"] == "kk")
    kk_paragraphs, kk_cells = document_parts(client, people, kk)
    assert "ауыстыру тәртібімен қабылдансын" in "\n".join(kk_paragraphs)
    assert "Абенов Алмас" in kk_cells and f"«{HOSTILE} (қаз.)» ЖОО-дан" in kk_cells

    for cid in waiting:
        case = case_view(client, people, cid)
        assert spec_names(case) == ["request_personal_file"] and case["outcome"] == "issued"
        order = case["data"]["order"]
        assert order["number"] == number and order["batch_case_id"] == batch_id
        assert order["documents"] == [d["id"] for d in view["documents"]] and order["date"]
        included = [e["payload"] for e in case["history"] if e["kind"] == "batch_order_included"]
        assert [(e["number"], e["batch_case_id"]) for e in included] == [(number, batch_id)]
    assert {i.status for i in _items(ctx)} == {"released"}
    single_view = case_view(client, people, single)  # untouched: its own order, still to sign
    assert spec_names(single_view) == ["sign_order"] and single_view["documents"][0]["number"] == "1-у"
    complete(client, people, "registrar", waiting[0], "request_personal_file", {
        "personal_file_request_date": "2026-09-03", "personal_file_request_number": "01-12/7",
        "personal_file_request_method": "email"})
    assert case_view(client, people, waiting[0])["status"] == "completed"


@pytest.mark.parametrize("step", ["head", "vice_rector", "cancel"])
def test_refused_batch_returns_the_cases_to_waiting(client, ctx, deployed, step):
    people = deployed
    waiting = [_approved(client, people, n, *row) for n, row in enumerate(WAITING[:2])]
    first = _collect(client, people)["id"]
    if step == "cancel":  # the office withdraws the draft order
        r = client.post(f"/api/v1/cases/{first}/cancel", headers=people["registrar"],
                        json={"reason": "Сформирован по ошибке"})
        assert r.status_code == 200, r.json
    elif step == "head":
        complete(client, people, "head", first, "head_review", {
            "head_decision": "reject", "head_refusal_ground": "other", "head_comment": "Позже"})
    else:
        complete(client, people, "head", first, "head_review", {"head_decision": "approve"})
        complete(client, people, "vicerector", first, "vice_rector_approve",
                 {"vr_decision": "reject", "vr_refusal_ground": "other", "vr_comment": "Позже"})
    assert case_view(client, people, first)["status"] == ("cancelled" if step == "cancel" else "rejected")
    for cid in waiting:
        view = case_view(client, people, cid)
        assert view["status"] == "in_progress" and spec_names(view) == [] and "order" not in view["data"]
        assert [e["payload"]["batch_case_id"] for e in view["history"]
                if e["kind"] == "batch_order_refused"] == [first]
    assert [(i.status, i.batch_case_id) for i in _items(ctx)] == [("waiting", None)] * 2

    second = _collect(client, people, process_id="transfer_in")  # collected again
    assert [s["case_id"] for s in second["data"]["students"]] == waiting
    view = _approve_batch(client, people, ctx, second["id"])
    for cid in waiting:
        assert case_view(client, people, cid)["data"]["order"]["number"] == view["documents"][0]["number"]


def test_collect_filters_by_faculty(client, ctx, deployed):
    people = deployed
    waiting = _waiting_cases(client, people)
    econ = _collect(client, people, faculty_code="ECON")
    assert [s["case_id"] for s in econ["data"]["students"]] == [waiting[2]]
    it = _collect(client, people)
    assert [s["case_id"] for s in it["data"]["students"]] == waiting[:2]
    assert _collect(client, people, faculty_code="NOPE", status=422)["fields"] == {
        "faculty_code": "Нет факультета с кодом NOPE"}
    assert _collect(client, people, process_id="expulsion", status=422)["fields"]["process_id"]


def test_two_registrars_collect_at_once(app, client, ctx, deployed):
    """Both collect at the same instant: every waiting case lands in exactly one batch order
    (one request takes all, the other finds nothing — or they split them), nothing twice."""
    people = deployed
    waiting = _waiting_cases(client, people)
    responses = race(app, [lambda c, u=user: c.post(API, headers=people[u], json={})
                           for user in ("registrar", "head")])
    assert all(r.status_code in (201, 409, 422) for r in responses), [r.json for r in responses]
    batches = [r.json for r in responses if r.status_code == 201]
    assert batches
    listed = [s["case_id"] for b in batches for s in b["data"]["students"]]
    assert sorted(listed) == waiting  # each case in exactly one batch order
    items = _items(ctx)
    assert {i.status for i in items} == {"collected"}
    assert {i.batch_case_id for i in items} == {b["id"] for b in batches}
    for r in responses:
        if r.status_code == 422:
            assert "Нет дел, ожидающих сводного приказа" in r.json["message"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_staff_page_lists_and_collects(app, client, ctx, deployed):
    people = deployed
    cid = _approved(client, people, 0, *WAITING[0])
    registrar = Staff(app, "registrar")
    page = text(registrar.get("/app/batch-transfers/"))
    assert "Сводный приказ о переводе" in page and "Ожидают: 1" in page and "Абенов Алмас" in page
    assert "Ауыстыру туралы жиынтық бұйрық" in text(Staff(app, "registrar", lang="kk")
                                                    .get("/app/batch-transfers/?faculty=IT"))
    assert "Ожидают: 0" in text(registrar.get("/app/batch-transfers/?faculty=ECON"))
    r = registrar.post("/app/batch-transfers/", {"effective_date": "2026-09-01", "faculty": ""})
    batch_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert [s["case_id"] for s in case_view(client, people, batch_id)["data"]["students"]] == [cid]
    assert "Нет дел о переводе, ожидающих сводного приказа." in text(registrar.get("/app/batch-transfers/"))
    again = registrar.post("/app/batch-transfers/", {"effective_date": ""}, status=422)
    assert "Нет дел, ожидающих сводного приказа" in text(again.get_data(as_text=True))
    Staff(app, "dean_it").get("/app/batch-transfers/", status=403)


def _internal_waiting(client, ctx, people) -> int:
    """A transfer_internal case (grant kept, 6 credits of difference) approved into waiting."""
    from tests.integration.api import add_student, start_case
    from tests.integration.test_transfer_internal import CHECKED, DIFFERENCE_6, GRANT_KEPT

    student = add_student(ctx, make_iin(date(2005, 2, 14), "F", 2718), last_name="Петрова",
                          first_name="Анна", middle_name="Ивановна", sex="F", year=3)
    cid = start_case(client, people, "transfer_internal", student)["id"]
    for user, spec, data in (("registrar", "check_documents", {**CHECKED, "batch_order": True}),
                             ("dean_it", "dean_review", DIFFERENCE_6),
                             ("registrar", "check_grant", GRANT_KEPT),
                             ("vicerector", "vice_rector_approve", {"vr_decision": "approve"})):
        complete(client, people, user, cid, spec, data)
    assert spec_names(case_view(client, people, cid)) == []
    return cid


def test_internal_and_incoming_transfers_in_one_order(client, ctx, deployed):
    """A transfer inside the university waits the same way; with one from another university
    the order is worded «О переводе обучающихся» and each line says where the student comes from."""
    people = deployed
    incoming = _approved(client, people, 0, *WAITING[0])
    internal = _internal_waiting(client, ctx, people)
    assert drain(ctx) == 0  # neither gets an order of its own
    only = _collect(client, people, process_id="transfer_internal")
    assert only["data"]["order_kind"] == "transfer_internal"
    assert [s["case_id"] for s in only["data"]["students"]] == [internal]
    complete(client, people, "head", only["id"], "head_review", {"head_decision": "reject",
             "head_refusal_ground": "other", "head_comment": "Вместе с остальными"})
    body = _collect(client, people)  # both, after the refusal
    assert body["data"]["order_kind"] == "transfer_internal"
    assert sorted(s["case_id"] for s in body["data"]["students"]) == [incoming, internal]
    view = _approve_batch(client, people, ctx, body["id"])
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    paragraphs, cells = document_parts(client, people, ru)
    text_ru = "\n".join(paragraphs)
    assert "О переводе обучающихся" in text_ru and "1. Перевести с " in text_ru
    assert {"Петрову Анну Ивановну", "6B04101 Экономика", "с программы 6B06102"} <= set(cells)
    assert "Абенова Алмаса" in cells and "из «КарУ им. Букетова»" in cells
    moved = case_view(client, people, internal)
    assert moved["status"] == "completed" and moved["outcome"] == "issued"
    assert moved["data"]["order"]["number"] == view["documents"][0]["number"]
    assert "batch_order_included" in history_kinds(moved)
    assert spec_names(case_view(client, people, incoming)) == ["request_personal_file"]


def test_a_case_in_a_draft_batch_order_is_not_cancelled_until_the_order_ends(client, ctx, deployed):
    """The draft order already names the student: cancelling the case is refused (409, nothing
    changes) while the batch order is open; once the office cancels the batch order, the case
    can be withdrawn and the order collected again without it."""
    people = deployed
    leaving, staying = (_approved(client, people, n, *row) for n, row in enumerate(WAITING[:2]))
    batch = _collect(client, people)["id"]
    before = case_view(client, people, leaving)

    r = client.post(f"/api/v1/cases/{leaving}/cancel", headers=people["registrar"],
                    json={"reason": "Заявление отозвано студентом"})
    assert r.status_code == 409, r.json
    assert f"сводного приказа (дело № {batch})" in r.json["message"]
    assert r.json["fields"] == {"case_id": f"В сводном приказе, дело № {batch}"}
    after = case_view(client, people, leaving)
    assert (after["status"], after["history"]) == (before["status"], before["history"])
    assert [(i.case_id, i.status, i.batch_case_id) for i in _items(ctx)] == \
        [(leaving, "collected", batch), (staying, "collected", batch)]

    r = client.post(f"/api/v1/cases/{batch}/cancel", headers=people["registrar"],
                    json={"reason": "Студент отозвал заявление: приказ будет сформирован заново"})
    assert r.status_code == 200, r.json
    r = client.post(f"/api/v1/cases/{leaving}/cancel", headers=people["registrar"],
                    json={"reason": "Заявление отозвано студентом"})
    assert r.status_code == 200 and r.json["status"] == "cancelled", r.json
    again = _collect(client, people)
    assert [s["case_id"] for s in again["data"]["students"]] == [staying]
