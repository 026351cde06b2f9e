"""Documents as PDF: converted by LibreOffice where it is installed; where it is not, the PDF
action answers 503 with a message that says so (and the .docx is still there)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.auth import Actor
from server.documents.pdf import soffice
from server.jobs.inprocess import drain
from server.models import Document
from server.services.procedures import deployments
from tests.integration.api import complete
from tests.integration.test_transfer_in import TO_ORDER, _start
from tests.integration.web import Staff

USERS = {"check_documents": "registrar", "determine_difference": "dean_it", "paid_contract": "accountant",
         "vr_approval": "vicerector"}


@pytest.fixture
def document_id(ctx, client, people) -> int:
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    case_id = _start(client, people)["id"]
    for spec, data in TO_ORDER.items():
        complete(client, people, USERS[spec], case_id, spec, data)
    assert drain(ctx) >= 1
    with ctx.db.read() as session:
        return session.scalar(select(Document.id).where(Document.case_id == case_id,
                                                        Document.language == "ru"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_libreoffice_the_pdf_action_says_so(app, client, people, document_id, monkeypatch):
    monkeypatch.setenv("REGOFFICE_SOFFICE", "")
    r = client.get(f"/api/v1/documents/{document_id}/pdf", headers=people["registrar"])
    assert r.status_code == 503 and r.json["error"] == "unavailable"
    assert "LibreOffice" in r.json["message"] and ".docx" in r.json["message"]
    page = Staff(app, "registrar").get(f"/app/documents/{document_id}/pdf", status=503)
    assert "не установлен LibreOffice" in page
    assert client.get(f"/api/v1/documents/{document_id}", headers=people["registrar"]).status_code == 200
    assert client.get(f"/api/v1/documents/{document_id}/pdf", headers=people["dean_econ"]).status_code == 404


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (apt-get install "
                    "libreoffice-writer-nogui)")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_order_as_pdf(app, client, people, document_id):
    r = client.get(f"/api/v1/documents/{document_id}/pdf", headers=people["registrar"])
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF") and len(r.data) > 5000
    assert r.headers["Content-Disposition"].endswith('.pdf"') or ".pdf" in r.headers["Content-Disposition"]
