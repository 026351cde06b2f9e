"""Scans sent with a registration or a task: checked by content and size before anything is
written, stored in the same transaction as the case or the step, and a refused request
(a bad file, another person's task, a body over the request limit) stores nothing."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import Attachment, AuditEvent, Case, HumanTask, OutboxJob
from server.services.procedures import deployments
from tests.integration.test_transfer_in import ALL_DOCS, APPLICANT
from tests.integration.web import Staff, field_error, text

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
HTML = b"<!doctype html><html><body><script>fetch('/app/admin/users')</script></body></html>"
# The registration page of a transfer (an applicant who is not a registered student).
FORM = {"process": "transfer_in", "channel": "direct", **{k: str(v) for k, v in APPLICANT.items()},
        "sending_university": "Университет «Туран»", "last_name": "Жумабаев"}


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _counts(ctx: Any) -> dict[str, int]:
    with ctx.db.read() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Case, Attachment, AuditEvent, HumanTask, OutboxJob)}


def _files_on_disk(ctx: Any) -> set[str]:
    root = ctx.settings.instance_dir
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def _limits(app: Any, ctx: Any, **sizes: int) -> None:
    ctx.settings = replace(ctx.settings, **sizes)
    app.config["MAX_CONTENT_LENGTH"] = ctx.settings.max_request_bytes


# --- registration in the UI --------------------------------------------------------------------
def test_a_refused_file_registers_nothing_and_the_form_comes_back_filled_in(app, ctx, deployed):
    registrar = Staff(app, "registrar")
    before, disk = _counts(ctx), _files_on_disk(ctx)
    evil = (io.BytesIO(HTML), "evil.html", "text/html")
    r = registrar.post("/app/cases/new", {**FORM, "attachments": evil}, status=422,
                       content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert "evil.html" in text(page) and "допустимы PDF, JPEG, PNG, TIFF" in text(page)
    assert field_error(page, "attachments") == "Недопустимый тип файла"
    # what was typed is still there
    assert 'value="Жумабаев"' in page and 'value="Университет «Туран»"' in page
    assert f'value="{APPLICANT["iin"]}"' in page
    assert _counts(ctx) == before  # no case, no file, no audit event, no task, no job
    assert _files_on_disk(ctx) == disk
    # the retry with a good scan registers exactly one case, with its file
    r = registrar.post("/app/cases/new", {**FORM, "attachments": (io.BytesIO(PDF), "заявление.pdf")},
                       content_type="multipart/form-data")
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    after = _counts(ctx)
    assert after["Case"] == before["Case"] + 1 and after["Attachment"] == before["Attachment"] + 1
    with ctx.db.read() as session:
        row = session.scalars(select(Attachment)).one()
        assert (row.case_id, row.filename, row.content_type) == (case_id, "заявление.pdf", "application/pdf")
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id)).all()
    assert kinds.count("case_started") == 1 and kinds.count("attachment_added") == 1


def test_a_form_refused_for_its_fields_keeps_no_file_and_says_so(app, ctx, deployed):
    registrar = Staff(app, "registrar")
    before = _counts(ctx)
    r = registrar.post("/app/cases/new", {**FORM, "iin": "123456789012",
                                          "attachments": (io.BytesIO(PDF), "заявление.pdf")},
                       status=422, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert field_error(page, "iin") and 'value="Жумабаев"' in page
    assert 'data-help-for="attachments"' in page  # choose the files again
    assert _counts(ctx) == before


@pytest.mark.parametrize(("name", "content", "claimed"), [
    ("scan.pdf", HTML, "application/pdf"),  # HTML named .pdf, the browser says PDF
    ("scan.pdf", b"MZ\x90\x00", "application/pdf"),  # a program
    ("scan.html", PDF, "application/pdf"),  # a PDF named as a page
    ("scan.png", PDF, "image/png"),  # the name and the content disagree
    ("scan.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
])
def test_files_are_judged_by_their_content(app, ctx, deployed, name, content, claimed):
    registrar = Staff(app, "registrar")
    before = _counts(ctx)
    r = registrar.post("/app/cases/new", {**FORM, "attachments": (io.BytesIO(content), name, claimed)},
                       status=422, content_type="multipart/form-data")
    assert field_error(r.get_data(as_text=True), "attachments") == "Недопустимый тип файла"
    assert _counts(ctx) == before


def test_the_type_stored_is_the_contents_whatever_the_browser_said(app, ctx, deployed, client):
    case_id, _task = _transfer(client, deployed)
    registrar = Staff(app, "registrar")
    files = [(io.BytesIO(PDF), "скан", "text/html"), (io.BytesIO(PNG), "Паспорт Иванова И.И", "text/plain"),
             (io.BytesIO(b"\xff\xd8\xff\xe0 jpeg"), "фото.JPEG", "application/octet-stream")]
    registrar.post(f"/app/cases/{case_id}/attachments", {"attachments": files},
                   content_type="multipart/form-data")
    with ctx.db.read() as session:
        stored = session.execute(select(Attachment.id, Attachment.filename, Attachment.content_type)
                                 .order_by(Attachment.id)).all()
    assert [tuple(row[1:]) for row in stored] == [
        ("скан", "application/pdf"), ("Паспорт Иванова И.И", "image/png"), ("фото.JPEG", "image/jpeg")]
    r = registrar.client.get(f"/app/attachments/{stored[0][0]}")  # served as what it is
    assert r.mimetype == "application/pdf" and r.data == PDF


def test_the_allowed_kinds_are_read_from_the_first_bytes():
    from server.services.cases.scans import sniff

    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert sniff(b"II*\x00\x08\x00") == sniff(b"MM\x00*\x00\x08") == "image/tiff"
    assert sniff(HTML) is sniff(b" %PDF-1.4") is sniff(b"PK\x03\x04") is None


# --- size limits -------------------------------------------------------------------------------
def test_a_file_over_the_limit_is_refused(app, ctx, deployed):
    _limits(app, ctx, max_upload_bytes=1024 * 1024)
    before = _counts(ctx)
    r = Staff(app, "registrar").post("/app/cases/new", {
        **FORM, "attachments": (io.BytesIO(PDF + b"0" * 1024 * 1024), "большой.pdf")},
        status=422, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert field_error(page, "attachments") == "Файл слишком большой"
    assert "Файл «большой.pdf» больше 1 МБ" in text(page)
    assert _counts(ctx) == before


def test_the_files_of_a_case_have_a_limit_together(app, ctx, deployed, client):
    _limits(app, ctx, max_upload_bytes=3000, max_case_files_bytes=5000)
    registrar = Staff(app, "registrar")
    two = [(io.BytesIO(PDF + b"0" * 2900), "1.pdf"), (io.BytesIO(PDF + b"0" * 2900), "2.pdf")]
    before = _counts(ctx)
    r = registrar.post("/app/cases/new", {**FORM, "attachments": two}, status=422,
                       content_type="multipart/form-data")
    assert field_error(r.get_data(as_text=True), "attachments") == "Превышен объём файлов дела"
    assert _counts(ctx) == before
    r = registrar.post("/app/cases/new", {**FORM, "attachments": (io.BytesIO(PDF + b"0" * 2900), "1.pdf")},
                       content_type="multipart/form-data")
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    # the case holds 3 KB: 3 KB more is refused on the case page too
    more = (io.BytesIO(PDF + b"0" * 2900), "2.pdf")
    r = registrar.post(f"/app/cases/{case_id}/attachments", {"attachments": more},
                       content_type="multipart/form-data")
    assert "Файлы дела вместе больше" in text(registrar.get(r.headers["Location"].split("#")[0]))
    with ctx.db.read() as session:
        assert session.scalar(select(func.count(Attachment.id))) == 1


def test_a_request_over_the_limit_gets_a_clear_413(app, ctx, deployed, client):
    _limits(app, ctx, max_request_bytes=64 * 1024)
    before = _counts(ctx)
    registrar = Staff(app, "registrar")
    r = registrar.client.post("/app/cases/new", data={
        **FORM, "csrf_token": registrar.csrf(), "attachments": (io.BytesIO(PDF + b"0" * 100_000), "a.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 413
    assert "Запрос больше 0.0625 МБ: приложите меньше файлов" in text(r.get_data(as_text=True))
    r = client.post("/api/v1/cases", headers=deployed["registrar"],
                    json={"process_id": "transfer_in", "data": {"applicant": {"last_name": "x" * 100_000}}})
    assert r.status_code == 413 and r.json["error"] == "too_large"
    assert r.json["message"].startswith("Запрос больше 0.0625 МБ")
    assert _counts(ctx) == before


# --- task forms --------------------------------------------------------------------------------
def _transfer(client: Any, people: Any) -> tuple[int, str]:
    r = client.post("/api/v1/cases", headers=people["registrar"],
                    json={"process_id": "transfer_in", "data": {"applicant": dict(APPLICANT)}})
    assert r.status_code == 201, r.json
    return r.json["id"], r.json["open_tasks"][0]["id"]


def test_a_forbidden_task_post_stores_no_file(app, ctx, deployed, client):
    """The accountant sees the case but the document check is the registrar's: 403, and the
    scan sent with the form is not stored (authorize, validate, then store)."""
    case_id, task_id = _transfer(client, deployed)
    before = _counts(ctx)
    form = {**{k: "on" for k in ALL_DOCS}, "attachments": (io.BytesIO(PDF), "квитанция.pdf")}
    Staff(app, "accountant").post(f"/app/tasks/{task_id}", form, status=403,
                                  content_type="multipart/form-data")
    assert _counts(ctx) == before
    # a bad file from the right person: 422, the task still open, nothing stored
    registrar = Staff(app, "registrar")
    r = registrar.post(f"/app/tasks/{task_id}", {**form, "attachments": (io.BytesIO(HTML), "scan.pdf")},
                       status=422, content_type="multipart/form-data")
    assert field_error(r.get_data(as_text=True), "attachments") == "Недопустимый тип файла"
    assert _counts(ctx) == before
    # the good one is stored with the step
    registrar.post(f"/app/tasks/{task_id}", {**form, "attachments": (io.BytesIO(PDF), "квитанция.pdf")},
                   content_type="multipart/form-data")
    with ctx.db.read() as session:
        row = session.scalars(select(Attachment)).one()
        assert (row.case_id, row.task_id) == (case_id, task_id)
        assert session.get(HumanTask, task_id).status == "completed"


# --- the API -----------------------------------------------------------------------------------
def test_api_registration_refused_for_its_data_stores_nothing(ctx, deployed, client):
    before = _counts(ctx)
    junk = {"applicant": {**APPLICANT, "last_name": "я" * (600 * 1024)}}
    r = client.post("/api/v1/cases", headers=deployed["registrar"],
                    json={"process_id": "transfer_in", "data": junk})
    assert r.status_code == 422 and r.json["fields"] == {"data": "Слишком большой объём данных"}
    r = client.post("/api/v1/cases", headers=deployed["registrar"], json={
        "process_id": "transfer_in", "data": {"applicant": dict(APPLICANT), "outcome": "issued"}})
    assert r.status_code == 422 and set(r.json["fields"]) == {"data.outcome"}
    assert _counts(ctx) == before


def test_a_browser_still_sending_an_oversized_body_reads_the_413(app, ctx, people):
    """On a real socket: the server reads and drops the rest of a body over the limit before
    answering, so a client still uploading gets the 413 page, not a reset connection."""
    import socket
    import threading

    from werkzeug.serving import make_server

    _limits(app, ctx, max_request_bytes=64 * 1024)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    size, sent = 8 * 1024 * 1024, 0
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=20) as sock:
            sock.sendall(b"POST /app/login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                         b"boundary=b\r\nContent-Length: %d\r\n\r\n" % size)
            chunk = b"0" * 65536
            while sent < size:
                sent += sock.send(chunk[:size - sent])
            answer = b""
            while chunk := sock.recv(65536):  # the server closes after its answer
                answer += chunk
    finally:
        server.shutdown()
    assert sent == size
    assert answer.startswith(b"HTTP/1.1 413") and "0.0625 МБ".encode() in answer
