"""Orders as printed, for real cases driven through the API: who approved the case is listed
under «Согласовано / Келісілді» with real names and positions; LibreOffice prints every word
of every table cell whole on one line (long Kazakh surnames, «Педагогика и психология»), and the
signature, the approvals and the QR code on the page of the last paragraph, for orders long
enough to fill a page; the Kazakh order holds no Russian-only word; the names are in the case
the sentence needs (dative after «следующим обучающимся»), a Latin name prints in Cyrillic."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import pytest
import time_machine
from sqlalchemy import update

from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Faculty, User
from tests.doc_checks import assert_same_page, assert_words_whole, docx_text, russian_words, to_pdf
from tests.integration.api import case_view, complete, start_case
from tests.integration.procs import add_student, add_user, deploy_all

STAFF = {"dean_it": "Сейткали Нурлан Болатович", "vicerector": "Абенов Ерлан Сабитович",
         "head": "Жуматова Гульнара Ериковна", "accountant": "Иванова Марина Петровна",
         "lawyer": "Ахметов Серик Даулетович"}
PROGRAMME = {"programme_code": "6B01101", "programme_name": "Педагогика и психология",
             "programme_name_kk": "Педагогика және психология"}
# the registry's columns (the Kazakh programme name is not one of them)
REGISTRY_PROGRAMME = {k: v for k, v in PROGRAMME.items() if k != "programme_name_kk"}
# printed in the Kazakh order while the registry has no Kazakh name of the programme
REGISTRY_RU = PROGRAMME["programme_name"]
LONG_NAMES = [("Жаксылыкова", "Айгерим", "Серикқызы", "F"), ("Нурмухамбетов", "Ерболат", "Кайратович", "M"),
              ("Абдрахманова", "Гульнара", "Ержановна", "F"), ("Сатыбалдиев", "Нурсултан", "Маратович", "M"),
              ("Кенжебекова", "Айжан", "Бауыржановна", "F"), ("Мухамеджанов", "Алибек", "Серикович", "M")]


@pytest.fixture
def office(ctx, people):
    """The procedures deployed; the office's staff and the IT faculty under their real names."""
    deploy_all(ctx)
    add_user(ctx, people, "lawyer", "lawyer")
    with ctx.db.unit_of_work() as session:
        for username, name in STAFF.items():
            session.execute(update(User).where(User.username == username).values(full_name=name))
        session.execute(update(Faculty).where(Faculty.code == "IT").values(
            name_ru="Факультет информационных технологий", name_kk="Ақпараттық технологиялар факультеті"))
    return people


def _documents(client, people, view) -> dict[str, bytes]:
    """The newest document of the case in each language, as downloaded."""
    found = {}
    for doc in view["documents"]:
        r = client.get(f"/api/v1/documents/{doc['id']}", headers=people["registrar"])
        assert r.status_code == 200
        found[doc["language"]] = r.data
    return found


def _cells(data: bytes) -> list[str]:
    """The values printed in the table cells (the header row left out)."""
    document = docx.Document(io.BytesIO(data))
    return [cell.text for table in document.tables for row in table.rows[1:] for cell in row.cells]


def _check_print(data: bytes, language: str, last_paragraph: str, signature: str,
                 *registry_ru: str) -> bytes:
    """No word of a cell broken, the signature on the page of the last paragraph, no Russian
    word in the Kazakh order. `registry_ru` are Russian values the case has no Kazakh form of
    (the registry's Kazakh programme names are a column of their own, read as
    `programme_name_kk`; a partner's transcript names its disciplines in its own language):
    they are left out of the vocabulary check. Returns the PDF."""
    pdf = to_pdf(data)
    keep = os.environ.get("ORDER_PRINT_DIR")  # a folder to keep the printed orders in, to look at them
    if keep:
        name = f"{docx.Document(io.BytesIO(data)).core_properties.title}_{language}.pdf".replace(" ", "_")
        (Path(keep) / name).write_bytes(pdf)
    assert_words_whole(pdf, _cells(data))
    assert_same_page(pdf, last_paragraph, signature)
    if language == "kk":
        text = docx_text(data)
        for value in registry_ru:
            text = text.replace(value, "")
        assert russian_words(text) == []
    return pdf


def _check_both(docs: dict[str, bytes], last: tuple[str, str], signature: str, *registry_ru: str) -> None:
    """The print checks of the Russian and the Kazakh order; `last` is the start of the last
    paragraph in each; the QR code is printed."""
    for language, paragraph in zip(("ru", "kk"), last, strict=True):
        pdf = _check_print(docs[language], language, paragraph, signature, *registry_ru)
        assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf


def _register(client, people, **body) -> int:
    """A case registered by the registrar; its id."""
    r = client.post("/api/v1/cases", headers=people["registrar"], json=body)
    assert r.status_code == 201, r.json
    return r.json["id"]


def _approved_batch(client, ctx, people, cid: int) -> dict[str, bytes]:
    """A batch order approved by the head of the office and the vice-rector; its documents."""
    complete(client, people, "head", cid, "head_review", {"head_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    return _documents(client, people, case_view(client, people, cid))


def _winner(serial: int, last: str, first: str, middle: str, sex: str, gpa: float) -> dict:
    return {"iin": make_iin(date(2005, 2, 3), sex, serial), "full_name": f"{last} {first} {middle}",
            "last_name": last, "first_name": first, "middle_name": middle, "group_code": "B001",
            "year": 2, "group": "ПП-24-1", "form": "full_time", "language": "kk", "funding": "paid",
            "gpa": gpa, "unt_score": 100, **PROGRAMME}


def test_vacant_grant_order_for_twelve_winners(client, ctx, office):
    people = office
    winners = [_winner(10 + i, last, first, middle, sex, 3.9 - i / 100)
               for i, (last, first, middle, sex) in enumerate(LONG_NAMES * 2)]
    cid = _register(client, people, process_id="vacant_grant", data={
        "programme_group_code": "B001", "programme_group_name": "Педагогика и психология",
        "programme_group_name_kk": "Педагогика және психология", "grant_count": 12,
        "vacancy_reason": "отчисление обладателя гранта",
        "application_deadline": (date.today() + timedelta(days=20)).isoformat()})
    complete(client, people, "registrar", cid, "collect_applications", {"applicants": winners})
    complete(client, people, "vicerector", cid, "commission_decision",
             {"commission_decision": "approve", "protocol_number": "7", "protocol_date": "2026-08-28"})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    ru_cells = "\n".join(_cells(docs["ru"]))
    assert "Жаксылыковой Айгерим Серикқызы" in ru_cells  # dative after «следующим обучающимся»
    assert "Нурмухамбетову Ерболату Кайратовичу" in ru_cells
    assert "очная, казахский, грант" in ru_cells and "Педагогика и психология" in ru_cells
    ru = docx_text(docs["ru"])
    assert "Согласовано:" in ru and "Проректор по академическим вопросам\tЕ. С. Абенов" in ru
    assert "Юрист" not in ru and "Сейткали" not in ru  # only who approved this case
    kk = docx_text(docs["kk"])
    assert "Академиялық мәселелер жөніндегі проректор\tЕ. С. Абенов" in kk
    assert "«Педагогика және психология» білім беру бағдарламалары тобы" in kk
    assert "Бұйрықтың түпнұсқалығын тексеру: " in kk and "/verify/" in kk
    _check_both(docs, ("Бухгалтерии прекратить", "Бухгалтерия көрсетілген"), "Е. С. Абенов")


def _promotion_list(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["iin", "last_name", "first_name", "middle_name", "faculty_code", "programme_code",
                     "programme_name", "year", "group"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_promotion_order_prints_form_language_and_funding_from_the_registry(client, ctx, office):
    people = office
    rows = []
    names = [*LONG_NAMES * 5, ("Kim", "Min-jun", "", "M")]
    for i, (last, first, middle, sex) in enumerate(names):
        iin = make_iin(date(2005, 1 + i % 12, 1 + i % 27), sex, 2000 + i)
        add_student(ctx, iin=iin, last_name=last, first_name=first, middle_name=middle or None, sex=sex,
                    form="part_time" if i % 3 else "full_time", language="kk" if i % 2 else "ru",
                    funding="paid" if i % 4 else "grant", **REGISTRY_PROGRAMME)
        rows.append([iin, last, first, middle, "IT", PROGRAMME["programme_code"],
                     PROGRAMME["programme_name"], "2", "ПП-24-1"])
    r = client.post("/api/v1/contingent-orders", headers=people["registrar"], data={
        "order_kind": "promotion", "effective_date": "2026-09-01",
        "file": (io.BytesIO(_promotion_list(rows)), "list.csv")}, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    docs = _approved_batch(client, ctx, people, r.json["id"])

    ru_cells = _cells(docs["ru"])
    assert "очная, русский, грант" in ru_cells and "заочная, казахский, платная" in ru_cells
    assert any(c.startswith("Кима Мин") for c in ru_cells)  # the Latin name in Cyrillic, accusative
    assert "сырттай, қазақ, ақылы" in _cells(docs["kk"])
    ru = docx_text(docs["ru"])
    assert "Руководитель офиса регистратора\tГ. Е. Жуматова" in ru
    assert "Проректор по академическим вопросам\tЕ. С. Абенов" in ru
    kk = docx_text(docs["kk"])
    assert "Тіркеуші кеңсесінің басшысы\tГ. Е. Жуматова" in kk
    _check_both(docs, ("Контроль за исполнением", "Бұйрықтың орындалуын"), "Е. С. Абенов", REGISTRY_RU)


def test_mobility_order_lists_the_dean_of_the_students_faculty(client, ctx, office):
    people = office
    iin = make_iin(date(2004, 9, 3), "F", 1618)
    sid = add_student(ctx, iin=iin, last_name="Жаксылыкова", first_name="Айгерим", middle_name="Серикқызы",
                      sex="F", funding="paid", **REGISTRY_PROGRAMME)
    cid = start_case(client, people, "mobility", sid)["id"]
    complete(client, people, "registrar", cid, "check_application", {
        "doc_application": True, "doc_learning_agreement": True, "doc_transcript": True,
        "partner_university": "Евразийский национальный университет имени Л. Н. Гумилёва",
        "partner_university_kk": "Л. Н. Гумилев атындағы Еуразия ұлттық университеті",
        "agreement_number": "15-АМ", "agreement_date": "2026-01-10",
        "mobility_start": "2027-02-01", "mobility_end": "2027-06-30",
        "planned_disciplines": [{"discipline": "Психология развития", "credits": 5}],
        "planned_credits": 5, "documents_complete": True, "registrar_decision": "approve"})
    complete(client, people, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    ru = docx_text(docs["ru"])
    assert "Декан факультета информационных технологий\tН. Б. Сейткали" in ru
    assert "Жаксылыкову Айгерим Серикқызы" in ru
    kk = docx_text(docs["kk"])
    assert "Ақпараттық технологиялар факультетінің деканы\tН. Б. Сейткали" in kk
    assert "оқу үшін Л. Н. Гумилев атындағы Еуразия ұлттық университетіне 01.02.2027 бастап" in kk
    _check_both(docs, ("Обучающимся по возвращении", "Білім алушылар оралғаннан"),
                "Н. Б. Сейткали", REGISTRY_RU)


def test_expulsion_order_lists_dean_lawyer_and_accounting(client, ctx, office):
    people = office
    iin = make_iin(date(2004, 3, 9), "M", 4321)
    sid = add_student(ctx, iin=iin, last_name="Нурмухамбетов", first_name="Ерболат", middle_name="Кайратович",
                      **REGISTRY_PROGRAMME)
    cid = _register(client, people, process_id="expulsion", student_id=sid)
    complete(client, people, "dean_it", cid, "dean_submission", {
        "dean_decision": "submit", "expulsion_ground": "academic_failure", "expulsion_date": "2026-09-01",
        "dean_reasoning": "Академическая задолженность"})
    complete(client, people, "registrar", cid, "registrar_draft",
             {"expulsion_date": "2026-09-01", "personal_file_checked": True})
    complete(client, people, "lawyer", cid, "lawyer_visa", {"lawyer_decision": "approve"})
    complete(client, people, "accountant", cid, "accounting_visa",
             {"accounting_decision": "approve", "tuition_debt": False, "grant_stop_date": "2026-09-01"})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    ru = docx_text(docs["ru"])
    approvals = ru[ru.index("Согласовано:"):]
    assert approvals.index("Н. Б. Сейткали") < approvals.index("С. Д. Ахметов") < approvals.index(
        "М. П. Иванова")
    assert "Юрист\tС. Д. Ахметов" in ru and "Бухгалтер\tМ. П. Иванова" in ru
    kk = docx_text(docs["kk"])
    assert "Заңгер\tС. Д. Ахметов" in kk and "академиялық үлгермеушілік" in kk
    _check_both(docs, ("Офису регистратора внести", "Тіркеуші кеңсесі мәліметтерді"),
                "М. П. Иванова", REGISTRY_RU)


def _transfer_in(client, people, n: int, last: str, first: str, middle: str, sex: str, batch: bool) -> int:
    """A paid-basis transfer from another university through the vice-rector's approval, with an
    academic difference of 6 ECTS."""
    from tests.integration.test_transfer_in import ALL_DOCS, APPLICANT, TO_ORDER

    applicant = {**APPLICANT, **REGISTRY_PROGRAMME, "iin": make_iin(date(2004, 1 + n, 10 + n), sex, 5000 + n),
                 "last_name": last, "first_name": first, "middle_name": middle,
                 "sending_university": "Карагандинский университет имени академика Е. А. Букетова"}
    cid = _register(client, people, process_id="transfer_in", channel="state_corporation",
                    data={"applicant": applicant})
    users = {"check_documents": "registrar", "determine_difference": "dean_it", "paid_contract": "accountant",
             "vr_approval": "vicerector"}
    answers = {**TO_ORDER, "check_documents": {**ALL_DOCS, "batch_order": batch},
               "determine_difference": {
                   "final_year": False, "difference": [{"discipline": "Психология развития",
                                                        "discipline_kk": "Даму психологиясы", "credits": 6}],
                   "difference_credits": 6, "difference_deadline": "2026-12-25", "dean_decision": "approve"}}
    for spec, data in answers.items():
        complete(client, people, users[spec], cid, spec, data)
    return cid


def test_transfer_order_lists_dean_accounting_and_vice_rector(client, ctx, office):
    people = office
    cid = _transfer_in(client, people, 1, *LONG_NAMES[0], batch=False)
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    ru = docx_text(docs["ru"])
    for line in ("Декан факультета информационных технологий\tН. Б. Сейткали", "Бухгалтер\tМ. П. Иванова",
                 "Проректор по академическим вопросам\tЕ. С. Абенов"):
        assert line in ru
    assert "6, до 25.12.2026" in _cells(docs["ru"])
    _check_both(docs, ("3. Офису регистратора", "3. Тіркеуші кеңсесі"), "Е. С. Абенов", REGISTRY_RU)


def test_batch_transfer_order_agrees_with_the_single_one(client, ctx, office):
    """The batch order cites the transfer rules, prints the academic difference and the
    personal-file item, as the single transfer order does; its approvers are the batch case's."""
    people = office
    for n, (last, first, middle, sex) in enumerate(LONG_NAMES[:4]):
        _transfer_in(client, people, n, last, first, middle, sex, batch=True)
    r = client.post("/api/v1/contingent-orders/transfers", headers=people["registrar"], json={})
    assert r.status_code == 201, r.json
    docs = _approved_batch(client, ctx, people, r.json["id"])

    ru = docx_text(docs["ru"])
    assert "Правилами перевода и восстановления обучающихся" in ru
    assert "Академическая разница (ECTS), срок" in ru and "6, до 25.12.2026" in _cells(docs["ru"])
    assert "запросить личные дела обучающихся" in ru
    assert "Руководитель офиса регистратора\tГ. Е. Жуматова" in ru and "Сейткали" not in ru
    kk = docx_text(docs["kk"])
    assert "Білім алушыларды ауыстыру және қайта қабылдау қағидаларына" in kk
    assert "жеке істерін сұратсын" in kk
    _check_both(docs, ("3. Офису регистратора", "3. Тіркеуші кеңсесі"), "Е. С. Абенов", REGISTRY_RU)


def test_academic_leave_order_names_the_student_in_the_kazakh_dative(client, ctx, office):
    people = office
    sid = add_student(ctx, iin=make_iin(date(2004, 3, 9), "F", 4321), last_name="Жаксылыкова",
                      first_name="Айгерим", middle_name="Серикқызы", sex="F", **REGISTRY_PROGRAMME)
    cid = _register(client, people, process_id="academic_leave", student_id=sid, channel="direct",
                    data={"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"})
    complete(client, people, "registrar", cid, "check_documents", {
        "leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31",
        "doc_application": True, "doc_medical_conclusion": True, "documents_complete": True,
        "decision": "approve"})
    complete(client, people, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    assert "обучающейся Жаксылыковой Айгерим Серикқызы" in docx_text(docs["ru"])
    kk = docx_text(docs["kk"])
    assert "1. Білім алушы Жаксылыкова Айгерим Серикқызына (ЖСН" in kk
    assert "Ақпараттық технологиялар факультетінің деканы\tН. Б. Сейткали" in kk
    _check_both(docs, ("3. Контроль за исполнением", "3. Бұйрықтың орындалуын"),
                "Н. Б. Сейткали", REGISTRY_RU)


def _long_named_student(ctx, serial: int = 2718, **fields) -> int:
    return add_student(ctx, iin=make_iin(date(2005, 2, 14), "F", serial), last_name="Жаксылыкова",
                       first_name="Айгерим", middle_name="Серикқызы", sex="F",
                       **{**REGISTRY_PROGRAMME, **fields})


def test_transfer_out_order(client, ctx, office):
    people = office
    cid = start_case(client, people, "transfer_out", _long_named_student(ctx))["id"]
    complete(client, people, "registrar", cid, "check_documents", {
        "doc_application": True, "doc_identity": True, "doc_receiving_letter": True,
        "receiving_university": "Карагандинский университет имени академика Е. А. Букетова",
        "receiving_university_kk": "Академик Е. А. Бөкетов атындағы Қарағанды университеті",
        "documents_complete": True, "registrar_decision": "approve"})
    complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    complete(client, people, "registrar", cid, "issue_consent", {
        "consent_number": "01-12/345", "consent_date": "2026-07-01", "transcript_number": "T-77",
        "transcript_date": "2026-07-01", "issued_to_student": True})
    complete(client, people, "registrar", cid, "receive_order", {
        "transferred": True, "receiving_order_number": "512-П",
        "receiving_order_date": date.today().isoformat()})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    assert "Декан факультета информационных технологий\tН. Б. Сейткали" in docx_text(docs["ru"])
    assert "«Академик Е. А. Бөкетов атындағы Қарағанды университеті»" in docx_text(docs["kk"])
    _check_both(docs, ("3. Контроль за исполнением", "3. Бұйрықтың орындалуын"),
                "Н. Б. Сейткали", REGISTRY_RU)


def test_internal_transfer_order(client, ctx, office):
    people = office
    cid = start_case(client, people, "transfer_internal", _long_named_student(ctx, year=3))["id"]
    target = {"new_programme_code": "6B06101", "new_programme_name": "Информационные системы",
              "new_form": "distance", "new_language": "kk", "transfer_reason": "Смена специальности"}
    complete(client, people, "registrar", cid, "check_documents", {
        "doc_application": True, "doc_identity": True, "doc_transcript": True, **target,
        "documents_complete": True, "registrar_decision": "approve"})
    complete(client, people, "dean_it", cid, "dean_review", {
        "dean_decision": "approve", "final_year": False,
        "difference": [{"discipline": "Базы данных",
                        "discipline_kk": "Деректер базасы", "credits": 6}], "difference_credits": 6,
        "difference_deadline": "2026-12-25"})
    complete(client, people, "registrar", cid, "check_grant", {"same_programme_group": False,
                                                               "funding_basis": "paid"})
    complete(client, people, "accountant", cid, "paid_contract",
             {"contract_number": "77/2026", "contract_date": "2026-07-05", "prepayment_received": True})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    assert "дистанционная, казахский, платная" in _cells(docs["ru"])
    assert "Бухгалтер\tМ. П. Иванова" in docx_text(docs["ru"])
    _check_both(docs, ("3. Офису регистратора", "3. Тіркеуші кеңсесі"),
                "Е. С. Абенов", "Информационные системы")


def test_reinstatement_order(client, ctx, office):
    from tests.integration.test_reinstatement import APPLICANT, CHECKED

    people = office
    applicant = {**APPLICANT, **REGISTRY_PROGRAMME, "last_name": "Нурмухамбетов", "first_name": "Ерболат",
                 "middle_name": "Кайратович"}
    cid = _register(client, people, process_id="reinstatement", channel="egov", data={"applicant": applicant})
    complete(client, people, "registrar", cid, "check_documents", CHECKED)
    complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    docs = _documents(client, people, case_view(client, people, cid))

    assert "Нурмухамбетова Ерболата Кайратовича" in _cells(docs["ru"])
    _check_both(docs, ("3. Офису регистратора", "3. Тіркеуші кеңсесі"), "Е. С. Абенов", REGISTRY_RU)


def test_recredit_order_names_the_student_in_the_kazakh_genitive(client, ctx, office):
    from tests.integration.test_mobility import CHECKED, RETURN

    people = office
    cid = start_case(client, people, "mobility", _long_named_student(ctx))["id"]
    complete(client, people, "registrar", cid, "check_application", CHECKED)
    complete(client, people, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, people, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2027-01-20"})
    # the partner's transcript (05.07.2027) is recorded once it has come
    with time_machine.travel(datetime(2027, 7, 6, 10, tzinfo=ctx.tz), tick=False):
        complete(client, people, "registrar", cid, "record_return", RETURN)
        complete(client, people, "dean_it", cid, "dean_recredit", {"recredit_decision": "approve"})
        assert drain(ctx) >= 1
    view = case_view(client, people, cid)
    docs = _documents(client, people, {"documents": [d for d in view["documents"]
                                                     if d["kind"] == "order_mobility_recredit"]})

    kk = docx_text(docs["kk"])
    assert "1. Білім алушы Жаксылыкова Айгерим Серикқызының (ЖСН" in kk
    assert "обучающейся Жаксылыковой Айгерим Серикқызы" in docx_text(docs["ru"])
    _check_both(docs, ("3. Контроль за исполнением", "3. Бұйрықтың орындалуын"),
                "Н. Б. Сейткали", REGISTRY_RU)  # the disciplines are printed in Kazakh: checked too
