"""The contingent movement report counted from the registry's recorded changes
(`student_changes`): real orders through the workflows (an enrolment order of 3 shows 3, an
expulsion shows its ground in words), and a year of generated orders of every kind applied by
the registry operators, reconciled per faculty and in total (opening + movements = closing)
against a model of the registry kept by the test."""

from __future__ import annotations

import io
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from openpyxl import load_workbook

from server.auth import Actor
from server.domain.iin import make_iin
from server.engine import ServiceCall
from server.jobs.inprocess import drain
from server.models import Case, Document
from server.services.procedures.deployments import latest_definition_id
from server.services.students.registry import apply_registry_call
from tests.integration.api import complete, start_case
from tests.integration.procs import add_student, add_user, deploy_all, sign_order
from tests.integration.test_contingent_order import _rows
from tests.integration.test_expulsion import _start, _to_order
from tests.integration.test_registry_batch import _order
from tests.integration.test_transfer_internal import CHECKED, DIFFERENCE_6, GRANT_KEPT

URL = "/api/v1/reports/contingent"
PROGRAMMES = {"IT": [("6B06102", "Программная инженерия"), ("6B06101", "Информационные системы")],
              "ECON": [("6B04101", "Финансы")]}
GROUNDS = {"academic_failure": "академическая неуспеваемость", "own_will": "по собственному желанию",
           "non_payment": "неоплата обучения"}


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    add_user(ctx, people, "lawyer", "lawyer")
    return people


def _today(ctx) -> str:
    return datetime.now(UTC).astimezone(ctx.tz).date().isoformat()


def test_real_orders_enrolment_of_three_an_expulsion_with_its_ground_an_internal_transfer(client, ctx, env):
    expelled = add_student(ctx, serial=7001)  # IT, loaded by the import: in the opening count
    add_student(ctx, serial=7002, faculty_code="ECON", programme_code="6B04101", programme_name="Финансы")
    moved = add_student(ctx, serial=7003, year=2)  # IT, 6B06102, grant: changes programme
    rows = _rows(3)
    for row in rows:
        row[7] = "1"
    _order(client, ctx, env, rows, "enrolment")
    cid = _start(client, env, expelled)["id"]
    _to_order(client, env, cid)
    assert drain(ctx) >= 1
    sign_order(client, env, cid, completed_tasks=5, ctx=ctx, documents=2)
    # an internal transfer through its workflow: 6B06102 → 6B04101, the grant kept
    cid = start_case(client, env, "transfer_internal", moved)["id"]
    complete(client, env, "registrar", cid, "check_documents", CHECKED)
    complete(client, env, "dean_it", cid, "dean_review", DIFFERENCE_6)
    complete(client, env, "registrar", cid, "check_grant", GRANT_KEPT)
    complete(client, env, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    drain(ctx)
    complete(client, env, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-07-10"})

    today = _today(ctx)
    r = client.get(f"{URL}?from={today}&to={today}", headers=env["head"])
    assert r.status_code == 200, r.json
    report = r.json
    totals = report["totals"]
    assert (totals["opening"], totals["enrolled"], totals["expelled"], totals["closing"]) == (3, 3, 1, 5)
    assert (totals["internal_in"], totals["internal_out"]) == (1, 1)
    assert totals["internal_by_reason"] == {"transfer_internal": 1}
    lines = {(x["faculty_code"], x["programme_code"], x["funding"]): x for x in report["rows"]}
    assert lines["IT", "6B06102", "grant"]["internal_out"] == 1
    assert lines["IT", "6B04101", "grant"]["internal_in"] == 1
    assert lines["IT", "6B04101", "grant"]["programme"]["ru"] == "Экономика"
    assert totals["expelled_by_ground"] == {"academic_failure": 1}
    assert report["grounds"]["academic_failure"]["ru"] == "академическая неуспеваемость"
    assert report["grounds"]["academic_failure"]["kk"] == "академиялық үлгермеушілік"
    faculties = {f["faculty_code"]: f for f in report["faculties"]}
    enrolled_by_faculty = Counter(row[4] for row in rows)
    assert faculties["IT"]["enrolled"] == enrolled_by_faculty["IT"] and faculties["IT"]["expelled"] == 1
    assert faculties["ECON"]["enrolled"] == enrolled_by_faculty["ECON"]
    assert all(f["balanced"] for f in report["faculties"]) and totals["balanced"]
    it_row = next(x for x in report["rows"] if x["faculty_code"] == "IT" and x["expelled"])
    assert it_row["form_name"]["ru"] == "очная" and it_row["funding_name"]["kk"] == "мемлекеттік грант"
    assert it_row["citizenship_name"]["en"] == "Kazakhstan"


# -- a year of generated orders ------------------------------------------------------------------


class Registry:
    """The test's own model of the registry: who is where, in which status."""

    def __init__(self) -> None:
        self.students: dict[str, dict] = {}

    def contingent_by_faculty(self) -> Counter:
        return Counter(s["faculty_code"] for s in self.students.values()
                       if s["status"] in ("active", "on_leave"))

    def pick(self, rng: random.Random, *statuses: str) -> str | None:
        found = sorted(i for i, s in self.students.items() if s["status"] in statuses)
        return rng.choice(found) if found else None


class Orders:
    """Each order: a case of its procedure and the registry operator the workflow would run,
    applied at a given moment (the change is recorded at that time)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.serial = 100
        self.number = 0

    def apply(self, when: datetime, process: str, operator: str, params: dict,
              ground: tuple[str, str] | None = None) -> None:
        self.number += 1
        params = {**params, "order_number": f"{self.number}-у"}
        with time_machine.travel(when, tick=False), self.ctx.db.unit_of_work() as session:
            case = Case(definition_id=latest_definition_id(session, "academic_leave"), process_id=process,
                        channel="direct", status="completed", outcome="issued", received_at=when,
                        decided_at=when, state="{}", serializer_version="")
            session.add(case)
            session.flush()
            if ground is not None:  # the expulsion order's context prints the ground
                iin, words = ground
                session.add(Document(
                    case_id=case.id, kind="order_expulsion", template="order_expulsion_ru.docx",
                    language="ru", register="orders", year=when.year, seq=self.number,
                    number=f"{self.number}-у", filename="o.docx", media_type="x", content=b"x",
                    sha256="0" * 64, context={"students": [{"iin": iin, "ground_ru": words}]}))
            call = ServiceCall(str(uuid.uuid4()), "registry_step", operator, params, False)
            apply_registry_call(self.ctx, session, case, call, Actor.system())

    def new_person(self, faculty: str, rng: random.Random) -> dict:
        self.serial += 1
        code, name = rng.choice(PROGRAMMES[faculty])
        sex = rng.choice("MF")
        return {"iin": make_iin(date(2005, 1 + self.serial % 12, 1 + self.serial % 27), sex, self.serial),
                "last_name": "Студент", "first_name": f"Н{self.serial}", "faculty_code": faculty,
                "programme_code": code, "programme_name": name, "year": 1, "form": "full_time",
                "language": rng.choice(("ru", "kk")), "funding": rng.choice(("grant", "paid")),
                "citizenship": rng.choice(("KAZ", "KAZ", "KAZ", "UZB"))}


def _at(ctx, day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ctx.tz).astimezone(UTC)


def _one_order(rng: random.Random, orders: Orders, reg: Registry, when: datetime,
               counted: dict[str, Counter] | None) -> None:
    """One random order of any kind; `counted` (faculty -> category counts) when in the period."""
    def count(faculty: str, what: str, n: int = 1) -> None:
        if counted is not None:
            counted[faculty][what] += n

    kind = rng.choice(("enrol", "expel", "transfer_out", "transfer_in", "internal", "leave", "return",
                       "graduate", "reinstate", "grant"))
    if kind == "enrol":
        persons = [orders.new_person(rng.choice(("IT", "ECON")), rng) for _ in range(rng.randint(1, 4))]
        orders.apply(when, "contingent_order", "student/enrol", {"status": "active", "students": persons})
        for p in persons:
            reg.students[p["iin"]] = {**p, "status": "active"}
            count(p["faculty_code"], "enrolled")
    elif kind == "transfer_in":
        p = orders.new_person(rng.choice(("IT", "ECON")), rng)
        orders.apply(when, "transfer_in", "student/enrol", {"status": "active", "student": p})
        reg.students[p["iin"]] = {**p, "status": "active"}
        count(p["faculty_code"], "transferred_in")
    elif kind in ("expel", "transfer_out", "graduate"):
        iin = reg.pick(rng, "active")
        if iin is None:
            return
        s = reg.students[iin]
        if kind == "expel":
            code = rng.choice(sorted(GROUNDS))
            orders.apply(when, "expulsion", "student/update", {"status": "expelled", "students": [iin]},
                         ground=(iin, GROUNDS[code]))
            count(s["faculty_code"], "expelled")
            count(s["faculty_code"], f"ground:{code}")
            s["status"] = "expelled"
        else:
            status = "transferred_out" if kind == "transfer_out" else "graduated"
            orders.apply(when, kind if kind == "transfer_out" else "contingent_order", "student/update",
                         {"status": status, "students": [iin]})
            count(s["faculty_code"], "transferred_out" if kind == "transfer_out" else "graduated")
            s["status"] = status
    elif kind == "internal":
        iin = reg.pick(rng, "active")
        if iin is None:
            return
        s = reg.students[iin]
        target = "ECON" if s["faculty_code"] == "IT" else "IT"
        code, name = rng.choice(PROGRAMMES[target])
        orders.apply(when, "transfer_internal", "student/update", {"students": [
            {"iin": iin, "faculty_code": target, "programme_code": code, "programme_name": name}]})
        count(s["faculty_code"], "internal_out")
        count(target, "internal_in")
        s.update(faculty_code=target, programme_code=code)
    elif kind in ("leave", "return"):
        iin = reg.pick(rng, "active" if kind == "leave" else "on_leave")
        if iin is None:
            return
        s = reg.students[iin]
        status = "on_leave" if kind == "leave" else "active"
        orders.apply(when, "academic_leave", "student/update", {"status": status, "students": [iin]})
        count(s["faculty_code"], "leave_started" if kind == "leave" else "leave_ended")
        s["status"] = status
    elif kind == "reinstate":
        iin = reg.pick(rng, "expelled")
        if iin is None:
            return
        s = reg.students[iin]
        person = {k: s[k] for k in ("iin", "last_name", "first_name", "faculty_code", "programme_code",
                                    "programme_name", "year")}
        orders.apply(when, "reinstatement", "student/enrol", {"status": "active", "student": person})
        count(s["faculty_code"], "reinstated")
        s["status"] = "active"
    elif kind == "grant":  # a vacant grant: the same faculty and programme, another funding line
        iin = next((i for i in sorted(reg.students) if reg.students[i]["status"] == "active"
                    and reg.students[i]["funding"] == "paid"), None)
        if iin is None:
            return
        orders.apply(when, "vacant_grant", "student/update",
                     {"students": [iin], "changes": {"funding": "grant"}})
        count(reg.students[iin]["faculty_code"], "internal_out")
        count(reg.students[iin]["faculty_code"], "internal_in")
        reg.students[iin]["funding"] = "grant"


def test_a_year_of_orders_reconciles_per_faculty_and_in_total(client, ctx, env):
    rng = random.Random(19)
    reg, orders = Registry(), Orders(ctx)
    for n in range(8):  # loaded by the import, before any order
        faculty = "IT" if n % 2 else "ECON"
        code, name = PROGRAMMES[faculty][0]
        iin = make_iin(date(2004, 5, 1 + n), "M" if n % 3 else "F", 50 + n)
        add_student(ctx, iin=iin, faculty_code=faculty, programme_code=code, programme_name=name,
                    funding="paid", sex="M")
        reg.students[iin] = {"iin": iin, "faculty_code": faculty, "programme_code": code, "status": "active",
                             "funding": "paid", "last_name": "Иванов", "first_name": "Пётр",
                             "programme_name": name, "year": 2}
    first, last = date(2025, 9, 1), date(2026, 8, 31)
    for day in (date(2025, 8, 5), date(2025, 8, 20), date(2025, 8, 31)):  # before the period
        _one_order(rng, orders, reg, _at(ctx, day), None)
    # an order at 23:00 local on the day before the period: before it
    _one_order(rng, orders, reg, _at(ctx, date(2025, 8, 31), 23), None)
    opening = reg.contingent_by_faculty()
    counted: dict[str, Counter] = defaultdict(Counter)
    for month in range(12):
        year, mon = (2025, 9 + month) if month < 4 else (2026, month - 3)
        for day in sorted(rng.sample(range(1, 28), 4)):
            _one_order(rng, orders, reg, _at(ctx, date(year, mon, day)), counted)
    # the last local minutes of the period count; the first of the next day do not
    _one_order(rng, orders, reg, _at(ctx, last, 23), counted)
    closing = reg.contingent_by_faculty()
    for day in (date(2026, 9, 1), date(2026, 10, 15)):  # after the period: undone to the closing
        _one_order(rng, orders, reg, _at(ctx, day, 0), None)

    r = client.get(f"{URL}?from={first}&to={last}", headers=env["head"])
    assert r.status_code == 200, r.json
    report = r.json
    faculties = {f["faculty_code"]: f for f in report["faculties"]}
    assert set(faculties) == {"IT", "ECON"}
    categories = ("enrolled", "transferred_in", "reinstated", "internal_in", "expelled", "transferred_out",
                  "graduated", "internal_out", "leave_started", "leave_ended")
    for code, f in faculties.items():
        assert (f["opening"], f["closing"]) == (opening[code], closing[code]), code
        assert {k: f[k] for k in categories} == {k: counted[code][k] for k in categories}, code
        grounds = {k.split(":")[1]: n for k, n in counted[code].items() if k.startswith("ground:")}
        assert f["expelled_by_ground"] == grounds
        inflow = f["enrolled"] + f["transferred_in"] + f["reinstated"] + f["internal_in"]
        outflow = f["expelled"] + f["transferred_out"] + f["graduated"] + f["internal_out"]
        assert f["opening"] + inflow - outflow == f["closing"] and f["balanced"], code
    totals = report["totals"]
    assert totals["opening"] == sum(opening.values()) and totals["closing"] == sum(closing.values())
    assert all(totals[k] == sum(c[k] for c in counted.values()) for k in categories)
    assert totals["balanced"] and all(row["balanced"] for row in report["rows"])
    # every kind of order happened in the year, and the internal transfers cross faculties
    assert all(totals[k] > 0 for k in categories), {k: totals[k] for k in categories}
    assert "not_specified" not in totals["expelled_by_ground"]
    assert set(totals["internal_by_reason"]) <= {"transfer_internal", "vacant_grant"}

    x = client.get(f"{URL}?from={first}&to={last}&format=xlsx", headers=env["head"])
    assert x.status_code == 200
    values = [list(v) for v in load_workbook(io.BytesIO(x.data)).active.iter_rows(values_only=True)]
    header = next(v for v in values if v[0] and str(v[0]).startswith("Факультет"))
    total = next(v for v in values if v[0] == "Итого / Барлығы")
    by_heading = dict(zip(header, total, strict=True))
    assert by_heading["На начало периода / Кезең басында"] == totals["opening"]
    assert by_heading["Зачислено / Қабылданды"] == totals["enrolled"]
    assert by_heading["Сходится / Сәйкес"] == "да / иә"
    assert "академическая неуспеваемость" in by_heading["Отчислено по основаниям / Шығару негіздері"] \
        or "academic_failure" not in totals["expelled_by_ground"]
    assert not any("not_specified" in str(c) or "full_time" in str(c) for v in values for c in v)
