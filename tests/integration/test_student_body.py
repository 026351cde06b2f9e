"""Statistical counts of the student body on a date (1-НК / 3-НК style): today from the registry,
an earlier date from the registry with the later orders' changes undone; by course, form,
language, funding, citizenship, sex (from the ИИН) and age; XLSX; refusals."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from server.domain.iin import make_iin
from tests.integration.procs import add_student, deploy_all
from tests.integration.test_contingent_movement import Orders

URL = "/api/v1/reports/student-body"


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return people


def _table(report: dict, dimension: str) -> dict[str, dict]:
    table = next(t for t in report["tables"] if t["dimension"] == dimension)
    return {row["code"]: row for row in table["rows"]}


def _at(ctx, day: date) -> datetime:
    return datetime.combine(day, time(11), tzinfo=ctx.tz).astimezone(UTC)


@pytest.fixture
def school(ctx, env):
    """Three students from the import, then orders: two enrolled on 10.02.2026, one expelled on
    10.03.2026, one moved to the Economics faculty and the 3rd course on 10.04.2026."""
    ivan = make_iin(date(2004, 3, 9), "M", 11)
    aigerim = make_iin(date(2006, 12, 20), "F", 12)
    foreign = make_iin(date(2001, 6, 1), "M", 13)
    add_student(ctx, iin=ivan, year=2)
    add_student(ctx, iin=aigerim, sex=None, year=2, language="kk")  # sex from the ИИН
    add_student(ctx, iin=foreign, year=4, citizenship="UZB", funding="paid", form="part_time")
    orders = Orders(ctx)
    new = [{"iin": make_iin(date(2007, 1, 5), "F", 21 + n), "last_name": "Жаңа", "first_name": f"Н{n}",
            "faculty_code": "IT", "programme_code": "6B06102", "programme_name": "Программная инженерия",
            "year": 1, "language": "kk", "funding": "grant", "form": "full_time"} for n in range(2)]
    orders.apply(_at(ctx, date(2026, 2, 10)), "contingent_order", "student/enrol",
                 {"status": "active", "students": new})
    orders.apply(_at(ctx, date(2026, 3, 10)), "expulsion", "student/update",
                 {"status": "expelled", "students": [foreign]})
    orders.apply(_at(ctx, date(2026, 4, 10)), "transfer_internal", "student/update",
                 {"students": [{"iin": ivan, "faculty_code": "ECON", "programme_code": "6B04101",
                                "programme_name": "Финансы", "year": 3}]})
    return env


def test_counts_on_earlier_dates_and_today(client, ctx, school):
    r = client.get(f"{URL}?on=2026-01-31", headers=school["head"])
    assert r.status_code == 200, r.json
    jan = r.json
    assert jan["basis"] == "registry_and_changes" and jan["totals"]["total"] == 3
    assert jan["totals"]["foreign"] == 1 and jan["totals"]["female"] == 1 and jan["totals"]["grant"] == 2
    assert {k: v["total"] for k, v in _table(jan, "year").items()} == {"2": 2, "4": 1}
    assert _table(jan, "year")["2"]["name"] == {"ru": "2 курс", "kk": "2 курс", "en": "year 2"}
    citizenship = _table(jan, "citizenship")
    assert citizenship["UZB"]["name"]["ru"] == "Узбекистан" and citizenship["KAZ"]["total"] == 2
    assert _table(jan, "form")["part_time"]["name"]["ru"] == "заочная"
    sex = _table(jan, "sex")
    assert (sex["M"]["total"], sex["F"]["total"]) == (2, 1) and sex["F"]["name"]["kk"] == "әйел"
    # ages on 31.01.2026: 21 (born 09.03.2004), 19 (20.12.2006), 24 (01.06.2001)
    assert {k: v["total"] for k, v in _table(jan, "age").items()} == {"19": 1, "21": 1, "24": 1}
    assert {f["faculty_code"]: f["years"] for f in jan["by_faculty"]} == {"IT": {"2": 2, "4": 1}}

    mar = client.get(f"{URL}?on=2026-03-31", headers=school["head"]).json
    assert mar["totals"]["total"] == 4 and mar["totals"]["foreign"] == 0
    assert {k: v["total"] for k, v in _table(mar, "year").items()} == {"1": 2, "2": 2}
    assert _table(mar, "language")["kk"]["total"] == 3

    today = datetime.now(UTC).astimezone(ctx.tz).date()
    now = client.get(URL, headers=school["head"]).json
    assert now["basis"] == "registry" and now["on"] == today.isoformat() and now["totals"]["total"] == 4
    assert {f["faculty_code"]: f["years"] for f in now["by_faculty"]} == {
        "ECON": {"1": 0, "2": 0, "3": 1}, "IT": {"1": 2, "2": 1, "3": 0}}
    assert _table(now, "faculty_code")["ECON"]["name"]["ru"] == "Факультет экономики и бизнеса"
    assert _table(now, "status")["active"]["name"]["ru"] == "обучается"


def test_xlsx_in_words(client, ctx, school):
    r = client.get(f"{URL}?on=2026-01-31&format=xlsx", headers=school["head"])
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    values = [list(v) for v in load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)]
    cells = [str(c) for v in values for c in v if c is not None]
    assert "Численность обучающихся на 31.01.2026 / 31.01.2026 жағдай бойынша білім алушылар саны" in cells
    year_heading = next(i for i, v in enumerate(values) if v[0] == "Курс / Курс")
    assert values[year_heading + 1][:2] == ["2 курс", 2] and values[year_heading + 2][:2] == ["4 курс", 1]
    assert "заочная" in cells and "Узбекистан" in cells and "женский" in cells
    assert not any(c in ("full_time", "part_time", "UZB", "KAZ", "grant", "paid", "F", "M") for c in cells)


def test_refusals(client, ctx, school):
    tomorrow = datetime.now(UTC).astimezone(ctx.tz).date() + timedelta(days=1)
    r = client.get(f"{URL}?on={tomorrow}", headers=school["head"] | {"Accept-Language": "kk"})
    assert r.status_code == 422 and "on" in str(r.json)
    assert client.get(f"{URL}?on=31.01.2026", headers=school["head"]).status_code == 422
    assert client.get(URL, headers=school["registrar"]).status_code == 403


def test_web_pages_in_words_and_dates(app, ctx, school):
    from tests.integration.web import Staff, text

    head = Staff(app, "head")
    page = text(head.get("/app/reports/students?on=2026-01-31"))
    assert "Численность обучающихся на 31.01.2026" in page and "приведённому к концу этого дня" in page
    assert "2 курс" in page and "заочная" in page and "Узбекистан" in page and "женский" in page
    assert "full_time" not in page and "UZB" not in page and "2026-01-31" not in page
    assert head.client.get("/app/reports/students.xlsx?on=2026-01-31").data[:2] == b"PK"
    tomorrow = (datetime.now(UTC).astimezone(ctx.tz).date() + timedelta(days=1)).isoformat()
    assert "на прошедшую дату" in head.get(f"/app/reports/students?on={tomorrow}", status=422)

    page = text(head.get("/app/reports/contingent?from=2026-02-01&to=2026-04-30"))
    assert "Движение контингента, 01.02.2026 — 30.04.2026" in page
    assert "Факультет экономики и бизнеса" in page and "Переведено внутри вуза (прибыло)" in page
    assert "НЕТ" not in page and "not_specified" not in page and "full_time" not in page
    head.get("/app/lang/kk", status=302)
    page = text(head.get("/app/reports/contingent?from=2026-02-01&to=2026-04-30"))
    assert "Контингент қозғалысы, 01.02.2026 — 30.04.2026" in page and "Қабылданды" in page
    assert "күндізгі" in page
    page = text(head.get("/app/reports/?month=2026-03"))
    assert "Түскені — өтініштің тіркелген күні" in page and "Поступило — дата" not in page


def test_web_complaint_form(app, ctx, school):
    from sqlalchemy import func, select

    from server.models import Case, ServiceComplaint
    from tests.integration.web import Staff, text

    with ctx.db.unit_of_work() as s:
        case_id = s.scalar(select(func.min(Case.id)).where(Case.process_id == "expulsion"))
        s.get(Case, case_id).process_id = "reinstatement"  # a public service's case
    head = Staff(app, "head")
    r = head.post("/app/reports/complaints", {"case_id": "x", "received_on": "2026-03-20", "summary": "s",
                                              "month": "2026-03"})
    assert r.headers["Location"].endswith("/app/reports/?month=2026-03")
    assert "Укажите номер дела" in text(head.get("/app/reports/?month=2026-03"))
    head.post("/app/reports/complaints", {"case_id": str(case_id), "received_on": "2026-03-20",
                                          "summary": "Не выдали приказ вовремя", "month": "2026-03"})
    page = text(head.get("/app/reports/?month=2026-03&live=1"))
    assert f"Жалоба по делу № {case_id} зарегистрирована" in page and "код не присвоен" in page
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ServiceComplaint)) == 1
    Staff(app, "vicerector").post("/app/reports/complaints", {"case_id": str(case_id)}, status=403)
