"""The decision and its material on one screen: the case page shows what the application says
and what each step decided, in words; the task page shows the same beside the form (the
rector's signature beside the draft order itself, the dean's review beside the difference);
the documents block answers as JSON for the page to refresh it while a document is made."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select, update

from server.auth import Actor
from server.domain import labels
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Document, HumanTask
from server.services.procedures import deployments
from tests.integration.api import add_student, complete
from tests.integration.web import Staff, text

IIN = make_iin(date(2004, 3, 9), "M", 4321)
LEAVE = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}
CHECKED = {**LEAVE, "doc_application": True, "doc_medical_conclusion": True,
           "documents_complete": True, "decision": "approve"}


@pytest.fixture
def env(ctx, people, monkeypatch):
    monkeypatch.setenv("REGOFFICE_SOFFICE", "")  # no LibreOffice: the PDFs wait (fast, certain)
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN, group=None)}


def _leave(client, env) -> int:
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "academic_leave", "student_id": env["student_id"], "channel": "direct",
        "data": LEAVE})
    assert r.status_code == 201, r.json
    return int(r.json["id"])


def _task_id(ctx, case_id: int, spec: str) -> str:
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == spec, HumanTask.status == "open"))
    assert task_id, f"no open {spec} in case {case_id}"
    return task_id


def _section(page: str, anchor: str) -> str:
    """The visible text of the page's <section id=anchor>."""
    found = re.search(rf'<section[^>]*id="{anchor}"[^>]*>(.*?)</section>', page, re.S)
    assert found, f"no section {anchor}"
    return text(found.group(1))


def _no_codes(shown: str) -> None:
    assert not labels.has_iso_date(shown), shown
    for code in ("medical", "approve", "full_time", "grant", "True", "False"):
        assert not re.search(rf"\b{code}\b", shown), (code, shown)


def test_case_page_shows_the_application_and_each_decision_in_words(app, ctx, client, env):
    case_id = _leave(client, env)
    complete(client, env["h"], "registrar", case_id, "check_documents", CHECKED)
    complete(client, env["h"], "dean_it", case_id, "dean_approval",  # a ground left over in the form
             {"dean_decision": "approve", "dean_refusal_ground": "no_grounds",
              "dean_comment": "Заключение ВКК проверено"})

    page = Staff(app, "registrar").get(f"/app/cases/{case_id}")
    application = _section(page, "application")
    assert "Основание академического отпуска Заключение врачебно-консультационной комиссии" in application
    assert "Дата начала отпуска 01.12.2026" in application and "31.08.2027" in application
    _no_codes(application)
    decided = _section(page, "decisions")
    assert "Проверка документов" in decided and "Согласование деканом" in decided
    assert "Решение Предоставить отпуск (на согласование декану)" in decided
    assert "Решение декана Согласовать" in decided and "Заключение ВКК проверено" in decided
    assert "Личное заявление обучающегося да" in decided
    assert "Основание отказа" not in decided  # an approval has no refusal ground
    _no_codes(decided)

    page = Staff(app, "registrar", lang="kk").get(f"/app/cases/{case_id}")
    application = _section(page, "application")
    assert "Өтініште не көрсетілген" in text(page)
    assert "Академиялық демалыс негізі Дәрігерлік-консультациялық комиссияның қорытындысы" in application
    assert "Демалыстың басталу күні 01.12.2026" in application
    decided = _section(page, "decisions")
    assert "Декан шешімі Келісу" in decided and "иә" in decided
    _no_codes(decided)


def test_an_applicants_registration_is_shown_in_words(app, ctx, client, env):
    from tests.integration.test_transfer_in import _start

    case_id = _start(client, env["h"])["id"]
    page = Staff(app, "registrar").get(f"/app/cases/{case_id}")
    application = _section(page, "application")
    assert "КарУ им. Букетова" in application and "Программная инженерия" in application
    assert "очная" in application.lower() and "платн" in application.lower()
    _no_codes(application)
    assert "faculty_code" not in application and " IT " not in f" {application} "
    assert "Бөкетов" not in application  # one row per thing: the Kazakh name is for Kazakh
    kk = _section(Staff(app, "registrar", lang="kk").get(f"/app/cases/{case_id}"), "application")
    assert "Жіберуші ЖОО Академик Е. А. Бөкетов атындағы" in kk and "Букетова" not in kk
    assert "күндізгі" in kk.lower()


def test_the_documents_refresh_as_json_and_only_for_those_who_see_the_case(app, ctx, client, env):
    case_id = _leave(client, env)
    complete(client, env["h"], "registrar", case_id, "check_documents", CHECKED)
    complete(client, env["h"], "dean_it", case_id, "dean_approval", {"dean_decision": "approve"})
    registrar = Staff(app, "registrar")
    # the order is being made (its job is due): the page says so and asks again
    page = registrar.get(f"/app/cases/{case_id}")
    assert 'data-pending="1"' in page and f"/app/cases/{case_id}/documents.json" in page
    r = registrar.client.get(f"/app/cases/{case_id}/documents.json")
    assert r.status_code == 200 and r.is_json and r.json["pending"] is True
    assert r.headers["Cache-Control"] == "no-store"
    assert "Документ готовится" in r.json["html"]

    drain(ctx)  # the order is rendered; its PDF waits for LibreOffice (not polled for)
    r = registrar.client.get(f"/app/cases/{case_id}/documents.json")
    assert r.json["pending"] is False and 'data-pending="0"' in r.json["html"]
    shown = text(r.json["html"])
    assert "order_academic_leave" in shown and "проект, не подписан" in shown
    assert "русский" in shown and "казахский" in shown
    assert 'data-pending="0"' in registrar.get(f"/app/cases/{case_id}")

    # the same permission as the case page: another faculty's dean learns nothing
    assert Staff(app, "dean_econ").client.get(f"/app/cases/{case_id}/documents.json").status_code == 404
    assert Staff(app, "dean_it").client.get(f"/app/cases/{case_id}/documents.json").status_code == 200
    assert Staff(app).client.get(f"/app/cases/{case_id}/documents.json").status_code == 302


def test_the_rectors_signature_shows_the_draft_order(app, ctx, client, env):
    case_id = _leave(client, env)
    complete(client, env["h"], "registrar", case_id, "check_documents", CHECKED)
    complete(client, env["h"], "dean_it", case_id, "dean_approval", {"dean_decision": "approve"})
    drain(ctx)
    task_id = _task_id(ctx, case_id, "sign_order")
    rector = Staff(app, "rector")
    page = rector.get(f"/app/tasks/{task_id}")
    assert "Проект приказа" in page and "Скачать файл" in page
    assert "pdf-frame" not in page and "<iframe" not in page  # no PDF yet: said in words
    assert "PDF" in text(page)
    with ctx.db.unit_of_work() as session:  # the PDF job finished
        session.execute(update(Document).where(Document.case_id == case_id)
                        .values(pdf=b"%PDF-1.4 test", pdf_status="ready"))
    page = rector.get(f"/app/tasks/{task_id}")
    frames = re.findall(r'<iframe class="pdf" src="(/app/documents/(\d+)/pdf/inline)"', page)
    assert len(frames) == 1
    with ctx.db.read() as session:
        doc = session.get(Document, int(frames[0][1]))
    assert doc.language == "ru" and doc.status == "draft"
    r = rector.client.get(frames[0][0])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in \
        r.headers["Content-Security-Policy"]
    assert "attachment" not in r.headers.get("Content-Disposition", "")
    # in Kazakh the Kazakh draft, and the student's record in words
    page = Staff(app, "rector", lang="kk").get(f"/app/tasks/{task_id}")
    kk_frame = re.search(r'<iframe class="pdf" src="/app/documents/(\d+)/pdf/inline"', page)
    with ctx.db.read() as session:
        assert session.get(Document, int(kk_frame.group(1))).language == "kk"
    shown = text(page)
    assert "Бұйрық жобасы" in shown and "күндізгі" in shown and "мемлекеттік грант" in shown
    assert "Академиялық демалыс негізі" in shown
    # every other staff page still refuses to be framed
    assert rector.client.get(f"/app/tasks/{task_id}").headers["X-Frame-Options"] == "DENY"


def test_the_deans_review_shows_the_difference_the_registrar_set(app, ctx, client, env):
    from tests.integration.test_reinstatement import CHECKED as REINSTATED
    from tests.integration.test_reinstatement import _start

    case_id = _start(client, env["h"])["id"]
    complete(client, env["h"], "registrar", case_id, "check_documents",
             {**REINSTATED, "difference": [{"discipline": "Базы данных",
                                            "discipline_kk": "Деректер базасы", "credits": 6},
                                           {"discipline": "Алгоритмы",
                                            "discipline_kk": "Алгоритмдер", "credits": 5}],
              "difference_credits": 11})
    task_id = _task_id(ctx, case_id, "dean_review")
    page = Staff(app, "dean_it").get(f"/app/tasks/{task_id}")
    table = re.search(r'<table class="list compact">(.*?)</table>', page, re.S)
    assert table, "the difference is a table"
    cells = text(table.group(1))
    assert "Базы данных Деректер базасы 6" in cells and "Алгоритмы Алгоритмдер 5" in cells
    shown = text(page)
    assert "25.12.2026" in shown and "Решения предыдущих шагов" in shown
    assert 'name="dean_decision"' in page  # the form beside it
    _no_codes(text(re.search(r'<aside class="task-material".*?</aside>', page, re.S).group(0)))


def test_a_refusal_reads_its_ground_in_words(app, ctx, client, env):
    case_id = _leave(client, env)
    complete(client, env["h"], "registrar", case_id, "check_documents",
             {**LEAVE, "doc_application": True, "documents_complete": False, "decision": "reject",
              "refusal_ground": "no_grounds"})
    page = text(Staff(app, "registrar").get(f"/app/cases/{case_id}"))
    assert "Основание отказа: Представленные документы не подтверждают" in page
    assert "no_grounds" not in page
    page = text(Staff(app, "registrar", lang="kk").get(f"/app/cases/{case_id}"))
    assert "no_grounds" not in page and "Бас тарту негізі" in page
