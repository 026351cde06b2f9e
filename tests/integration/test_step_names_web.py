"""The staff UI names steps in the page's language: the inbox, the task page, the case's
open tasks, its history and its process map read the model's nameKk / nameEn in Kazakh and
English, and the Russian names in Russian."""

from __future__ import annotations

from datetime import date

import pytest

from server.auth import Actor
from server.domain.iin import make_iin
from server.services.procedures import deployments
from tests.integration.api import add_student, complete
from tests.integration.web import Staff, task_links, text

IIN = make_iin(date(2004, 3, 9), "F", 4321)
CHECKED = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31",
           "doc_application": True, "doc_medical_conclusion": True, "documents_complete": True,
           "decision": "approve"}


@pytest.fixture
def case_id(ctx, people, client):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student_id = add_student(ctx, IIN, group=None)
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "academic_leave", "student_id": student_id, "channel": "direct",
        "data": {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}})
    assert r.status_code == 201, r.json
    complete(client, people, "registrar", r.json["id"], "check_documents", CHECKED)
    return r.json["id"]


@pytest.mark.parametrize(("lang", "done", "waiting", "lane", "absent"), [
    ("kk", "Құжаттарды тексеру", "Деканның келісуі", "Тіркеуші кеңсесі", "Проверка документов"),
    ("en", "Checking the documents", "Dean&#39;s approval", "Registrar", "Проверка документов"),
    ("ru", "Проверка документов", "Согласование деканом", "Офис регистратора", "Құжаттарды тексеру"),
])
def test_steps_are_named_in_the_page_language(app, case_id, lang, done, waiting, lane, absent):
    head = Staff(app, "head", lang=lang)
    page = head.get(f"/app/cases/{case_id}")
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert done in svg and lane in svg and absent not in svg  # the process map
    history = page.split('id="h-history"', 1)[1]
    assert done in history.split("</ol>", 1)[0]  # «Step completed: …»
    assert waiting in page.split('id="h-history"', 1)[0]  # the open task
    dean = Staff(app, "dean_it", lang=lang)
    inbox = dean.get("/app/inbox?tab=group")
    assert waiting in inbox, text(inbox)[:2000]
    task_page = dean.get(f"/app/tasks/{task_links(inbox)[0]}")
    assert f"<h1>{waiting}</h1>" in task_page
