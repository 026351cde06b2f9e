"""The letters the office sends, issued by real cases through the API: the reasoned refusal of
every public service (and none for a procedure that is not one), the personal-file request after
a transfer-in order, the military-office notice after enrolment and expulsion orders (citizens of
call-up age only), and the migration-service notice of a foreign student's arrival and departure.
Each letter is numbered in the letters register («N-п»), stored in the case's documents in
Russian and Kazakh, listed in the register and verifiable by its QR code."""

from __future__ import annotations

import re
from datetime import date

import pytest

from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from tests.integration.api import case_view, complete, document_parts, spec_names, start_case
from tests.integration.procs import add_student, add_user, deploy_all

APPLICANT = {
    "iin": make_iin(date(2004, 3, 9), "M", 4321),
    "last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич",
    "sending_university": "Карагандинский университет имени академика Е. А. Букетова",
    "sending_university_kk": "Академик Е. А. Бөкетов атындағы Қарағанды университеті",
    "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": 2,
    "level": "bachelor", "form": "full_time", "language": "ru", "funding": "paid", "faculty_code": "IT",
}
ALL_DOCS = {"doc_application": True, "doc_sending_consent": True, "doc_transcript": True,
            "doc_unt_certificate": True, "doc_identity": True, "documents_complete": True}
DIFFERENCE = {"final_year": False, "difference": [], "difference_credits": 0, "dean_decision": "approve"}
CONTRACT = {"contract_number": "Д-1", "contract_date": "2026-08-12", "prepayment_received": True}
# Russian words that must never appear in a Kazakh letter
RUSSIAN_ONLY = ("университет имени", "Отказ", "Основание", "приказ", "зачислен", "отчислен", "обучающ",
                "Уведомление", "Ректору", "просим", "Гражданство", "Управление", "Департамент")


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    add_user(ctx, people, "lawyer", "lawyer")
    return people


def letters(view: dict, kind: str) -> dict[str, dict]:
    """The case's letters of `kind` by language."""
    return {d["language"]: d for d in view["documents"] if d["kind"] == kind}


def text_of(client, h, doc: dict) -> str:
    paragraphs, cells = document_parts(client, h, doc)
    return "\n".join(paragraphs + cells)


def assert_letter(client, h, view: dict, kind: str, number: str) -> tuple[str, str]:
    """The letter is in the case's documents in ru and kk under `number`, listed in the letters
    register, and its QR link verifies; returns (ru text, kk text)."""
    docs = letters(view, kind)
    assert set(docs) == {"ru", "kk"} and {d["number"] for d in docs.values()} == {number}
    ru, kk = text_of(client, h, docs["ru"]), text_of(client, h, docs["kk"])
    assert f"Исх. № {number} от " in ru and f"Шығыс № {number}, " in kk
    for word in RUSSIAN_ONLY:
        assert word not in kk, f"Russian «{word}» in the Kazakh letter:\n{kk}"
    r = client.get(f"/api/v1/registers/documents?register=letters&q={number}", headers=h["head"])
    assert r.status_code == 200, r.json
    rows = [row for row in r.json["items"] if row["number"] == number]
    assert len(rows) == 1 and rows[0]["kind"] == kind and rows[0]["case_id"] == view["id"]
    assert sorted(rows[0]["languages"]) == ["kk", "ru"]
    code = re.search(r"/verify/(\S+)", ru).group(1)
    assert code in kk  # one code for both files of the letter
    r = client.get(f"/verify/{code}")
    assert r.status_code == 200 and number in r.get_data(as_text=True)
    return ru, kk


def _transfer_in_to_order(client, ctx, h, **applicant) -> int:
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "transfer_in", "channel": "egov",
        "data": {"applicant": {**APPLICANT, **applicant}}})
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    complete(client, h, "registrar", cid, "check_documents", ALL_DOCS)
    complete(client, h, "dean_it", cid, "determine_difference", DIFFERENCE)
    complete(client, h, "accountant", cid, "paid_contract", CONTRACT)
    complete(client, h, "vicerector", cid, "vr_approval", {"vr_decision": "approve"})
    assert drain(ctx) == 2  # the order
    complete(client, h, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-08-14"})
    return cid


def test_transfer_in_order_gives_military_notice_and_personal_file_request(client, ctx, env):
    h = env
    cid = _transfer_in_to_order(client, ctx, h)
    # the military notice, then the personal-file request, each in the background
    assert spec_names(case_view(client, h, cid)) == []
    assert drain(ctx) == 4
    view = case_view(client, h, cid)
    assert spec_names(view) == ["request_personal_file"]
    assert view["data"]["military_notice"]["issued"] is True
    assert view["data"]["military_notice"]["students"] == 1

    ru, kk = assert_letter(client, h, view, "letter_military", "1-п")
    assert "Департамент по делам обороны города Алматы" in ru
    assert "приказом № 1-у от 14.08.2026 зачислены следующие обучающиеся" in ru
    assert "Иванов Пётр Сергеевич" in ru and APPLICANT["iin"] in ru
    assert "Алматы қаласының қорғаныс істері жөніндегі департаменті" in kk
    assert "14.08.2026 № 1-у бұйрықпен" in kk and "оқуға қабылданғанын хабарлайды" in kk
    assert "Иванов Пётр Сергеевич" in kk

    ru, kk = assert_letter(client, h, view, "letter_personal_file", "2-п")
    assert "Ректору\nКарагандинский университет имени академика Е. А. Букетова" in ru
    assert ("приказом № 1-у от 14.08.2026 Иванов Пётр Сергеевич (ИИН " + APPLICANT["iin"]
            + ") зачислен в наш университет в порядке перевода на 2 курс") in ru
    assert "просим направить в наш адрес личное дело обучающегося" in ru
    assert "Академик Е. А. Бөкетов атындағы Қарағанды университетінің\nректорына" in kk
    assert "14.08.2026 № 1-у бұйрықпен біздің университетке ауыстыру тәртібімен 2-курсқа" in kk
    assert "жеке ісін үш жұмыс күні ішінде" in kk
    # the registrar's step names the letter to send
    task = view["open_tasks"][0]
    assert "письмо № 2-п" in task["instructions"]


def test_foreign_student_enrolment_gives_no_military_notice(client, ctx, env):
    h = env
    cid = _transfer_in_to_order(client, ctx, h, citizenship="UZB")
    assert drain(ctx) == 3  # the notice step runs and issues nothing; the file request
    view = case_view(client, h, cid)
    assert view["data"]["military_notice"] == {"issued": False, "students": 0}
    assert letters(view, "letter_military") == {}
    assert set(letters(view, "letter_personal_file")) == {"ru", "kk"}


def test_female_student_enrolment_gives_no_military_notice(client, ctx, env):
    h = env
    cid = _transfer_in_to_order(client, ctx, h, iin=make_iin(date(2004, 5, 1), "F", 1234),
                                last_name="Иванова", first_name="Анна", middle_name="Сергеевна")
    assert drain(ctx) == 3
    view = case_view(client, h, cid)
    assert letters(view, "letter_military") == {}
    ru, _ = assert_letter(client, h, view, "letter_personal_file", "1-п")
    assert "Иванова Анна Сергеевна (ИИН" in ru and "зачислена в наш университет" in ru


def test_personal_file_request_needs_the_kazakh_university_name(client, ctx, env):
    # the Kazakh letter names the sending university in Kazakh: registration asks for it, so no
    # case reaches the letter without it (nothing is registered without it)
    h = env
    applicant = {k: v for k, v in APPLICANT.items() if k != "sending_university_kk"}
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "transfer_in", "data": {"applicant": applicant}})
    assert r.status_code == 422, r.json
    assert any("sending_university_kk" in field for field in r.json["fields"]), r.json
    assert client.get("/api/v1/cases", headers=h["registrar"]).json["total"] == 0


# --------------------------------------------------------------------------- expulsion

SUBMISSION = {"dean_decision": "submit", "expulsion_ground": "academic_failure",
              "expulsion_date": "2026-09-01", "dean_reasoning": "Академическая задолженность"}


def _expel(client, ctx, h, student_id) -> int:
    cid = start_case(client, h, "expulsion", student_id)["id"]
    complete(client, h, "dean_it", cid, "dean_submission", SUBMISSION)
    complete(client, h, "registrar", cid, "registrar_draft",
             {"expulsion_date": "2026-09-01", "personal_file_checked": True})
    complete(client, h, "lawyer", cid, "lawyer_visa", {"lawyer_decision": "approve"})
    complete(client, h, "accountant", cid, "accounting_visa",
             {"accounting_decision": "approve", "tuition_debt": False, "grant_stop_date": "2026-09-01"})
    assert drain(ctx) == 2
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-09-02"})
    return cid


def test_expulsion_of_a_citizen_notifies_the_military_office(client, ctx, env):
    h = env
    cid = _expel(client, ctx, h, add_student(ctx))
    assert drain(ctx) == 3  # the notice, the student's notification
    view = case_view(client, h, cid)
    assert view["status"] == "completed"
    ru, kk = assert_letter(client, h, view, "letter_military", "1-п")
    assert "приказом № 1-у от 02.09.2026 отчислены следующие обучающиеся" in ru
    assert "ПИ-24-1" in ru
    assert "02.09.2026 № 1-у бұйрықпен" in kk and "оқудан шығарылғанын хабарлайды" in kk


def test_expulsion_of_a_foreign_student_notifies_migration_not_military(client, ctx, env):
    h = env
    sid = add_student(ctx, last_name="Каримов", first_name="Бахтиёр", middle_name=None,
                      latin_name="KARIMOV BAKHTIYOR", citizenship="UZB", funding="paid")
    cid = _expel(client, ctx, h, sid)
    # the empty military step, the student's notification, the deregistration case's notice
    assert drain(ctx) == 4
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and letters(view, "letter_military") == {}
    r = client.get("/api/v1/cases?process_id=foreign_registration", headers=h["head"])
    child = case_view(client, h, r.json["items"][0]["id"])
    assert spec_names(child) == ["deregister"]
    ru, kk = assert_letter(client, h, child, "letter_migration", "1-п")
    assert "Уведомление об убытии иностранного обучающегося" in ru
    assert "Фамилия и имя латиницей: KARIMOV BAKHTIYOR" in ru and "Гражданство: UZB" in ru
    assert "Дата убытия: 01.09.2026" in ru and "Причина убытия: отчисление, приказ № 1-у" in ru
    assert "Шетелдік білім алушының кеткені туралы хабарлама" in kk
    assert "Кеткен күні: 01.09.2026" in kk and "Кету себебі: оқудан шығару, № 1-у бұйрық" in kk


def test_arrival_of_a_foreign_student_notifies_migration(client, ctx, env):
    h = env
    sid = add_student(ctx, last_name="Ли", first_name="Вэй", middle_name=None, latin_name="LI WEI",
                      citizenship="CHN", funding="paid")
    cid = start_case(client, h, "foreign_registration", sid,
                     {"registration_kind": "arrival", "arrival_date": "2026-08-25"})["id"]
    # the letter and its PDF (and, the arrival being months ago, the escalation of a notice past
    # its deadline: 3 working days from the arrival, catalog deadline_from)
    assert drain(ctx) >= 2
    view = case_view(client, h, cid)
    assert view["deadline_at"] < "2026-09-01"
    assert spec_names(view) == ["notify_migration"]
    ru, kk = assert_letter(client, h, view, "letter_migration", "1-п")
    assert "Управление миграционной службы Департамента полиции города Алматы" in ru
    assert "уведомляет о прибытии иностранного гражданина" in ru and "Дата прибытия: 25.08.2026" in ru
    assert "Причина убытия" not in ru
    assert "шетел азаматының келгені туралы хабарлайды" in kk and "Келген күні: 25.08.2026" in kk
    assert "Кету себебі" not in kk


# --------------------------------------------------------------------------- refusals

def _refuse_transfer_in(client, ctx, h) -> int:
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "transfer_in", "channel": "egov", "data": {"applicant": APPLICANT}})
    cid = r.json["id"]
    complete(client, h, "registrar", cid, "check_documents", ALL_DOCS)
    complete(client, h, "dean_it", cid, "determine_difference",
             {"dean_decision": "reject", "dean_refusal_ground": "poor_grades_or_debts"})
    return cid


def _refuse_transfer_internal(client, ctx, h) -> int:
    sid = add_student(ctx, serial=2718, sex="F", last_name="Петрова", first_name="Анна",
                      middle_name="Ивановна")
    cid = start_case(client, h, "transfer_internal", sid)["id"]
    complete(client, h, "registrar", cid, "check_documents", {
        "doc_application": True, "doc_identity": True, "doc_transcript": True,
        "new_programme_code": "6B04101", "new_programme_name": "Экономика", "new_form": "full_time",
        "new_language": "kk", "transfer_reason": "Смена специальности", "documents_complete": True,
        "registrar_decision": "reject", "registrar_refusal_ground": "first_period_not_completed"})
    return cid


def _refuse_reinstatement(client, ctx, h) -> int:
    applicant = {k: v for k, v in APPLICANT.items() if not k.startswith("sending_")}
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "reinstatement", "channel": "egov", "data": {"applicant": {
            **applicant, "expelled_order_number": "77-у", "expelled_date": "2025-02-01",
            "first_period_completed": False}}})
    assert r.status_code == 201, r.json
    return r.json["id"]


def _refuse_academic_leave(client, ctx, h) -> int:
    start = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}
    cid = start_case(client, h, "academic_leave", add_student(ctx), start)["id"]
    complete(client, h, "registrar", cid, "check_documents", {
        **start, "doc_application": True, "documents_complete": False, "decision": "reject",
        "refusal_ground": "no_grounds"})
    return cid


def _refuse_cert_incomplete(client, ctx, h) -> int:
    sid = add_student(ctx, status="expelled")
    cid = start_case(client, h, "cert_incomplete", sid,
                     {"reason": "transfer", "purpose": "по месту требования"})["id"]
    complete(client, h, "registrar", cid, "check_student",
             {"student_left": False, "decision": "reject", "refusal_ground": "not_expelled"})
    return cid


def _refuse_duplicate(client, ctx, h) -> int:
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "duplicate", "channel": "egov", "data": {"applicant": {
            "iin": make_iin(date(1999, 4, 12), "F", 3141), "last_name": "Смагулова",
            "first_name": "Дана", "middle_name": "Ержановна", "sex": "F", "programme_code": "6B06102",
            "programme_name": "Программная инженерия", "programme_name_kk": "Бағдарламалық инженерия",
            "level": "bachelor", "graduation_year": 2021,
            "document_type": "diploma", "trigger": "loss"}}})
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    complete(client, h, "registrar", cid, "check_archive", {
        "archive_record_found": False, "decision": "reject", "refusal_ground": "other",
        "archive_comment": "Запись о выдаче диплома в архиве повреждена", })
    return cid


# procedure -> (its refusal, the addressee in the Russian and the Kazakh dative)
IVANOV = ("Иванову Петру Сергеевичу", "Иванов Пётр Сергеевичке")
REFUSALS = {"transfer_in": (_refuse_transfer_in, IVANOV),
            "transfer_internal": (_refuse_transfer_internal,
                                  ("Петровой Анне Ивановне", "Петрова Анна Ивановнаға")),
            "reinstatement": (_refuse_reinstatement, IVANOV),
            "academic_leave": (_refuse_academic_leave, IVANOV),
            "cert_incomplete": (_refuse_cert_incomplete, IVANOV),
            "duplicate": (_refuse_duplicate, ("Смагуловой Дане Ержановне", "Смагулова Дана Ержановнаға"))}


def test_every_public_service_is_covered(ctx):
    assert {s.code for s in ctx.catalog.public_services} == set(REFUSALS)


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_refused_public_service_gets_a_reasoned_refusal(client, ctx, env, code):
    h = env
    drive, addressee = REFUSALS[code]
    cid = drive(client, ctx, h)
    view = case_view(client, h, cid)
    assert view["status"] == "rejected" and view["documents"] == []
    assert drain(ctx) == 2
    assert drain(ctx) == 0  # issued once
    view = case_view(client, h, cid)
    service = ctx.catalog.service(code)
    ground = service.refusal_ground(view["refusal_ground"])
    ru, kk = assert_letter(client, h, view, "letter_refusal", "1-п")
    assert f"{addressee[0]}\nИИН " in ru and f"{addressee[1]}\nЖСН " in kk
    assert "Мотивированный отказ в оказании государственной услуги" in ru
    assert f"государственной услуги «{service.name_ru}»" in ru
    assert f"«{service.name_kk}» мемлекеттік қызметін көрсету туралы өтінішіңізді қарап" in kk
    assert "Мемлекеттік қызмет көрсетуден дәлелді бас тарту" in kk
    if ground.code == "other":
        assert "Основание отказа: Запись о выдаче диплома в архиве повреждена." in ru
        assert f"Бас тарту негізі: {ground.kk}." in kk
    else:
        assert f"Основание отказа: {ground.ru}." in ru and f"Бас тарту негізі: {ground.kk}." in kk
    assert ground.code not in ru and ground.code not in kk  # words, never a code
    assert "Правовое основание: " in ru and "Құқықтық негіз: " in kk
    assert "статьёй 25 Закона Республики Казахстан «О государственных услугах»" in ru
    assert "в течение трёх месяцев" in ru and "в суде" in ru
    assert "25-бабында" in kk and "үш ай ішінде" in kk and "сотқа" in kk
    assert "Ректор\tА. Тулегенов" in ru


def test_refusal_outside_public_services_gives_no_letter(client, ctx, env):
    h = env
    assert not ctx.catalog.service("expulsion").public_service
    cid = start_case(client, h, "expulsion", add_student(ctx))["id"]
    complete(client, h, "dean_it", cid, "dean_submission",
             {"dean_decision": "withdraw", "dean_refusal_ground": "not_confirmed"})
    view = case_view(client, h, cid)
    assert view["status"] == "rejected"
    assert drain(ctx) == 0
    assert case_view(client, h, cid)["documents"] == []


def test_withdrawn_public_service_gives_no_letter(client, ctx, env):
    h = env
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "transfer_in", "data": {"applicant": APPLICANT}})
    cid = r.json["id"]
    r = client.post(f"/api/v1/cases/{cid}/cancel", headers=h["registrar"],
                    json={"reason": "Заявитель отозвал заявление", "withdrawn": True})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "withdrawn"
    assert drain(ctx) == 0
    assert case_view(client, h, cid)["documents"] == []
