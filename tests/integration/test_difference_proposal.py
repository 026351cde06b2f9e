"""The academic difference proposed from the earlier results: a transfer's transcript compared
with the target curriculum (re-credit and difference lines, totals, the transfer rules' limit),
the dean's step opening filled with the proposal, the dean's edit confirmed and printed by the
signed order in Russian and Kazakh; a reinstatement read from our own record; bad transcripts
refused naming the row and the field, nothing stored."""

from __future__ import annotations

from datetime import date

import pytest

from server.auth import Actor
from server.jobs.inprocess import drain
from server.services.errors import Invalid
from server.services.procedures import deployments
from server.services.record import difference, imports
from server.services.record.access import academic_year_start
from tests.integration.api import case_view, complete, document_text, group_inbox
from tests.integration.test_transfer_in import ALL_DOCS
from tests.integration.test_transfer_in import APPLICANT as TRANSFER_APPLICANT

# An applicant entering the 2nd year: the cohort was admitted a year before this academic year.
COHORT = academic_year_start(date.today()) - 1
PLAN = [
    # code, ru, kk, credits, semester
    ("MAT101", "Математический анализ", "Математикалық талдау", 5, 1),
    ("HIS101", "История Казахстана", "Қазақстан тарихы", 5, 1),
    ("ENG101", "Иностранный язык I", "Шетел тілі I", 5, 1),
    ("PHI101", "Философия", "Философия", 5, 1),
    ("INF101", "Информатика", "Информатика", 6, 1),
    ("PHY102", "Физика", "Физика", 6, 2),
    ("ALG102", "Алгоритмы", "Алгоритмдер", 4, 2),
    ("DBS102", "Базы данных", "Деректер базасы", 5, 2),
    ("ECO102", "Экономика", "Экономика", 4, 2),
    ("KAZ102", "Казахский язык", "Қазақ тілі", 5, 2),
    ("OPS203", "Операционные системы", "Операциялық жүйелер", 5, 3),  # the 2nd year's: not compared
]
# The sending university's transcript: 12 disciplines over 2 semesters.
TRANSCRIPT = [
    {"discipline": "Математический анализ", "credits": 6, "points": 95, "term": 1},
    {"discipline": "ИСТОРИЯ  КАЗАХСТАНА", "credits": 5, "letter": "B", "term": 1},
    {"discipline": "Иностранный язык 1", "credits": 5, "points": 88, "letter": "B+", "term": 1},
    {"discipline": "Философия", "credits": 3, "points": 82, "term": 1},  # fewer credits
    {"discipline": "Информатика", "credits": 6, "points": 40, "letter": "FX", "term": 1},  # not passed
    {"discipline": "Социология", "credits": 5, "letter": "B", "term": 1},
    {"discipline": "Физика.", "credits": 6, "points": 67, "term": 2},
    {"discipline": "Алгоритмдер", "credits": 5, "letter": "A-", "term": 2},  # the Kazakh name
    {"discipline": "Базы данных", "credits": 5, "points": 86, "letter": "B+", "term": 2},
    {"discipline": "Политология", "credits": 4, "letter": "C+", "term": 2},
    {"discipline": "Физическая культура", "credits": 2, "letter": "A", "term": 2},
    {"discipline": "Психология", "credits": 3, "letter": "B", "term": 2},
]
CSV_HEADER = ("programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
              "semester,kind")


def plan_csv(programme: str = "6B06102", year: int = COHORT) -> bytes:
    rows = [f"{programme},{year},{c},{ru},{kk},{ru},{cr},exam,{sem},compulsory"
            for c, ru, kk, cr, sem in PLAN]
    return ("\n".join([CSV_HEADER, *rows]) + "\n").encode()


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    imports.import_curricula(ctx, Actor.system(), "plan.csv", plan_csv(), dry_run=False)
    return people


def _start(client, people, rows=TRANSCRIPT, status=201):
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "transfer_in", "channel": "direct",
        "data": {"applicant": {**TRANSFER_APPLICANT, "earlier_results": rows}}})
    assert r.status_code == status, r.json
    return r.json


def _task(client, people, user, cid, spec):
    task = group_inbox(client, people, user)[(cid, spec)]
    r = client.get(f"/api/v1/tasks/{task['id']}", headers=people[user])
    assert r.status_code == 200, r.json
    return r.json


def _proposal(ctx, cid):
    return _proposal_of(ctx, cid, "transfer_in/determine_difference")


def _proposal_of(ctx, cid, form_key):
    from server.engine import Instance
    from server.models import Case
    from server.services.procedures.deployments import definition_info

    with ctx.db.read() as session:
        case = session.get(Case, cid)
        bundle = definition_info(ctx, session, case.definition_id).bundle
        data = Instance.stored_data(bundle, case.state)
        return difference.case_proposal(ctx, session, case, bundle, form_key, data)


def test_a_transfer_gets_the_proposal_the_dean_edits_and_the_order_prints(client, ctx, deployed):
    people = deployed
    cid = _start(client, people)["id"]
    # the check step opens with the transcript's rows as stored (letters from the points)
    checked = _task(client, people, "registrar", cid, "check_documents")["data"]["earlier_results"]
    assert [(r["discipline"], r["letter"]) for r in checked][:5] == [
        ("Математический анализ", "A"), ("ИСТОРИЯ  КАЗАХСТАНА", "B"), ("Иностранный язык 1", "B+"),
        ("Философия", "B"), ("Информатика", "FX")]
    complete(client, people, "registrar", cid, "check_documents", ALL_DOCS)

    data = _task(client, people, "dean_it", cid, "determine_difference")["data"]
    assert "recredit" not in data  # shown beside the form, kept at completion
    recredit = difference.proposed_lines(_proposal(ctx, cid))["recredit"]
    assert [(x["discipline_code"], x["credits"], x["earlier_discipline"], x["earlier_letter"])
            for x in recredit] == [
        ("ENG101", 5, "Иностранный язык 1", "B+"), ("HIS101", 5, "ИСТОРИЯ  КАЗАХСТАНА", "B"),
        ("MAT101", 5, "Математический анализ", "A"), ("ALG102", 4, "Алгоритмдер", "A-"),
        ("DBS102", 5, "Базы данных", "B+"), ("PHY102", 6, "Физика.", "C")]
    assert [(x["discipline_code"], x["discipline"], x["discipline_kk"], x["credits"], x["semester"])
            for x in data["difference"]] == [
        ("INF101", "Информатика", "Информатика", 6, 1), ("PHI101", "Философия", "Философия", 5, 1),
        ("ECO102", "Экономика", "Экономика", 4, 2), ("KAZ102", "Казахский язык", "Қазақ тілі", 5, 2)]
    assert data["difference_credits"] == 20

    # the dean removes one line; a total that disagrees with the lines is refused naming it
    lines = [x for x in data["difference"] if x["discipline_code"] != "KAZ102"]
    decision = {"final_year": False, "difference": lines,
                "difference_credits": 15, "difference_deadline": "2026-12-25", "dean_decision": "approve"}
    refused = complete(client, people, "dean_it", cid, "determine_difference",
                       {**decision, "difference_credits": 20}, status=422)
    assert "difference_credits" in refused["fields"]
    # a line typed by hand without a Kazakh name our disciplines do not know is refused
    typed = {"discipline": "Теория игр", "credits": 3}
    refused = complete(client, people, "dean_it", cid, "determine_difference",
                       {**decision, "difference": [*lines, typed], "difference_credits": 18}, status=422)
    assert list(refused["fields"]) == ["difference.3.discipline_kk"]
    complete(client, people, "dean_it", cid, "determine_difference", decision)
    confirmed = case_view(client, people, cid)["data"]
    assert confirmed["difference_credits"] == 15
    assert [x["discipline_code"] for x in confirmed["recredit"]] == [x["discipline_code"] for x in recredit]

    complete(client, people, "accountant", cid, "paid_contract", {
        "contract_number": "Д-17", "contract_date": "2026-08-12", "prepayment_received": True})
    complete(client, people, "vicerector", cid, "vr_approval", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, people, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-08-14"})
    drain(ctx)
    view = case_view(client, people, cid)
    ru = document_text(client, people, view, "ru", "order_transfer_in")
    kk = document_text(client, people, view, "kk", "order_transfer_in")
    assert "Академическая разница Иванову Петру Сергеевичу (кредитов ECTS всего: 15; срок ликвидации — до " \
           "25.12.2026)" in ru
    assert "1) Информатика (кредитов ECTS: 6);" in ru and "3) Экономика (кредитов ECTS: 4)." in ru
    assert "2) Философия (5 ECTS кредиті);" in kk and "Қазақ тілі" not in kk and "Казахский язык" not in ru
    assert "академиялық айырмашылық (барлығы 15 ECTS кредиті, жою мерзімі — 25.12.2026 дейін)" in kk


def test_bad_transcript_rows_are_refused_naming_row_and_field(client, deployed):
    people = deployed
    no_credits = [dict(TRANSCRIPT[0]), {k: v for k, v in TRANSCRIPT[1].items() if k != "credits"}]
    r = _start(client, people, no_credits, status=422)
    assert "data.applicant.earlier_results.1.credits" in r["fields"]
    wrong_letter = [dict(TRANSCRIPT[0]), {**TRANSCRIPT[2], "letter": "A"}]
    r = _start(client, people, wrong_letter, status=422)
    assert r["fields"]["data.applicant.earlier_results.1.letter"].startswith("строка 2: буква A")
    r = client.get("/api/v1/cases", headers=people["registrar"])
    assert r.json["total"] == 0


def test_a_transcript_file_is_read_with_a_mapping(ctx, deployed):
    mapping = {"discipline": "Дисциплина", "credits": "Кредиты", "points": "Баллы", "letter": "Оценка",
               "term": "Семестр"}
    good = "Дисциплина;Кредиты;Баллы;Оценка;Семестр\nФизика;6;67;C;2\nАлгоритмдер;5;;A-;2\n".encode()
    rows = difference.read_transcript(ctx, Actor.system(), "t.csv", good, mapping)
    assert [(r["discipline"], r["credits"], r["points"], r["letter"], r["term"]) for r in rows] == [
        ("Физика", 6, 67, "C", 2), ("Алгоритмдер", 5, None, "A-", 2)]
    unknown = "Дисциплина;Кредиты;Баллы;Оценка;Семестр;Преподаватель\nФизика;6;67;C;2;Ким\n".encode()
    with pytest.raises(Invalid) as exc:
        difference.read_transcript(ctx, Actor.system(), "t.csv", unknown, mapping)
    assert list(exc.value.fields) == ["columns.преподаватель"]
    bad = "Дисциплина;Кредиты;Баллы;Оценка;Семестр\nФизика;6;67;C;2\nХимия;;90;A-;2\n".encode()
    with pytest.raises(Invalid) as exc:
        difference.read_transcript(ctx, Actor.system(), "t.csv", bad, mapping)
    assert sorted(exc.value.fields) == ["line.3.credits"]
    with pytest.raises(Invalid) as exc:
        difference.read_transcript(ctx, Actor.system(), "t.csv", good, {"teacher": "Преподаватель"})
    assert list(exc.value.fields) == ["mapping"]


def test_a_reinstatement_is_proposed_from_our_record(client, ctx, people):
    from tests.integration.record_data import IIN_A, seed
    from tests.integration.test_reinstatement import APPLICANT

    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    seed(ctx)  # student A: MAT101 A, HIS101 C (1st semester), PHY102 FX, ALG102 B+ (2nd)
    from server.models import Student
    with ctx.db.unit_of_work() as session:
        session.query(Student).filter(Student.iin == IIN_A).one().status = "expelled"
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "reinstatement", "channel": "direct",
        "data": {"applicant": {**APPLICANT, "iin": IIN_A, "last_name": "Ахметов", "first_name": "Ерлан",
                               "middle_name": ""}}})
    assert r.status_code == 201, r.json
    data = _task(client, people, "registrar", r.json["id"], "check_documents")["data"]
    recredit = difference.proposed_lines(_proposal_of(ctx, r.json["id"], "reinstatement/check_documents"))
    assert [(x["discipline_code"], x["earlier_letter"]) for x in recredit["recredit"]] == [
        ("HIS101", "C"), ("MAT101", "A"), ("ALG102", "B+")]
    assert [(x["discipline_code"], x["discipline_kk"], x["credits"]) for x in data["difference"]] == [
        ("PHY102", "Физика", 6)]
    assert data["difference_credits"] == 6


def test_the_api_reads_a_transcript_file_and_stores_nothing(client, deployed):
    import io
    import json

    def upload(content: bytes, mapping: dict, user: str = "registrar"):
        return client.post("/api/v1/record/transcript-rows", headers=deployed[user],
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), "transcript.csv"),
                                 "mapping": json.dumps(mapping)})

    mapping = {"discipline": "Дисциплина", "credits": "Кредиты", "letter": "Оценка"}
    r = upload("Дисциплина;Кредиты;Оценка\nФизика;6;C\n".encode(), mapping)
    assert r.status_code == 200, r.json
    assert r.json["rows"] == [{"discipline": "Физика", "discipline_code": None, "credits": 6.0,
                               "points": None, "letter": "C", "term": None}]
    r = upload("Дисциплина;Кредиты;Оценка\nФизика;6;Q\n".encode(), mapping)
    assert r.status_code == 422 and list(r.json["fields"]) == ["line.2.letter"]
    assert upload(b"discipline;credits;letter\n", {}, user="dean_it").status_code == 403
