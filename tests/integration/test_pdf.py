"""The PDF of an issued document is made once, by the background job that issues it (a warm
LibreOffice), stored and hashed: the case page's download serves that file, the public check
recognises it and reports a changed byte as a changed file, and no request converts anything.
Without LibreOffice the documents are still issued (the case goes on) and the PDF comes later.
A version's status (draft, signed, superseded) is recorded: a version the rector returned is
never shown as signed."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from server.auth import Actor
from server.db import utcnow
from server.documents import pdf
from server.jobs.inprocess import drain
from server.models import Document, OutboxJob, User
from server.services.procedures import deployments
from tests.integration.api import case_view, complete
from tests.integration.test_transfer_in import TO_ORDER, _start
from tests.integration.web import Staff

USERS = {"check_documents": "registrar", "determine_difference": "dean_it", "paid_contract": "accountant",
         "vr_approval": "vicerector"}
NEEDS_LIBREOFFICE = pytest.mark.skipif(
    pdf.soffice() is None, reason="LibreOffice is not installed (make install-test installs it as "
                                  "root; or apt-get install libreoffice-writer-nogui)")
NEEDS_UNO = pytest.mark.skipif(
    pdf.soffice() is None or pdf.uno_python() is None,
    reason="the warm converter needs LibreOffice and Debian's python3-uno (apt-get install "
           "libreoffice-writer-nogui python3-uno)")


def _to_order(ctx, client, people) -> int:
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    case_id = _start(client, people)["id"]
    for spec, data in TO_ORDER.items():
        complete(client, people, USERS[spec], case_id, spec, data)
    return int(case_id)


def _documents(ctx, case_id: int) -> list[Document]:
    with ctx.db.read() as session:
        return list(session.scalars(select(Document).where(Document.case_id == case_id)
                                    .options(undefer(Document.content), undefer(Document.pdf))
                                    .order_by(Document.version, Document.language)))


def _pdf_jobs(ctx) -> list[tuple[str, int]]:
    with ctx.db.read() as session:
        return [(j.status, j.payload["attempt"]) for j in session.scalars(
            select(OutboxJob).where(OutboxJob.kind == "document/pdf").order_by(OutboxJob.id))]


def _make_due(ctx) -> None:
    with ctx.db.unit_of_work() as session:
        session.execute(update(OutboxJob).where(OutboxJob.kind == "document/pdf",
                                                OutboxJob.status == "pending").values(available_at=utcnow()))


def _verify(app, code: str, content: bytes) -> str:
    import io

    r = app.test_client().post(f"/verify/{code}", data={"file": (io.BytesIO(content), "order.pdf")},
                               content_type="multipart/form-data")
    assert r.status_code == 200
    return r.get_data(as_text=True)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_libreoffice_the_documents_are_issued_and_the_pdf_waits(app, ctx, client, people,
                                                                         monkeypatch):
    monkeypatch.setenv("REGOFFICE_SOFFICE", "")
    case_id = _to_order(ctx, client, people)
    assert drain(ctx) >= 1
    view = case_view(client, people, case_id)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["sign_order"]  # the case went on
    docs = view["documents"]
    assert {d["pdf_status"] for d in docs} == {"waiting"} and {d["pdf_sha256"] for d in docs} == {None}
    assert "LibreOffice" in docs[0]["pdf_status_name"]
    r = client.get(f"/api/v1/documents/{docs[0]['id']}/pdf", headers=people["registrar"])
    assert r.status_code == 503 and r.json["error"] == "unavailable"
    assert "LibreOffice" in r.json["message"] and ".docx" in r.json["message"]
    page = Staff(app, "registrar").get(f"/app/documents/{docs[0]['id']}/pdf", status=503)
    assert "не установлен LibreOffice" in page
    case_page = Staff(app, "registrar", lang="en").get(f"/app/cases/{case_id}")
    assert "PDF will be added when LibreOffice is installed on the server" in case_page
    url = f"/api/v1/documents/{docs[0]['id']}"
    assert client.get(url, headers=people["registrar"]).status_code == 200
    assert client.get(f"{url}/pdf", headers=people["dean_econ"]).status_code == 404
    # the PDF job found no LibreOffice: a later try is planned, not an incident; while
    # LibreOffice is still missing each try plans the next, later
    assert _pdf_jobs(ctx) == [("done", 0), ("pending", 1)] and view["incidents"] == []
    with ctx.db.read() as session:
        planned = session.scalars(select(OutboxJob).where(OutboxJob.kind == "document/pdf")
                                  .order_by(OutboxJob.id.desc())).first()
    assert planned.available_at > utcnow() + timedelta(seconds=30)
    _make_due(ctx)
    assert drain(ctx) == 1
    assert _pdf_jobs(ctx) == [("done", 0), ("done", 1), ("pending", 2)]
    assert {d.pdf_status for d in _documents(ctx, case_id)} == {"waiting"}
    if pdf.soffice() is None:
        return
    # LibreOffice is there now: the planned job adds the PDFs
    monkeypatch.delenv("REGOFFICE_SOFFICE")
    _make_due(ctx)
    assert drain(ctx) == 1
    assert _pdf_jobs(ctx) == [("done", 0), ("done", 1), ("done", 2)]
    stored = _documents(ctx, case_id)
    assert {d.pdf_status for d in stored} == {"ready"}
    assert all(d.pdf_sha256 == hashlib.sha256(d.pdf or b"").hexdigest() for d in stored)


@NEEDS_LIBREOFFICE
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pdf_made_at_issue_is_the_one_downloaded_and_it_verifies(app, ctx, client, people):
    case_id = _to_order(ctx, client, people)
    assert drain(ctx) >= 1
    ru, kk = sorted(_documents(ctx, case_id), key=lambda d: d.language != "ru")
    assert ru.pdf_status == kk.pdf_status == "ready" and ru.pdf.startswith(b"%PDF") and len(ru.pdf) > 5000
    assert ru.pdf_sha256 == hashlib.sha256(ru.pdf).hexdigest() and ru.pdf_sha256 != kk.pdf_sha256

    # the downloads serve the stored file and convert nothing (the request path never converts)
    before = sum(pdf.conversions.values())
    r = client.get(f"/api/v1/documents/{ru.id}/pdf", headers=people["registrar"])
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data == ru.pdf
    assert ".pdf" in r.headers["Content-Disposition"]
    staff = Staff(app, "registrar")
    case_page = staff.get(f"/app/cases/{case_id}")
    assert f"/app/documents/{ru.id}/pdf" in case_page
    downloaded = staff.client.get(f"/app/documents/{ru.id}/pdf")
    assert downloaded.status_code == 200 and downloaded.data == ru.pdf
    view = case_view(client, people, case_id)
    assert {d["pdf_status"] for d in view["documents"]} == {"ready"}
    assert sum(pdf.conversions.values()) == before

    # the public check: the downloaded PDF (and the .docx) are the issued document; one changed
    # byte is a changed file
    assert "Файл совпадает с выданным документом" in _verify(app, ru.verification_code, downloaded.data)
    assert "Файл совпадает с выданным документом" in _verify(app, ru.verification_code, kk.pdf)
    assert "Файл совпадает с выданным документом" in _verify(app, ru.verification_code, ru.content)
    altered = bytearray(downloaded.data)
    middle = len(altered) // 2
    altered[middle] = (altered[middle] + 1) % 256
    assert "файл изменён" in _verify(app, ru.verification_code, bytes(altered))
    page = app.test_client().get(f"/verify/{ru.verification_code}").get_data(as_text=True)
    assert ru.pdf_sha256 in page and ru.sha256 in page


def _running_in_group(group: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(int(stat.parent.name))
    return found


@NEEDS_UNO
def test_the_warm_converter_survives_being_killed():
    from server.config import ROOT

    content = (ROOT / "templates" / "cert_study_ru.docx").read_bytes()
    converter = pdf.WarmConverter(pdf.soffice() or "soffice", pdf.uno_python() or "python3")
    groups = []
    try:
        assert converter.convert(content).startswith(b"%PDF")
        assert converter.convert(content).startswith(b"%PDF")
        office, bridge = converter.pids()
        assert office and bridge and converter.starts == 1  # warm: one LibreOffice for both
        groups.append(office)
        os.killpg(office, signal.SIGKILL)  # LibreOffice dies (out of memory, a crash)
        assert converter.convert(content).startswith(b"%PDF")  # started again
        assert converter.starts == 2 and converter.pids()[0] != office
        office, bridge = converter.pids()
        groups.append(office)
        os.kill(bridge, signal.SIGKILL)  # the bridge dies
        assert converter.convert(content).startswith(b"%PDF")
        assert converter.starts == 3
        groups.append(converter.pids()[0])
    finally:
        converter.close()
    deadline = time.monotonic() + 10
    while any(_running_in_group(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [g for g in groups if _running_in_group(g)] == []  # nothing of them is left running


@NEEDS_UNO
def test_docx_to_pdf_starts_a_killed_warm_converter_again_instead_of_going_cold(monkeypatch):
    """The process's own converter (what the document/pdf job uses) after LibreOffice died."""
    from server.config import ROOT

    content = (ROOT / "templates" / "cert_study_ru.docx").read_bytes()
    monkeypatch.setenv("REGOFFICE_PDF_WARM", "1")
    assert pdf.docx_to_pdf(content).startswith(b"%PDF")
    converter = pdf.warm_converter()
    assert converter is not None and converter.alive()
    office, _bridge = converter.pids()
    assert office is not None
    os.killpg(office, signal.SIGKILL)
    cold = pdf.conversions["cold"]
    assert pdf.docx_to_pdf(content).startswith(b"%PDF")
    assert pdf.conversions["cold"] == cold and converter.pids()[0] != office


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_returned_order_is_never_shown_as_signed(app, ctx, client, people):
    case_id = _to_order(ctx, client, people)
    assert drain(ctx) >= 1
    assert {d.status for d in _documents(ctx, case_id)} == {"draft"}

    # the rector returns version 1: it stays unsigned, and version 2 supersedes it
    complete(client, people, "rector", case_id, "sign_order", {"signed": False, "rector_comment": "Опечатка"})
    assert {d.status for d in _documents(ctx, case_id)} == {"draft"}
    complete(client, people, "registrar", case_id, "correct_order", {"correction": "Опечатка исправлена"})
    assert drain(ctx) >= 1
    docs = _documents(ctx, case_id)
    assert [(d.version, d.language, d.status) for d in docs] == [
        (1, "kk", "superseded"), (1, "ru", "superseded"), (2, "kk", "draft"), (2, "ru", "draft")]
    register = "/api/v1/registers/documents?register=orders"
    [row] = client.get(register, headers=people["rector"]).json["items"]
    assert row["version"] == 2 and row["status"] == "draft" and row["signed_by"] is None
    assert row["status_name"] == "проект, не подписан"
    english = client.get(register, headers={**people["rector"], "Accept-Language": "en"}).json["items"][0]
    assert english["status_name"] == "draft, not signed"
    page = Staff(app, "registrar", lang="en").get("/app/registers?register=orders")
    assert "draft, not signed" in page and ">signed<" not in page

    # the rector signs version 2: only it is signed
    complete(client, people, "rector", case_id, "sign_order", {"signed": True, "signed_date": "2026-08-14"})
    docs = _documents(ctx, case_id)
    assert [(d.version, d.status) for d in docs] == [(1, "superseded"), (1, "superseded"), (2, "signed"),
                                                     (2, "signed")]
    with ctx.db.read() as session:
        rector = session.scalar(select(User.full_name).where(User.id == docs[-1].signed_by))
    [row] = client.get(register, headers=people["rector"]).json["items"]
    assert row["status"] == "signed" and row["status_name"] == "подписан" and row["signed_by"] == rector
    view = case_view(client, people, case_id)
    assert [(d["version"], d["status_name"]) for d in view["documents"]] == [
        (1, "заменён новой версией"), (1, "заменён новой версией"), (2, "подписан"), (2, "подписан")]
    kk_view = client.get(f"/api/v1/cases/{case_id}", headers={**people["head"], "Accept-Language": "kk"}).json
    assert {d["status_name"] for d in kk_view["documents"]} == {"жаңа нұсқамен ауыстырылды", "қол қойылды"}
    case_page = Staff(app, "registrar", lang="en").get(f"/app/cases/{case_id}")
    assert "superseded by a later version" in case_page and "signed" in case_page
    page = Staff(app, "registrar", lang="kk").get("/app/registers?register=orders")
    assert "қол қойылды" in page


def test_documents_issued_before_get_their_status_and_a_pdf_job(tmp_path):
    """Migration 0013 on a database with documents: versions before the latest superseded, a
    certificate issued, and one document/pdf job per issue (the files sharing a code)."""
    from sqlalchemy import create_engine, text

    from server.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0011")
    engine = create_engine(url)
    insert = text("INSERT INTO documents (kind, template, language, register, year, seq, number, version, "
                  "filename, media_type, content, sha256, verification_code, context, created_at) VALUES "
                  "(:kind, 't.docx', :lang, :register, 2026, :seq, '1', :version, 'f.docx', 'x', x'00', "
                  ":sha, :code, '{}', '2026-12-01 10:00:00.000000')")
    order = "order_transfer_in"
    rows = [(order, "ru", "orders", 1, 1, "c1"), (order, "kk", "orders", 1, 1, "c1"),
            (order, "ru", "orders", 1, 2, "c2"), (order, "kk", "orders", 1, 2, "c2"),
            ("cert_study", "ru", "certificates", 1, 1, "c3")]
    try:
        with engine.begin() as conn:
            for kind, lang, register, seq, version, code in rows:
                conn.execute(insert, {"kind": kind, "lang": lang, "register": register, "seq": seq,
                                      "version": version, "sha": "0" * 64, "code": code})
        upgrade(url, "0013")
        with engine.connect() as conn:
            statuses = conn.execute(text("SELECT version, register, status, pdf_status FROM documents "
                                         "ORDER BY id")).all()
            jobs = conn.execute(text("SELECT kind, status, payload FROM outbox_jobs ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in statuses] == [
        (1, "orders", "superseded", "pending"), (1, "orders", "superseded", "pending"),
        (2, "orders", "draft", "pending"), (2, "orders", "draft", "pending"),
        (1, "certificates", "issued", "pending")]
    assert [(k, s, json.loads(p)["documents"]) for k, s, p in jobs] == [
        ("document/pdf", "pending", [1, 2]), ("document/pdf", "pending", [3, 4]),
        ("document/pdf", "pending", [5])]


@NEEDS_LIBREOFFICE
def test_without_uno_the_conversion_falls_back_to_a_cold_libreoffice(monkeypatch, caplog):
    import sys

    from server.config import ROOT

    if importlib.util.find_spec("uno") is not None:
        pytest.skip("this Python has uno: it cannot stand for one without it")
    content = (ROOT / "templates" / "cert_study_ru.docx").read_bytes()
    pdf.stop_warm_converter()
    monkeypatch.setenv("REGOFFICE_PDF_PYTHON", sys.executable)  # the application's Python: no uno
    cold = pdf.conversions["cold"]
    with caplog.at_level("WARNING", logger="server.documents.pdf"):
        assert pdf.docx_to_pdf(content).startswith(b"%PDF")
    assert pdf.conversions["cold"] == cold + 1
    assert any("cold LibreOffice" in r.getMessage() for r in caplog.records)
