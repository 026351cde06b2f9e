"""The academic record on both databases: curricula and transcripts imported (dry run with a
per-row report, all or nothing), a student's record by term with GPA and debt, a correction as a
new row with its case, the whole university's standings in one SQL statement equal to the
domain's figures, and the promotion list."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import CurriculumItem, Discipline, Faculty, RecordImport, Result
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.record import imports, queries, results
from tests.integration.record_data import (
    ADMISSION,
    FIRST_YEAR,
    GOOD,
    IIN_A,
    IIN_B,
    IIN_UNKNOWN,
    MAPPING,
    curriculum_csv,
    seed,
    transcript_csv,
)

SYSTEM = Actor.system()


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def record(ctx, people):
    return seed(ctx)


def test_curricula_dry_run_reports_and_writes_nothing_then_imports(ctx, people):
    report = imports.import_curricula(ctx, SYSTEM, "plan.csv", curriculum_csv(), dry_run=True)
    assert [r.status for r in report.rows] == ["new"] * 4
    assert _count(ctx, Discipline) == 0 and _count(ctx, CurriculumItem) == 0
    report = imports.import_curricula(ctx, SYSTEM, "plan.csv", curriculum_csv(), dry_run=False)
    assert report.import_id and _count(ctx, Discipline) == 4 and _count(ctx, CurriculumItem) == 4
    again = imports.import_curricula(ctx, SYSTEM, "plan.csv", curriculum_csv(), dry_run=False)
    assert [r.status for r in again.rows] == ["unchanged"] * 4
    # the same disciplines in another programme's plan: the disciplines are shared
    imports.import_curricula(ctx, SYSTEM, "plan.csv", curriculum_csv("6B06101"), dry_run=False)
    assert _count(ctx, Discipline) == 4 and _count(ctx, CurriculumItem) == 8


def test_a_bad_curriculum_row_refuses_the_whole_file(ctx, people):
    bad = curriculum_csv() + (f"6B06102,{ADMISSION},X1,A,B,C,0,oral,13,core\n"
                              f"6B06102,{ADMISSION},MAT101,a,b,c,5,exam,1,compulsory\n").encode()
    report = imports.import_curricula(ctx, SYSTEM, "plan.csv", bad, dry_run=True)
    refused = {r.row: r.reason for r in report.refused}
    assert set(refused) == {6, 7}
    # Each field by its name, never its code.
    assert "кредиты:" in refused[6] and "форма контроля:" in refused[6] and "компонент:" in refused[6]
    assert "семестр по плану:" in refused[6] and "_" not in refused[6]
    with pytest.raises(Invalid) as exc:
        imports.import_curricula(ctx, SYSTEM, "plan.csv", bad, dry_run=False)
    assert "строка 6" in " ".join(exc.value.fields.values())
    assert _count(ctx, Discipline) == 0


def test_transcript_dry_run_reports_each_row(ctx, people):
    ids = seed(ctx)
    before = _count(ctx, Result)
    rows = [
        (IIN_B, "HIS101", FIRST_YEAR, 1, 1, 70, "C+"),  # 2: new
        (IIN_A, "MAT101", FIRST_YEAR, 1, 1, 96, "A"),  # 3: already recorded, same points
        (IIN_UNKNOWN, "MAT101", FIRST_YEAR, 1, 1, 80, "B"),  # 4: unknown student
        (IIN_B, "CHE999", FIRST_YEAR, 1, 1, 80, "B"),  # 5: unknown discipline
        (IIN_B, "PHY102", FIRST_YEAR, 2, 1, 80, "A"),  # 6: letter does not match
        (IIN_B, "PHY102", FIRST_YEAR, 2, 1, 55, "D+"),  # 7: new
        (IIN_B, "PHY102", FIRST_YEAR, 2, 1, 56, "D+"),  # 8: the same attempt again in the file
        (IIN_B, "ALG102", FIRST_YEAR, 3, 1, 75, "B-"),  # 9: ALG102 is in semester 2
        (IIN_A, "HIS101", FIRST_YEAR, 1, 1, 90, "A-"),  # 10: recorded with other points
        ("123", "MAT101", "2025/26", 1, 1, 101, ""),  # 11: bad ИИН, year, points
    ]
    report = imports.import_transcripts(ctx, SYSTEM, "t.csv", transcript_csv(rows), mapping=MAPPING)
    by_row = {r.row: r for r in report.rows}
    assert [by_row[n].status for n in range(2, 12)] == [
        "new", "unchanged", "refused", "refused", "refused", "new", "refused", "refused", "refused",
        "refused"]
    assert "неизвестный обучающийся" in by_row[4].reason and by_row[4].iin == IIN_UNKNOWN
    assert "неизвестная дисциплина CHE999" in by_row[5].reason and by_row[5].discipline == "CHE999"
    assert "буква A не соответствует 80 баллам: по шкале — B" in by_row[6].reason
    assert "повторяет строку 7" in by_row[8].reason
    assert "семестр 3" in by_row[9].reason
    assert "корректировкой" in by_row[10].reason
    assert "учебный год" in by_row[11].reason and "от 0 до 100" in by_row[11].reason
    assert _count(ctx, Result) == before  # a dry run writes nothing
    # the real run refuses the whole file
    with pytest.raises(Invalid) as exc:
        imports.import_transcripts(ctx, SYSTEM, "t.csv", transcript_csv(rows), mapping=MAPPING, dry_run=False)
    assert len(exc.value.fields) == 7
    assert _count(ctx, Result) == before and _count(ctx, RecordImport) == 2
    assert ids


def test_transcript_real_run_is_idempotent_and_reports_progress(ctx, people):
    seed(ctx)
    assert _count(ctx, Result) == len(GOOD)
    seen: list[tuple[int, int]] = []
    rows = [(IIN_B, "HIS101", FIRST_YEAR, 1, 1, 70, "C+"), (IIN_A, "PHY102", "2026-2027", 2, 2, 71, "")]
    report = imports.import_transcripts(ctx, SYSTEM, "t.csv", transcript_csv(rows), mapping=MAPPING,
                                        dry_run=False, progress=lambda d, t: seen.append((d, t)))
    assert [r.status for r in report.rows] == ["new", "new"] and seen == [(2, 2)]
    again = imports.import_transcripts(ctx, SYSTEM, "t.csv", transcript_csv(rows), mapping=MAPPING,
                                       dry_run=False)
    assert [r.status for r in again.rows] == ["unchanged", "unchanged"]
    assert _count(ctx, Result) == len(GOOD) + 2


def test_an_unknown_mapping_field_is_refused(ctx, people):
    with pytest.raises(Invalid) as exc:
        imports.import_transcripts(ctx, SYSTEM, "t.csv", transcript_csv(GOOD), mapping={"grade": "x"})
    assert "mapping" in exc.value.fields


def test_the_record_by_term_with_gpa_credits_and_debt(ctx, record):
    rec = queries.student_record(ctx, SYSTEM, record["a"])
    assert [t.term for t in rec.terms] == [1, 2]
    term1, term2 = rec.terms
    assert [x.discipline_code for x in term1.lines] == ["HIS101", "MAT101"]
    assert term1.standing.gpa == 3.0  # (5×4.0 + 5×2.0) / 10
    # term 2: (6×0.5 + 4×3.33) / 10 = 1.632 → 1.63; cumulative (20 + 10 + 3 + 13.32) / 20 = 2.316 → 2.32
    assert term2.standing.gpa == 1.63 and term2.cumulative.gpa == 2.32
    assert rec.overall.credits_earned == 14 and rec.overall.credits_graded == 20
    assert [d.discipline_code for d in rec.debts] == ["PHY102"] and not rec.promoted
    # the retake (attempt 2) passes PHY102: the debt is gone and the latest attempt counts
    results.append_result(ctx, SYSTEM, results.NewResult(record["a"], "PHY102", "2026-2027", 2, 71, "C+", 2))
    rec = queries.student_record(ctx, SYSTEM, record["a"])
    assert rec.debts == [] and rec.overall.credits_earned == 20 and rec.promoted
    assert rec.terms[1].standing.gpa == round((6 * 2.33 + 4 * 3.33) / 10, 2) == 2.73


def test_appending_refuses_bad_input_and_a_recorded_attempt(ctx, record):
    with pytest.raises(Invalid) as exc:
        results.append_result(ctx, SYSTEM, results.NewResult(record["b"], "XXX", "2025", 1, 120, "A", 0))
    assert set(exc.value.fields) == {"points", "academic_year", "attempt", "discipline_code"}
    with pytest.raises(Invalid) as exc:
        results.append_result(ctx, SYSTEM, results.NewResult(record["b"], "PHY102", FIRST_YEAR, 1, 80, "A"))
    assert set(exc.value.fields) == {"letter", "term"}
    with pytest.raises(Conflict):
        results.append_result(ctx, SYSTEM, results.NewResult(record["b"], "MAT101", FIRST_YEAR, 1, 80))
    dean_econ = Actor(None, "dean_econ", frozenset({"dean"}), faculty_id=999)
    with pytest.raises(Forbidden):
        results.append_result(ctx, dean_econ, results.NewResult(record["b"], "MAT101", FIRST_YEAR, 1, 80))
    with pytest.raises(NotFound):
        queries.student_record(ctx, dean_econ, record["b"])


def test_a_correction_is_a_new_row_with_its_reason_and_case(ctx, record, client, people):
    from tests.integration.procs import deploy_all
    from tests.integration.test_cert_study import START_DATA

    deploy_all(ctx)
    case = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "cert_study", "student_id": record["a"], "channel": "direct", "data": START_DATA}).json
    with ctx.db.read() as session:
        his = session.scalar(select(Result).join(Discipline).where(Result.student_id == record["a"],
                                                                   Discipline.code == "HIS101"))
    with pytest.raises(Invalid) as exc:
        results.correct_result(ctx, SYSTEM, his.id, 88, "", None)
    assert set(exc.value.fields) == {"reason", "case_id"}
    with ctx.db.read() as session:
        mat_b = session.scalar(select(Result.id).where(Result.student_id == record["b"]))
    with pytest.raises(Invalid) as exc:  # the case is student A's, the result student B's
        results.correct_result(ctx, SYSTEM, mat_b, 95, "Апелляция", case["id"])
    assert exc.value.fields["case_id"] == f"дело № {case['id']} — другого обучающегося"
    new_id = results.correct_result(ctx, SYSTEM, his.id, 88, "Апелляция удовлетворена", case["id"])
    from server.models import AuditEvent
    from tests.integration.web import Staff, text

    with ctx.db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "result_corrected"))
    assert event.case_id == case["id"] and event.payload["name"] == "HIS101: 66 (C) → 88 (B+)"
    page = text(Staff(client.application, "registrar", lang="kk").get(f"/app/cases/{case['id']}"))
    assert "Нәтиже оқу жетістіктерінің есебінде түзетілді" in page
    assert "HIS101: 66 (C) → 88 (B+) : Апелляция удовлетворена" in page
    rows = results.history(ctx, SYSTEM, record["a"], "HIS101")
    assert [(r.points, r.letter, r.corrects_id, r.case_id) for r in rows] == [
        (66, "C", None, None), (88, "B+", his.id, case["id"])]
    assert rows[1].id == new_id
    term1 = queries.student_record(ctx, SYSTEM, record["a"]).terms[0]
    assert term1.standing.gpa == round((20 + 5 * 3.33) / 10, 2)
    assert [x.corrected for x in term1.lines] == [True, False]


def test_the_university_standings_in_sql_equal_the_records(ctx, record):
    results.append_result(ctx, SYSTEM, results.NewResult(record["b"], "MAT101", "2026-2027", 1, 30, None, 2))
    standings = {s.student_id: s for s in queries.university_standings(ctx)}
    for student_id in record.values():
        rec = queries.student_record(ctx, SYSTEM, student_id)
        s = standings[student_id]
        assert (s.gpa, s.credits_graded, s.credits_earned, s.debts) == (
            rec.overall.gpa, rec.overall.credits_graded, rec.overall.credits_earned, len(rec.overall.debts))
    assert standings[record["b"]].gpa == 0.5  # the 2nd attempt, FX, counts


def test_the_promotion_list_names_who_stays(ctx, record):
    stays = queries.promotion_list(ctx, SYSTEM, "IT")
    assert [(s.iin, s.debts) for s in stays] == [(IIN_A, 1)]  # B has A- (3.67) and no debt
    assert queries.promotion_list(ctx, SYSTEM, "IT", min_gpa=3.8)[1].iin == IIN_B
    assert queries.promotion_list(ctx, SYSTEM, "ECON") == []
    with pytest.raises(NotFound):
        queries.promotion_list(ctx, Actor(None, "d", frozenset({"dean"}), faculty_id=999), "IT")


@pytest.mark.parametrize("shape", ["sqlite", "postgresql", "window"])
def test_every_shape_of_the_standings_agrees(ctx, record, shape):
    """The correlated seek, DISTINCT ON and the window pick the same counting rows: each
    database runs the shape it is fast with (DISTINCT ON exists on PostgreSQL only)."""
    if shape == "postgresql" and not ctx.db.is_postgres:
        pytest.skip("DISTINCT ON is PostgreSQL's")
    from server.services.record.access import scale

    results.append_result(ctx, SYSTEM, results.NewResult(record["b"], "MAT101", "2026-2027", 1, 30, None, 2))
    with ctx.db.read() as session:
        rows = session.execute(queries.standings_query(scale(ctx), None, shape)).all()
        it = session.scalar(select(Faculty.id).where(Faculty.code == "IT"))
        faculty = session.execute(queries.standings_query(scale(ctx), it, shape)).all()
    by_student = {sid: (round(gpa, 2), g, e, d) for sid, gpa, g, e, d in rows}
    assert by_student == {record["a"]: (2.32, 20, 14, 1), record["b"]: (0.5, 5, 0, 1)}
    assert sorted(r[0] for r in faculty) == sorted(by_student)


def test_an_xlsx_transcript_with_numbers_and_a_mapping(ctx, record):
    """An XLSX export: numbers as numbers (an ИИН that lost its leading zero, 2.0 for 2)."""
    import io

    from openpyxl import Workbook

    from tests.integration.api import add_student
    from tests.integration.record_data import FIRST_YEAR

    iin = _zero_iin()  # born 2005: «05…», the leading zero an XLSX number drops
    add_student(ctx, iin, last_name="Омаров")
    book = Workbook()
    sheet = book.active
    sheet.append(["ИИН", "Код", "Год", "Семестр", "Баллы"])
    sheet.append([int(iin), "HIS101", FIRST_YEAR, 1.0, 88.0])
    out = io.BytesIO()
    book.save(out)
    mapping = {"iin": "ИИН", "discipline_code": "Код", "academic_year": "Год", "term": "Семестр",
               "points": "Баллы"}
    report = imports.import_transcripts(ctx, SYSTEM, "t.xlsx", out.getvalue(), mapping=mapping, dry_run=False)
    assert [(r.iin, r.status) for r in report.rows] == [(iin, "new")]


def _zero_iin() -> str:
    from datetime import date

    from server.domain.iin import make_iin

    return make_iin(date(2005, 1, 1), "M", 17)
