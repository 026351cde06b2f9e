"""The certificates and the duplicate as printed: each driven through its procedure for a real
case, rendered in Russian and Kazakh, turned into a PDF by LibreOffice and read back as a
registrar would — the purpose said once in each language, no Russian word in a Kazakh
certificate, no word broken in a table cell, the signature on the page of the last
paragraph."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.procedures import deployments
from tests import doc_checks
from tests.integration.api import add_student, case_view, complete
from tests.integration.web import Staff, text

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SIGNATORY = {"ru": "Руководитель офиса регистратора", "kk": "Тіркеуші кеңсесінің басшысы"}
STUDY_CHECK = {"student_active": True, "enrolment_order_number": "125-у",
               "enrolment_order_date": "2025-08-15", "study_start": "2025-09-01",
               "study_end": "2029-06-30", "decision": "approve"}
ORDER_AND_PERIOD = {k: v for k, v in STUDY_CHECK.items() if k not in ("student_active", "decision")}
# long names, a long surname, a failed discipline: what a narrow column used to break
LONG_NAMES = (
    ("Информационно-коммуникационные технологии (на английском языке)",
     "Ақпараттық-коммуникациялық технологиялар (ағылшын тілінде)"),
    ("Модуль социально-политических знаний (социология, политология, культурология, психология)",
     "Әлеуметтік-саяси білім модулі (әлеуметтану, саясаттану, мәдениеттану, психология)"),
    ("Профессионально-ориентированный иностранный язык", "Кәсіби бағдарланған шетел тілі"),
    ("Проектирование и администрирование высоконагруженных распределённых баз данных",
     "Жоғары жүктемелі үлестірілген дерекқорларды жобалау және әкімшілендіру"),
    ("Физическая культура", "Дене шынықтыру"),
)


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _documents(ctx, client, h, cid: int) -> dict[str, bytes]:
    """The latest issued files of the case by language (and its register number under "number")."""
    assert drain(ctx) >= 1
    docs = case_view(client, h, cid)["documents"]
    latest = max(d["number"] for d in docs)
    found = {}
    for doc in docs:
        if doc["number"] == latest:
            r = client.get(f"/api/v1/documents/{doc['id']}", headers=h["registrar"])
            assert r.status_code == 200
            found[doc["language"]] = r.data
    assert set(found) == {"ru", "kk"}
    return {**found, "number": latest.encode()}


def _start(client, h, process_id: str, student_id: int | None, data: dict[str, Any],
           status: int = 201) -> dict:
    body = {"process_id": process_id, "channel": "direct", "data": data,
            **({"student_id": student_id} if student_id else {})}
    r = client.post("/api/v1/cases", headers=h["registrar"], json=body)
    assert r.status_code == status, r.json
    return r.json


def _printed(files: dict[str, bytes], name: str, last_paragraph: dict[str, str]) -> dict[str, str]:
    """Both languages through LibreOffice: the signature shares the last paragraph's page and
    the Kazakh text has no Russian-only word. Returns the text of each."""
    texts = {}
    number = files.pop("number").decode()
    for lang, content in files.items():
        pdf = doc_checks.to_pdf(content)
        doc_checks.assert_same_page(pdf, last_paragraph[lang], SIGNATORY[lang])
        texts[lang] = doc_checks.docx_text(content)
        printed = "\n".join(page.text for page in doc_checks.pdf_pages(pdf))
        assert name and printed  # the PDF holds the document's text
    # the register number («1-с») is the same identifier in both languages, not a Russian word
    assert doc_checks.russian_words(texts["kk"].replace(number, "")) == [], texts["kk"]
    return texts


def test_study_certificate_with_a_typed_purpose(client, ctx, deployed):
    h = deployed
    student = add_student(ctx, make_iin(date(2004, 3, 9), "M", 4321), language="kk")
    # a purpose typed by hand is typed in Kazakh too; the template's own words are not repeated
    r = _start(client, h, "cert_study", student, {"purpose": "для предоставления в акимат района"},
               status=422)
    assert r["fields"] == {"data.purpose_kk": "Обязательное поле"}
    cid = _start(client, h, "cert_study", student, {
        "purpose": "для предоставления в акимат района", "purpose_kk": "аудан әкімдігіне"})["id"]
    complete(client, h, "registrar", cid, "check_student", STUDY_CHECK)
    texts = _printed(_documents(ctx, client, h, cid), "cert_study",
                     {"ru": "Справка действительна до", "kk": "дейін жарамды"})
    assert "Справка выдана для предъявления в акимат района." in texts["ru"]
    assert "для предоставления" not in texts["ru"]
    assert "Анықтама аудан әкімдігіне ұсыну үшін берілді." in texts["kk"]
    assert "Осы анықтама Иванов Пётр Сергеевичке (ЖСН" in texts["kk"]


def test_the_kazakh_application_form_has_no_russian_default(app, client, ctx, deployed):
    page = Staff(app, "registrar", lang="kk").get("/app/cases/new?process=cert_study")
    (field,) = re.findall(r'<input[^>]*name="app\.purpose"[^>]*>', page)
    # the default is shown in Kazakh (left empty, the server fills it in), not typed in in Russian
    assert "по месту требования" not in field and 'placeholder="талап етілген жерге"' in field
    assert "Анықтама қайда ұсынылады" in text(page)
    # the list's choices read in Kazakh
    assert 'label="талап етілген жерге"' in page and 'label="банкке"' in page
    # on the Russian form the default is typed in as before
    (field,) = re.findall(r'<input[^>]*name="app\.purpose"[^>]*>',
                          Staff(app, "registrar", lang="ru").get("/app/cases/new?process=cert_study"))
    assert 'value="по месту требования"' in field
    # submitted empty from the Kazakh form: the default, in both languages
    student = add_student(ctx, make_iin(date(2004, 3, 9), "M", 4321))
    r = Staff(app, "registrar", lang="kk").post("/app/cases/new", {
        "process": "cert_study", "channel": "direct", "student_id": str(student), "app.purpose": "",
        "app.purpose_kk": "", "app.copies": "1"})
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    data = case_view(client, deployed, case_id)["data"]
    assert (data["purpose"], data["purpose_kk"]) == ("по месту требования", "талап етілген жерге")


def test_military_certificate_in_kazakh_reads_kazakh(client, ctx, deployed):
    h = deployed
    student = add_student(ctx, make_iin(date(2006, 3, 9), "M", 4321), last_name="Сапаров",
                          first_name="Ерлан", middle_name="Маратович", language="kk")
    cid = _start(client, h, "military", student, {"request": "certificate"})["id"]
    complete(client, h, "registrar", cid, "check_military_record", {
        **ORDER_AND_PERIOD, "request": "certificate", "decision": "approve", "liable": True,
        "military_document": "АА 1234567",
        "military_office": "Управление по делам обороны Бостандыкского района г. Алматы",
        "military_office_kk": "Алматы қ. Бостандық ауданының қорғаныс істері жөніндегі басқармасы"})
    texts = _printed(_documents(ctx, client, h, cid), "cert_military",
                     {"ru": "Справка действительна до", "kk": "дейін жарамды"})
    assert "для представления в Управление по делам обороны Бостандыкского района г. Алматы в целях" \
        in texts["ru"]
    assert "қорғаныс істері жөніндегі басқармасына ұсынуға берілді." in texts["kk"]
    assert "ұсыну үшін берілді" not in texts["kk"]  # one «үшін» in the sentence


def test_incomplete_studies_table_prints_whole_words_and_counts_earned_credits(client, ctx, deployed):
    h = deployed
    student = add_student(ctx, make_iin(date(2003, 11, 4), "F", 2468), last_name="Жаксылыкова",
                          first_name="Айгерим", middle_name="Серікқызы", sex="F", funding="grant",
                          status="expelled")
    cid = _start(client, h, "cert_incomplete", student, {"reason": "transfer", "purpose": "в банк"})["id"]
    complete(client, h, "registrar", cid, "check_student", {
        "student_left": True, "reason": "transfer", "leave_order_number": "77-у",
        "leave_order_date": "2026-02-01", "receiving_university": "НАО «Казахский национальный университет»",
        "receiving_university_kk": "«Қазақ ұлттық университеті» КеАҚ", "enrolment_order_number": "125-у",
        "enrolment_order_date": "2022-08-15", "study_start": "2022-09-01", "study_end": "2026-02-01",
        "funding_basis": "grant", "decision": "approve"})
    # 24 disciplines over 8 semesters (the table runs onto a second page); 4 of them failed
    rows = []
    for i in range(24):
        name, name_kk = LONG_NAMES[i % len(LONG_NAMES)]
        failed = name == "Физическая культура"
        grade = ("FX" if i % 2 else "F") if failed else "B+"
        rows.append({"semester": i // 3 + 1, "discipline": name, "discipline_kk": name_kk,
                     "credits": 5, "hours": 150,
                     "grade": grade, "grade_points": 40 if failed else 85})
    complete(client, h, "registrar", cid, "prepare_transcript", {"disciplines": rows})
    files = _documents(ctx, client, h, cid)
    texts = _printed(dict(files), "cert_incomplete", {"ru": "Справка действительна без ограничения срока.",
                                                "kk": "Анықтама мерзімсіз жарамды."})
    # 24 × 5 credits listed, the 4 failed ones (20 credits, 600 hours) not earned
    assert ("Всего дисциплин: 24, из них не освоено (оценки FX, F): 4. Освоено кредитов ECTS: 100 "
            "(часов: 3000).") in texts["ru"]
    assert ("Барлық пәндер саны: 24, оның ішінде меңгерілмегені (FX, F бағалары): 4. "
            "Меңгерілген ECTS кредиттері: 100 (сағат: 3000).") in texts["kk"]
    assert "Дана Жаксылыковой Айгерим Серікқызы" in texts["ru"]
    assert "Осы анықтама Жаксылыкова Айгерим Серікқызына (ЖСН" in texts["kk"]
    assert "оқудан шығарылғаны туралы берілді" in texts["kk"] and "шығарылды туралы" not in texts["kk"]
    assert "Анықтама банкке ұсыну үшін берілді." in texts["kk"]
    headers = {"ru": ("№", "Семестр", "Дисциплина", "Кредиты ECTS", "Часы", "Оценка", "Баллы"),
               "kk": ("№", "Семестр", "Пән", "Кредит (ECTS)", "Сағат", "Баға", "Балл")}
    for lang in ("ru", "kk"):
        content = files[lang]
        # compound words («Информационно-коммуникационные») are not split at their hyphen either
        names = [pair[0 if lang == "ru" else 1] for pair in LONG_NAMES]
        cells = [*headers[lang], *names, "FX", "B+"]
        doc_checks.assert_words_whole(doc_checks.to_pdf(content), cells)


def test_duplicate_prints_its_blank(client, ctx, deployed):
    h = deployed
    applicant = {"iin": make_iin(date(1999, 4, 12), "F", 3141), "last_name": "Смагулова",
                 "first_name": "Дана", "middle_name": "Ержановна", "sex": "F", "programme_code": "6B06102",
                 "programme_name": "Программная инженерия", "programme_name_kk": "Бағдарламалық инженерия",
                 "level": "bachelor", "graduation_year": 2021,
                 "document_type": "supplement", "trigger": "loss"}
    cid = _start(client, h, "duplicate", None, {"applicant": applicant})["id"]
    complete(client, h, "registrar", cid, "check_archive", {
        "archive_record_found": True, "trigger_document_checked": True, "original_series": "JB-B",
        "original_number": "0012345", "original_date": "2021-06-30",
        "qualification_ru": "бакалавр в области информационно-коммуникационных технологий",
        "qualification_kk": "ақпараттық-коммуникациялық технологиялар саласындағы бакалавр",
        "duplicate_series": "ЖБ-Д", "duplicate_number": "0004521", "decision": "approve"})
    files = _documents(ctx, client, h, cid)
    number = files.pop("number").decode()
    texts = {}
    for lang, content in files.items():
        pdf = doc_checks.to_pdf(content)
        doc_checks.assert_same_page(pdf, "считается недействительным" if lang == "ru" else "жарамсыз деп",
                                    "Ректор")
        texts[lang] = doc_checks.docx_text(content)
    assert "Бланк дубликата: серия ЖБ-Д № 0004521" in texts["ru"]
    assert "Телнұсқа бланкісі: сериясы ЖБ-Д № 0004521" in texts["kk"]
    assert "Білім беру бағдарламасы: 6B06102 Бағдарламалық инженерия" in texts["kk"]
    # the register number and the holder's name («Дана») are not Russian words
    checked = texts["kk"].replace(number, "").replace("Смагулова Дана Ержановна", "")
    assert doc_checks.russian_words(checked) == [], texts["kk"]
