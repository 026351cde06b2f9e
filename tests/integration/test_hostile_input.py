"""Hostile input in every free-text field, through every procedure: each of the 15 procedures is
started through the API with its registration data, every free-text string (form fields with no
choice, pattern or format and room for the payload, the student's names, the faculty's name)
replaced by markup, Jinja syntax and a spreadsheet formula, and walked on its positive path to
the end, each task answered by a holder of its role. At every step the staff pages (ru and kk)
show the payload escaped, the task instructions print it literally, the JSON API returns it byte
for byte, and the documents, the register export and the report files contain it as plain text.

No name field has a pattern, so names carry the whole payload. Shorter fields get a trimmed one
that keeps the `<script` and `{{ }}` parts: 48-50 characters (order, contract, letter and protocol
numbers) also keep `onerror`, 26-47 (the diploma's number) only those two. Fields of 10-20
characters keep their samples: codes (faculty, programme, diploma series) and a grade. Codes the
positive path depends on are set to real ones: the applicant's faculty and programme (the
registry's IT faculty) and the vacant-grant applicant's programme group and group (B057)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import docx
import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import update

from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Faculty
from server.services.tasks.form_samples import answer_for, sample_object
from tests.integration.api import Headers, case_view
from tests.integration.procs import add_student, add_user, deploy_all
from tests.integration.web import Staff

PAYLOAD = "<script>alert(1)</script>\"'&{{ 7*7 }}{% if 1 %}x{% endif %}<img src=x onerror=alert(2)>"
SHORT = "<script>1</script>{{ 7*7 }}<img src=x onerror=2>"  # for fields of 48-50 characters
TINY = "<script>{{ 7*7 }}</script>"  # for fields of 26-47 characters (the diploma's number)
HOSTILE = (PAYLOAD, SHORT, TINY)
FORMULA = '=HYPERLINK("http://x","y")'  # the students' last names: first in every subject name
# What a Jinja evaluation of the payload would leave behind ({{ 7*7 }} -> 49, {% if %} -> x).
EVALUATED = re.compile(r"&49x|</script>49<|<script>49</script>|\{% if 1 %\}(?!x\{% endif)")
ROLE_USER = {"registrar": "registrar", "registrar_head": "head", "dean": "dean_it",
             "vice_rector": "vicerector", "rector": "rector", "international": "intl",
             "accountant": "accountant", "lawyer": "lawyer", "admin": "admin"}
MAX_STEPS = 40
POSITIVE_OUTCOMES = ("issued", "recognised", "registered", "deregistered")


def hostile(prop: dict[str, Any], _name: str) -> str | None:
    """The form_samples hook: the longest payload the field's maxLength allows, else the sample."""
    room = prop.get("maxLength", 10**6)
    return next((text for text in HOSTILE if room >= len(text)), None)


def _today(days: int = 0) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _applicant(ctx: Any, pid: str, **fields: Any) -> dict[str, Any]:
    """The registration form's sample applicant, free text hostile, names led by the formula."""
    schema, _ = ctx.forms.load(f"{pid}/register")
    applicant = sample_object(schema, hostile)
    applicant.update(last_name=FORMULA, full_name=f"{FORMULA} {PAYLOAD}", faculty_code="IT",
                     programme_code="6B06102", **fields)
    if "citizenship" in (schema.get("properties") or {}):
        applicant["citizenship"] = "KAZ"  # chosen from the list of countries
    return {"applicant": applicant}


# How each procedure's case is started (the demo in server/demo.py starts them the same way):
# (registered student's citizenship or None for an applicant, start data).
STARTS: dict[str, tuple[str | None, Any]] = {
    "academic_leave": ("KAZ", lambda ctx: {"leave_ground": "medical", "leave_start": _today(-30),
                                           "leave_end": _today(150)}),
    "cert_incomplete": ("KAZ", lambda ctx: {"reason": "transfer", "purpose": PAYLOAD, "purpose_kk": PAYLOAD}),
    "cert_study": ("KAZ", lambda ctx: {"purpose": PAYLOAD, "purpose_kk": PAYLOAD, "copies": 2}),
    "contingent_order": (None, None),  # a list of students uploaded as CSV
    "duplicate": (None, lambda ctx: _applicant(ctx, "duplicate", iin=make_iin(date(1998, 2, 14), "F", 3100),
                                               sex="F", document_type="diploma", trigger="loss",
                                               graduation_year=2019)),
    # a foreign student: the signed order opens the deregistration case (case/start), walked too
    "expulsion": ("CHN", lambda ctx: {}),
    "foreign_registration": ("CHN", lambda ctx: {"registration_kind": "arrival", "arrival_date": _today()}),
    "military": ("KAZ", lambda ctx: {"request": "certificate"}),
    "mobility": ("KAZ", lambda ctx: {}),
    "recognition": ("KOR", lambda ctx: {}),
    "reinstatement": (None, lambda ctx: _applicant(ctx, "reinstatement", year=3, first_period_completed=True,
                                                   iin=make_iin(date(2002, 11, 5), "F", 2468))),
    "transfer_in": (None, lambda ctx: _applicant(ctx, "transfer_in", year=2,
                                                 iin=make_iin(date(2004, 1, 5), "M", 2000))),
    "transfer_internal": ("KAZ", lambda ctx: {}),
    "transfer_out": ("KAZ", lambda ctx: {}),
    "vacant_grant": (None, lambda ctx: {"programme_group_code": "B057", "programme_group_name": PAYLOAD,
                                        "programme_group_name_kk": PAYLOAD,
                                        "grant_count": 1, "vacancy_reason": PAYLOAD,
                                        "application_deadline": _today(14)}),
}
# Answers that the forms' samples would not take down the positive path, merged over them.
ANSWERS: dict[str, dict[str, Any]] = {
    "academic_leave/check_documents": {"leave_ground": "medical", "leave_start": _today(-30),
                                       "leave_end": _today(150)},
    # periods ordered (config/procedures.yaml, date_rules): the samples give every date as today
    "cert_study/check_student": {"study_start": "2024-09-01", "study_end": "2028-06-30"},
    "cert_incomplete/check_student": {"study_start": "2024-09-01", "study_end": "2026-02-01"},
    "military/check_military_record": {"study_start": "2024-09-01", "study_end": "2028-06-30"},
    "mobility/check_application": {"mobility_start": _today(-120), "mobility_end": _today(-10)},
    "foreign_registration/visa_extension": {"extended": False},  # the student leaves: tracking ends
    # a programme the registry knows (with its Kazakh name): an unknown code stops the order
    "reinstatement/check_documents": {"enrol_programme_code": "6B06102"},
    "transfer_internal/check_documents": {"new_programme_code": "6B06101"},
    "vacant_grant/collect_applications": {"applicants": [{
        "iin": make_iin(date(2005, 2, 3), "M", 1), "full_name": f"{FORMULA} {PAYLOAD}", "last_name": FORMULA,
        "first_name": PAYLOAD, "middle_name": PAYLOAD, "group_code": "B057", "programme_code": "6B06102",
        "programme_name": PAYLOAD, "year": 2, "group": "ПИ-24-1", "form": "full_time", "language": "ru",
        "funding": "paid", "gpa": 3.5, "unt_score": 100}]},
}


# --- checks ----------------------------------------------------------------------------------
class LiveMarkup(HTMLParser):
    """What the browser would run or load from the payload: a <script> holding `alert`, an
    <img src=x>, any element with an onerror attribute (text and attribute values are inert)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if "onerror" in names or (tag == "img" and ("src", "x") in attrs):
            self.found.append(f"<{tag} {attrs}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and ("alert(" in data or "7*7" in data):
            self.found.append(f"<script>{data[:80]}")


def assert_inert(page: str, where: str, *, shows: bool = False) -> None:
    """No payload markup live in the HTML, no Jinja evaluated; `shows`: the payload is printed."""
    parser = LiveMarkup()
    parser.feed(page)
    assert not parser.found, f"{where}: live markup {parser.found}"
    assert "<script>alert(1)" not in page and "<img src=x" not in page, f"{where}: raw payload"
    shown = html.unescape(page)
    assert not EVALUATED.search(shown), f"{where}: the payload was evaluated as a template"
    if shows:
        assert PAYLOAD in shown, f"{where}: the payload is not shown literally"


def assert_literal_text(text: str, where: str) -> None:
    """Plain text (documents, instructions, spreadsheet cells): the payload unchanged or absent."""
    assert not EVALUATED.search(text), f"{where}: the payload was evaluated as a template: {text[:300]!r}"
    if "<script>" in text:
        assert any(h in text for h in HOSTILE), f"{where}: the payload was altered: {text[:300]!r}"


def _payload_round_trips(sent: Any, got: Any, where: str) -> None:
    """Every hostile string sent is returned by the JSON API byte for byte."""
    if isinstance(sent, dict):
        for key, value in sent.items():
            if isinstance(value, (dict, list)) or value in (*HOSTILE, FORMULA):
                assert isinstance(got, dict) and key in got, f"{where}.{key} missing"
                _payload_round_trips(value, got[key], f"{where}.{key}")
    elif isinstance(sent, list):
        for i, (a, b) in enumerate(zip(sent, got, strict=False)):
            _payload_round_trips(a, b, f"{where}[{i}]")
    else:
        assert got == sent, f"{where}: {got!r} != {sent!r}"


class Walk:
    """One procedure walked to the end by the people holding each role, checking as it goes."""

    def __init__(self, app: Any, ctx: Any, client: Any, people: Headers) -> None:
        self.ctx, self.client, self.people = ctx, client, people
        self.sessions: dict[str, Staff] = {}
        self.app = app
        self.instructed = 0  # open tasks whose instructions print the payload

    def staff(self, user: str) -> Staff:
        if user not in self.sessions:
            self.sessions[user] = Staff(self.app, user)
        return self.sessions[user]

    def pages(self, user: str, paths: list[str], shows: set[str] = frozenset()) -> None:
        """Each page in Russian and Kazakh: 200, inert, and the payload shown where expected."""
        staff = self.staff(user)
        for lang in ("ru", "kk"):
            staff.client.get(f"/app/lang/{lang}")
            for path in paths:
                assert_inert(staff.get(path), f"{user} {lang} {path}", shows=path in shows)
        staff.client.get("/app/lang/ru")

    def case(self, case_id: int) -> dict[str, Any]:
        view = case_view(self.client, self.people, case_id)
        for task in view["open_tasks"]:
            assert_literal_text(task["instructions"] or "", f"instructions of {task['spec_name']}")
            self.instructed += PAYLOAD in (task["instructions"] or "")
        page = f"/app/cases/{case_id}"  # a list order (contingent_order) has no one subject
        self.pages("head", [page], shows={page} if view["subject_name"] else set())
        return view

    def run(self, case_id: int, pid: str) -> dict[str, Any]:
        """Answer every open task (its page, inbox and instructions checked first), draining the
        background jobs in between, until the case is closed or only waits remain."""
        for step in range(MAX_STEPS):
            view = self.case(case_id)
            if not view["open_tasks"]:
                if view["status"] not in ("in_progress", "returned", "waiting"):
                    return view
                if drain(self.ctx):
                    continue
                if not view["timers"]:
                    return view
                # only a wait remains (the visa's expiry): the clock moves past it
                due = min(datetime.fromisoformat(t["due_at"]) for t in view["timers"])
                with time_machine.travel(due + timedelta(minutes=1), tick=False):
                    assert drain(self.ctx), f"{pid}: the timer due {due} did not fire"
                continue
            task = view["open_tasks"][0]
            user = ROLE_USER[task["role"]]
            if step == 0:  # the supervisors' view of every open task
                self.pages("head", ["/app/inbox?tab=all"])
            self.pages(user, [f"/app/tasks/{task['id']}", "/app/inbox?tab=group"], shows={
                f"/app/tasks/{task['id']}"} if "full_name" in (task["instructions"] or "") else set())
            data = answer_for(self.ctx, task["form_key"], hostile)
            data.update(ANSWERS.get(f"{pid}/{task['spec_name']}", {}))
            r = self.client.post(f"/api/v1/tasks/{task['id']}/complete", headers=self.people[user],
                                 json={"data": data})
            assert r.status_code == 200, (task["spec_name"], r.status_code, r.json)
            after = case_view(self.client, self.people, case_id)
            _payload_round_trips(data, after["data"], f"{pid}/{task['spec_name']}")
        pytest.fail(f"{pid} did not finish in {MAX_STEPS} steps")

    def documents(self, view: dict[str, Any]) -> int:
        """Each document a valid DOCX whose text (paragraphs, tables, headers) is literal;
        returns how many of them print the payload."""
        printed = 0
        for doc in view["documents"]:
            r = self.client.get(f"/api/v1/documents/{doc['id']}", headers=self.people["registrar"])
            assert r.status_code == 200, doc
            document = docx.Document(io.BytesIO(r.data))
            parts = [p.text for p in document.paragraphs]
            parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
            parts += [p.text for s in document.sections for p in s.header.paragraphs + s.footer.paragraphs]
            text = "\n".join(parts)
            assert_literal_text(text, f"document {doc['kind']} ({doc['language']})")
            printed += any(h in text for h in HOSTILE)
        return printed


# --- setup -----------------------------------------------------------------------------------


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    add_user(ctx, people, "lawyer", "lawyer")
    with ctx.db.unit_of_work() as session:  # faculty names are typed by the administrator
        session.execute(update(Faculty).where(Faculty.code == "IT").values(name_ru=PAYLOAD, name_kk=PAYLOAD))
    return people


# The registry status a procedure's student needs (config/catalog.yaml, student_statuses).
STATUS = {"cert_incomplete": "expelled"}


def _student(ctx: Any, citizenship: str, status: str = "active") -> int:
    return add_student(ctx, last_name=FORMULA, first_name=PAYLOAD, middle_name=PAYLOAD,
                       citizenship=citizenship, latin_name=None if citizenship == "KAZ" else PAYLOAD,
                       status=status)


def _contingent_csv(ctx: Any) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["iin", "last_name", "first_name", "middle_name", "faculty_code", "programme_code",
                     "programme_name", "year", "group", "form", "language", "funding"])
    for i in range(2):
        writer.writerow([make_iin(date(2005, 1, 1 + i), "M", 1000 + i), FORMULA, PAYLOAD, PAYLOAD, "IT",
                         "6B06102", PAYLOAD, "2", "ПИ-24-1", "full_time", ("ru", "kk")[i], "grant"])
    return out.getvalue().encode("utf-8-sig")


def _start(ctx: Any, client: Any, people: Headers, pid: str) -> tuple[int, dict[str, Any]]:
    if pid == "contingent_order":
        for i in range(2):  # the listed students, as the registry knows them
            add_student(ctx, iin=make_iin(date(2005, 1, 1 + i), "M", 1000 + i), last_name=FORMULA,
                        first_name=PAYLOAD, year=2)
        r = client.post("/api/v1/contingent-orders", headers=people["registrar"], data={
            "order_kind": "promotion", "effective_date": _today(10),
            "file": (io.BytesIO(_contingent_csv(ctx)), "list.csv")}, content_type="multipart/form-data")
        assert r.status_code == 201, r.json
        return r.json["id"], {}
    citizenship, make = STARTS[pid]
    data = make(ctx)
    body: dict[str, Any] = {"process_id": pid, "channel": "direct", "data": data}
    if citizenship:
        body["student_id"] = _student(ctx, citizenship, STATUS.get(pid, "active"))
    r = client.post("/api/v1/cases", headers=people["registrar"], json=body)
    assert r.status_code == 201, r.json
    return r.json["id"], data


def _xlsx_cells(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]


def assert_no_formulas(content: bytes, where: str) -> list[str]:
    """The cells of an XLSX: no formula among them, the text literal. Returns the text cells."""
    cells = _xlsx_cells(content)
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert not formulas, f"{where}: formulas in {formulas}"
    texts = [str(c.value) for c in cells if isinstance(c.value, str)]
    for value in texts:
        assert_literal_text(value, where)
    return texts


# --- the sweep -------------------------------------------------------------------------------
@pytest.mark.parametrize("pid", sorted(STARTS))
def test_hostile_input_is_inert_through_the_procedure(app, ctx, client, env, pid):
    walk = Walk(app, ctx, client, env)
    case_id, data = _start(ctx, client, env, pid)
    _payload_round_trips(data, case_view(client, env, case_id)["data"], f"{pid} start")
    view = walk.run(case_id, pid)
    assert view["status"] == "completed" and view["outcome"] in POSITIVE_OUTCOMES, \
        (view["status"], view["outcome"])
    if view["subject_name"]:
        assert PAYLOAD in view["subject_name"] and walk.instructed, "the instructions never showed the name"
    # cases the procedure opened (a foreign student's deregistration) are walked as well
    for other in client.get("/api/v1/cases?status=in_progress", headers=env["head"]).json["items"]:
        triggered = walk.run(other["id"], other["process_id"])
        assert triggered["outcome"] in POSITIVE_OUTCOMES, (other["process_id"], triggered["outcome"])
    cases = client.get("/api/v1/cases", headers=env["head"]).json["items"]
    assert len(cases) == (2 if pid == "expulsion" else 1), [c["process_id"] for c in cases]
    for case in cases:
        printed = walk.documents(case_view(client, env, case["id"]))
        if case["id"] == case_id and view["documents"]:
            assert printed, f"no document of {pid} prints the payload"
    walk.pages("head", ["/app/registers", "/app/reports/", "/app/inbox?tab=all"])
    walk.pages("registrar", ["/app/cases", "/app/inbox?tab=group"])
    # the register's export: a subject that starts with "=" stays text
    head = walk.staff("head").client
    r = head.get("/app/registers?format=xlsx")
    assert r.status_code == 200
    texts = assert_no_formulas(r.data, "registers.xlsx")
    if view["documents"]:
        assert any(t.startswith(FORMULA) for t in texts), texts
    # the report files open, with the faculty's name (the payload) as plain text
    for path in ("/app/reports/public-services.xlsx",
                 f"/app/reports/contingent.xlsx?from={_today(-365)}&to={_today(365)}"):
        r = head.get(path)
        assert r.status_code == 200, path
        assert_no_formulas(r.data, path)
    r = head.get("/app/reports/public-services.docx")
    assert r.status_code == 200
    report = docx.Document(io.BytesIO(r.data))
    cells = [c.text for t in report.tables for row in t.rows for c in row.cells]
    assert_literal_text("\n".join(cells), "report.docx")
