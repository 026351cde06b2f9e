"""Verification of an issued certificate: the link and QR code printed on it, the public page
/verify/<code> (genuine, tampered, file comparison) and what it must not disclose."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest

from server.jobs.inprocess import drain
from server.services.documents import verification
from tests.integration.api import case_view, complete
from tests.integration.test_cert_study import CHECKED, IIN, _start, env  # noqa: F401

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def issued(client, ctx, env):  # noqa: F811
    cid = _start(client, env)["id"]
    complete(client, env["h"], "registrar", cid, "check_student", CHECKED)
    assert drain(ctx) >= 1
    docs = {d["language"]: d for d in case_view(client, env["h"], cid)["documents"]}
    files = {}
    for lang, d in docs.items():
        r = client.get(f"/api/v1/documents/{d['id']}", headers=env["h"]["registrar"])
        assert r.status_code == 200
        files[lang] = r.data
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(files["ru"])).paragraphs)
    match = re.search(r"http://127\.0\.0\.1:8000/verify/(\S+)", text)
    assert match, text
    return {"code": match.group(1), "files": files, "docs": docs, "text": text}


def test_certificate_carries_link_and_qr_image(issued, ctx):
    code = issued["code"]
    assert verification.code_is_authentic(ctx.settings, code)
    for lang, data in issued["files"].items():
        body = docx.Document(io.BytesIO(data))
        assert len(body.inline_shapes) == 1, lang
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            media = [n for n in zf.namelist() if n.startswith("word/media/")]
            assert media, lang
            assert all(zf.read(n).startswith(PNG_MAGIC) for n in media)
        text = "\n".join(p.text for p in body.paragraphs)
        assert f"/verify/{code}" in text, lang  # ru and kk share one code


def test_public_page_shows_a_genuine_document_without_personal_data(client, issued):
    r = client.get(f"/verify/{issued['code']}")  # no Authorization header
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "Документ подлинный" in html and "Құжат түпнұсқа" in html
    assert 'lang="ru"' in html and 'lang="kk"' in html
    assert "1-с" in html and "Справка с места учёбы" in html
    assert "И. П. С." in html
    for digest in (issued["docs"]["ru"]["sha256"], issued["docs"]["kk"]["sha256"]):
        assert digest in html
    assert "Иванов" not in html and "Пётр" not in html and "Сергеевич" not in html
    assert IIN not in html
    assert "http://" not in html.replace("http://127.0.0.1", "") and "<script" not in html


def _tamper(code: str, at: int) -> str:
    ch = code[at]
    return code[:at] + ("B" if ch != "B" else "C") + code[at + 1:]


@pytest.mark.parametrize("where", [0, 10, -1])
def test_a_changed_or_unknown_code_is_404(client, ctx, issued, where):
    code = issued["code"]
    bad = _tamper(code, where if where >= 0 else len(code) - 1)
    r = client.get(f"/verify/{bad}")
    assert r.status_code == 404
    assert "Документ не найден: код неверен или подделан" in r.get_data(as_text=True)
    # a correctly signed code that was never issued is unknown as well
    unknown = verification.new_code(ctx.settings)
    assert client.get(f"/verify/{unknown}").status_code == 404
    assert client.get("/verify/%3Cscript%3E").status_code == 404


def test_uploaded_file_is_compared_with_the_issued_one(client, issued):
    url = f"/verify/{issued['code']}"
    for lang in ("ru", "kk"):
        r = client.post(url, data={"file": (io.BytesIO(issued["files"][lang]), "cert.docx")},
                        content_type="multipart/form-data")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert "совпадает" in html and "не совпадает" not in html
    modified = issued["files"]["ru"] + b"\0"
    r = client.post(url, data={"file": (io.BytesIO(modified), "cert.docx")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    assert "не совпадает — файл изменён" in r.get_data(as_text=True)


def test_verify_pages_are_not_in_the_api_document(client):
    spec = client.get("/api/v1/openapi.json").json
    assert not any(p.startswith("/verify") for p in spec["paths"])


def test_initials():
    assert verification.initials("Иванов Пётр Сергеевич") == "И. П. С."
    assert verification.initials("Бонч-Бруевич Анна") == "Б. Б. А."
    assert verification.initials("") == ""
