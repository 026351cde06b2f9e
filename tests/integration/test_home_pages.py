"""The pages a registrar expects: the home page's counts per role (each a link to the filtered
inbox), the students list and its search, the inbox rows that may be approved or signed several
at once (what they decide on, a checkbox only where the action completes the task), and the
rector signing several orders after seeing them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Document, HumanTask, OutboxJob
from server.services.procedures import deployments
from server.services.tasks import home
from tests.integration.api import add_student, complete, start_case
from tests.integration.web import Staff, text

LEAVE = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}
CHECKED = {**LEAVE, "doc_application": True, "doc_medical_conclusion": True,
           "documents_complete": True, "decision": "approve"}


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _student(ctx, n: int, **fields) -> int:
    return add_student(ctx, make_iin(date(2004, 3, 9), "M", 5000 + n), **fields)


def _leave(client, ctx, people, n: int, *, to: str = "dean", **fields) -> int:
    """An academic leave case of a new student, taken to the dean's approval or to the rector."""
    case_id = start_case(client, people, "academic_leave", _student(ctx, n, **fields), LEAVE)["id"]
    complete(client, people, "registrar", case_id, "check_documents", CHECKED)
    if to == "rector":
        complete(client, people, "dean_it", case_id, "dean_approval", {"dean_decision": "approve"})
        drain(ctx)  # the draft order
    return case_id


def _task(ctx, case_id: int, spec: str) -> str:
    with ctx.db.read() as session:
        found = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == spec, HumanTask.status == "open"))
    assert found, f"no open {spec} in case {case_id}"
    return found


def _tile(page: str, key: str) -> tuple[int, str]:
    """(the count, the link) of a home page tile."""
    found = re.search(rf'data-tile="{key}">\s*<a href="([^"]+)">'
                      rf'<span class="count" data-count="{key}">(\d+)</span>', page)
    assert found, f"no tile {key}"
    return int(found.group(2)), found.group(1).replace("&amp;", "&")


# --- the home page -----------------------------------------------------------------------------
def test_sign_in_lands_on_the_home_page_with_counts_per_role(app, ctx, client, deployed):
    first = _leave(client, ctx, deployed, 1)
    _leave(client, ctx, deployed, 2)
    signing = _leave(client, ctx, deployed, 3, to="rector")
    # one dean's approval is overdue, one is due today
    now = utcnow()
    with ctx.db.unit_of_work() as session:
        session.execute(update(HumanTask).where(HumanTask.id == _task(ctx, first, "dean_approval"))
                        .values(due_at=now - timedelta(days=3)))
        today_end = now.astimezone(ctx.tz).replace(hour=23, minute=0, second=0, microsecond=0)
        session.execute(update(HumanTask).where(HumanTask.case_id == first + 1,
                                                HumanTask.spec_name == "dean_approval")
                        .values(due_at=max(today_end, now + timedelta(minutes=1))))

    registrar = Staff(app)
    r = registrar.login("registrar", "secret-pass-1")
    assert r.status_code == 302 and r.headers["Location"] == "/app/"
    page = registrar.get("/app/")
    monday = home.home(ctx, _actor(ctx, "registrar")).week_start
    assert _tile(page, "started") == (3, "#my-cases")  # the list below: the newest ten
    assert f'href="/app/cases?from={monday}"' in page  # and every case received this week
    assert all(f"/app/cases/{c}" in page for c in (first, first + 1, signing))
    assert "to_sign" not in page and "office_overdue" not in page  # not the registrar's

    dean = Staff(app, "dean_it")
    page = dean.get("/app/")
    assert _tile(page, "group") == (2, "/app/inbox?tab=group")
    assert _tile(page, "overdue") == (1, "/app/inbox?tab=overdue")
    assert _tile(page, "today")[0] == 1
    assert 'data-tile="started"' not in page  # a dean registers no cases
    # the links lead to the lists the numbers count
    inbox = dean.get("/app/inbox?tab=today")
    assert len(re.findall(r'href="/app/tasks/[0-9a-f-]{36}"', inbox)) == 1
    assert len(re.findall(r'href="/app/tasks/[0-9a-f-]{36}"', dean.get("/app/inbox?tab=overdue"))) == 1
    assert _tile(Staff(app, "dean_econ").get("/app/"), "group")[0] == 0  # another faculty's

    rector = Staff(app, "rector")
    count, link = _tile(rector.get("/app/"), "to_sign")
    assert (count, link) == (1, "/app/inbox?tab=any&kind=sign")
    assert _task(ctx, signing, "sign_order") in rector.get(link)

    head = Staff(app, "head")
    page = head.get("/app/")
    assert _tile(page, "office_overdue") == (1, "/app/inbox?tab=all&due=overdue")
    assert _tile(page, "incidents")[0] == 0
    assert _task(ctx, first, "dean_approval") in head.get("/app/inbox?tab=all&due=overdue")
    with ctx.db.unit_of_work() as session:
        session.add(OutboxJob(kind="document/render", idempotency_key="home-test", case_id=first,
                              status="failed", payload={}))
    assert _tile(head.get("/app/"), "incidents") == (1, "/app/admin/incidents")

    admin = Staff(app, "admin")
    page = admin.get("/app/")
    assert 'href="/app/admin/users"' in page and 'href="/app/admin/templates"' in page
    # in Kazakh
    page = Staff(app, "dean_it", lang="kk").get("/app/")
    assert "Мерзімі өткен" in text(page)


def _actor(ctx, username: str) -> Actor:
    from server.models import User

    with ctx.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return Actor(user.id, user.username, user.role_codes, user.faculty_id)


# --- students ----------------------------------------------------------------------------------
def test_students_list_and_search(app, ctx, deployed):
    ids = [_student(ctx, 1, last_name="Әбенова", first_name="Айгерім", middle_name="Серікқызы",
                    group="ПИ-24-1", sex="F"),
           _student(ctx, 2, last_name="Сидорова", first_name="Елена", middle_name="Павловна",
                    group="ПИ-24-2", sex="F", status="on_leave"),
           _student(ctx, 3, faculty="ECON", last_name="Ким", first_name="Дмитрий", middle_name=None,
                    group="ЭК-23-1")]
    registrar = Staff(app, "registrar")
    page = registrar.get("/app/students/")
    assert 'href="/app/students/"' in page  # in the navigation
    body = text(page)
    assert all(name in body for name in ("Әбенова Айгерім", "Сидорова Елена Павловна", "Ким Дмитрий"))
    assert "в академическом отпуске" in body and "on_leave" not in body
    # by name in any case, by a Kazakh name, by ИИН and its first digits, by group, status, faculty
    assert _found(registrar, "q=сидорова") == [ids[1]]
    assert _found(registrar, "q=ӘБЕНОВА") == [ids[0]]
    assert _found(registrar, "q=Айгерім") == [ids[0]]
    assert _found(registrar, "q=Сидорова+Елена") == [ids[1]]
    iin = make_iin(date(2004, 3, 9), "M", 5003)
    assert _found(registrar, f"q={iin}") == [ids[2]]
    assert sorted(_found(registrar, f"q={iin[:6]}")) == sorted(ids)
    assert _found(registrar, "group=пи-24-2") == [ids[1]]
    assert _found(registrar, "status=on_leave") == [ids[1]]
    with ctx.db.read() as session:
        from server.models import Faculty

        econ = session.scalar(select(Faculty.id).where(Faculty.code == "ECON"))
    assert _found(registrar, f"faculty={econ}") == [ids[2]]
    assert _found(registrar, "q=Петров") == []
    assert "Студенты не найдены" in registrar.get("/app/students/?q=Петров")
    # a dean sees the dean's faculty only
    assert sorted(_found(Staff(app, "dean_it"), "")) == sorted(ids[:2])
    # in Kazakh: the status in Kazakh
    kk = text(Staff(app, "registrar", lang="kk").get("/app/students/?q=Сидорова"))
    assert "академиялық демалыста" in kk
    # bad arguments: refused with the field named, nothing else happens
    for bad, field in (("page=0", "page"), ("page=abc", "page"), ("page=99999999999", "page"),
                       ("faculty=x", "faculty"), ("status=nonsense", "статус студента «nonsense»")):
        r = registrar.client.get(f"/app/students/?{bad}")
        assert r.status_code == 422, (bad, r.status_code)
        assert field in text(r.get_data(as_text=True)), (bad, text(r.get_data(as_text=True))[-400:])
    kk = Staff(app, "registrar", lang="kk").client.get("/app/students/?status=x").get_data(as_text=True)
    assert "Студенттің белгісіз мәртебесі «x»" in text(kk)
    # the student page shows the cases and the documents
    case_id = start_case(app.test_client(), deployed, "academic_leave", ids[1], LEAVE)["id"]
    page = registrar.get(f"/app/students/{ids[1]}")
    assert f'href="/app/cases/{case_id}"' in page and "Документы" in page


def _found(staff: Staff, args: str) -> list[int]:
    page = staff.get(f"/app/students/?{args}")
    return [int(i) for i in re.findall(r'<td class="title"><a href="/app/students/(\d+)"', page)]


# --- bulk approval and signing -----------------------------------------------------------------
def test_bulk_rows_show_what_they_decide_and_only_approvable_rows_have_a_checkbox(app, ctx, client, deployed):
    leave = _leave(client, ctx, deployed, 1)
    from tests.integration.test_transfer_in import ALL_DOCS, _start

    transfer = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", transfer, "check_documents", ALL_DOCS)
    dean = Staff(app, "dean_it")
    page = dean.get("/app/inbox?tab=group")
    approvable = _task(ctx, leave, "dean_approval")
    needs_form = _task(ctx, transfer, "determine_difference")
    assert f'name="task" value="{approvable}"' in page
    assert needs_form in page and f'name="task" value="{needs_form}"' not in page  # the difference
    row = re.search(rf'value="{approvable}".*?</tr>', page, flags=re.S).group(0)
    assert "01.12.2026" in row and "31.08.2027" in row and "2026-12-01" not in row
    assert "Иванов Пётр Сергеевич" in text(row) and "Предоставление академического отпуска" in text(row)
    assert "Согласование деканом" in text(row)  # the step
    # a task taken by someone else has no checkbox for the dean
    with ctx.db.unit_of_work() as session:
        session.execute(update(HumanTask).where(HumanTask.id == approvable)
                        .values(assignee_id=_actor(ctx, "admin").user_id))
    assert f'name="task" value="{approvable}"' not in dean.get("/app/inbox?tab=group")
    # a registrar has no bulk column at all
    assert 'name="task"' not in Staff(app, "registrar").get("/app/inbox?tab=group")


def test_the_rector_signs_several_orders_after_seeing_the_list(app, ctx, client, deployed):
    cases = [_leave(client, ctx, deployed, n, to="rector") for n in (1, 2, 3)]
    tasks = [_task(ctx, c, "sign_order") for c in cases]
    rector = Staff(app, "rector", lang="kk")
    page = rector.get("/app/inbox?tab=group")
    assert all(f'name="task" value="{t}"' in page for t in tasks)
    assert "Таңдалғандарға қол қою" in page and "Бұйрық жобасы" in page
    # the confirmation lists the chosen orders; nothing is signed yet
    r = rector.post("/app/inbox/sign", [("task", tasks[0]), ("task", tasks[1]), ("tab", "group")], status=200)
    page = r.get_data(as_text=True)
    assert page.count('name="task"') == 2 and 'name="confirm" value="1"' in page
    assert "01.12.2026" in page and "/app/documents/" in page
    assert _task(ctx, cases[0], "sign_order") == tasks[0]
    # confirmed: both are signed as a single signing signs (the drafts become signed)
    rector.post("/app/inbox/sign", [("task", tasks[0]), ("task", tasks[1]), ("confirm", "1"),
                                    ("tab", "group")])
    assert "Қол қойылды: 2 ішінен 2" in text(rector.get("/app/inbox?tab=group"))
    with ctx.db.read() as session:
        statuses = dict(session.execute(select(HumanTask.case_id, HumanTask.status).where(
            HumanTask.spec_name == "sign_order")).tuples().all())
        signed = set(session.scalars(select(Document.case_id).where(Document.status == "signed")))
    assert statuses == {cases[0]: "completed", cases[1]: "completed", cases[2]: "open"}
    assert signed == {cases[0], cases[1]}
    # signing again (a second click) reports the case, not a hash
    rector.post("/app/inbox/sign", [("task", tasks[0]), ("confirm", "1"), ("tab", "group")])
    assert f"№ {cases[0]}" in text(rector.get("/app/inbox?tab=group"))
    # nothing selected
    rector.post("/app/inbox/sign", [("tab", "group")])
    # the vice-rector cannot sign through the list
    vr = Staff(app, "vicerector")
    vr.post("/app/inbox/sign", [("task", tasks[2]), ("confirm", "1")])
    assert _task(ctx, cases[2], "sign_order") == tasks[2]


def test_the_print_stylesheet_leaves_out_the_screen_only_parts():
    from pathlib import Path

    css = (Path(__file__).parents[2] / "server/web/static/app.css").read_text(encoding="utf-8")
    block = css[css.index("@media print"):]
    for hidden in ("header.top", "form", "button", "nav.tabs", "nav.pager"):
        assert hidden in block.split("{", 1)[0] + block.split("display: none", 1)[0]
    assert 'a[href]::after { content: none' in block and "border: 1px solid #000" in block
