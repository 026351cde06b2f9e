"""LibreOffice comes with the project's own files: the image installs Debian's Writer and
python3-uno (the warm converter), the worker's environment says how it converts, and
`make install-test` / `make test` install them where missing (as they do Chromium)."""

from __future__ import annotations

import re

import pytest
import yaml

from server.config import ROOT
from server.documents import pdf

PACKAGES = ("libreoffice-writer-nogui", "python3-uno")


def test_the_image_installs_libreoffice_and_uno() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    installs = [line for line in text.splitlines() if line.startswith("RUN") and "apt-get install" in line]
    assert installs and all(p in installs[0] for p in PACKAGES), installs


def test_the_worker_is_told_how_to_convert() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    env = compose["services"]["worker"]["environment"]
    assert "REGOFFICE_PDF_WARM" in env and str(env["REGOFFICE_PDF_WARM"]).endswith(":-1}")


def test_make_installs_libreoffice_for_the_tests() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("install-test", "test"):
        [line] = re.findall(rf"^{re.escape(target)}:.*$", makefile, re.MULTILINE)
        assert "libreoffice" in line.split(":", 1)[1].split(), line
    recipe = makefile.split("\nlibreoffice:", 1)[1].split("\n\n", 1)[0]
    assert all(p in recipe for p in PACKAGES) and "skipped" in recipe


def test_the_settings_are_read_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("REGOFFICE_PDF_WARM", "0")
    assert not pdf.warm_enabled() and pdf.warm_converter() is None
    monkeypatch.setenv("REGOFFICE_PDF_WARM", "1")
    assert pdf.warm_enabled()
    monkeypatch.setenv("REGOFFICE_SOFFICE", "")
    assert pdf.soffice() is None and pdf.warm_converter() is None
    with pytest.raises(pdf.PdfUnavailable):
        pdf.docx_to_pdf(b"PK")
