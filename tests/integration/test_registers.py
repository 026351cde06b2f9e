"""The registers of issued documents: one row per number, filters, roles and the XLSX export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.db import utcnow
from server.jobs.inprocess import drain
from server.models import Document, User
from tests.integration.api import complete
from tests.integration.test_cert_study import CHECKED, _start, env  # noqa: F401

URL = "/api/v1/registers/documents"


@pytest.fixture
def issued(client, ctx, env):  # noqa: F811
    """A certificate issued through the API, plus an order stored directly (signed, with its signer)."""
    cid = _start(client, env)["id"]
    complete(client, env["h"], "registrar", cid, "check_student", CHECKED)
    assert drain(ctx) >= 1
    year = utcnow().astimezone(ctx.tz).year
    with ctx.db.unit_of_work() as session:
        head = session.scalar(select(User.id).where(User.username == "head"))
        for lang in ("ru", "kk"):
            session.add(Document(case_id=cid, kind="order_transfer_in", template=f"o_{lang}.docx",
                                 language=lang, register="orders", year=year, seq=7, number="7-у",
                                 filename=f"o_{lang}.docx", media_type="x", content=b"x",
                                 sha256="0" * 64, context={"students": [{"full_name": "Сидорова Анна"}]},
                                 status="signed", signed_by=head, signed_at=utcnow()))
    return {"case_id": cid, "year": year, "h": env["h"]}


def test_certificates_journal_one_row_per_number(client, issued):
    r = client.get(f"{URL}?register=certificates", headers=issued["h"]["head"])
    assert r.status_code == 200, r.json
    assert r.json["total"] == 1
    row = r.json["items"][0]
    assert row["number"] == "1-с" and row["register"] == "certificates" and row["kind"] == "cert_study"
    assert sorted(row["languages"]) == ["kk", "ru"] and len(row["document_ids"]) == 2
    assert row["case_id"] == issued["case_id"]
    assert row["subject"] == "Иванов Пётр Сергеевич"
    assert row["case_status"] == "in_progress"


def test_order_register_shows_who_signed(client, issued):
    r = client.get(f"{URL}?register=orders&year={issued['year']}", headers=issued["h"]["rector"])
    assert r.status_code == 200
    [row] = r.json["items"]
    assert row["number"] == "7-у" and row["signed_by"] == "Head"


def test_filters(client, issued):
    h = issued["h"]["registrar"]
    assert client.get(URL, headers=h).json["total"] == 2
    assert client.get(f"{URL}?kind=cert_study", headers=h).json["total"] == 1
    assert client.get(f"{URL}?q=7-у", headers=h).json["items"][0]["number"] == "7-у"
    assert client.get(f"{URL}?q=иванов", headers=h).json["total"] == 2  # both on the same case
    assert client.get(f"{URL}?q=сидорова", headers=h).json["total"] == 1
    assert client.get(f"{URL}?year=2001", headers=h).json["total"] == 0
    assert client.get(f"{URL}?register=duplicates", headers=h).json["total"] == 0
    assert client.get(f"{URL}?from=2001-01-01&to=2001-12-31", headers=h).json["total"] == 0
    assert client.get(f"{URL}?from=2001-01-01", headers=h).json["total"] == 2
    page = client.get(f"{URL}?limit=1&offset=1", headers=h).json
    assert page["total"] == 2 and len(page["items"]) == 1
    bad = client.get(f"{URL}?register=nope", headers=h)
    assert bad.status_code == 422 and "register" in bad.json["fields"]


@pytest.mark.parametrize("user", ["dean_it", "accountant", "intl"])
def test_other_roles_are_403(client, issued, user):
    r = client.get(URL, headers=issued["h"][user])
    assert r.status_code == 403 and r.json["error"] == "forbidden"
    assert client.get(f"{URL}?format=xlsx", headers=issued["h"][user]).status_code == 403


def test_xlsx_export(client, issued):
    r = client.get(f"{URL}?register=certificates&format=xlsx", headers=issued["h"]["head"])
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Номер" and "Подписал" in rows[0]
    assert len(rows) == 2 and rows[1][0] == "1-с"
    assert rows[1][4] == "Иванов Пётр Сергеевич"
