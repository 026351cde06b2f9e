"""A .docx as PDF through LibreOffice (`soffice --headless --convert-to pdf`), where it is
installed (Debian: libreoffice-writer-nogui). Each conversion gets its own temporary folder and
LibreOffice profile, so conversions in parallel do not lock each other out."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 120


class PdfUnavailable(RuntimeError):
    """LibreOffice is not installed here."""


class PdfFailed(RuntimeError):
    """LibreOffice ran but produced no PDF."""


def soffice() -> str | None:
    """The LibreOffice command (REGOFFICE_SOFFICE overrides; empty disables PDF)."""
    configured = os.environ.get("REGOFFICE_SOFFICE")
    if configured is not None:
        return shutil.which(configured) if configured else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(content: bytes) -> bytes:
    command = soffice()
    if command is None:
        raise PdfUnavailable("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="regoffice-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "document.docx"
        source.write_bytes(content)
        profile = (folder / "profile").as_uri()
        try:
            subprocess.run(
                [command, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise PdfFailed(str(exc)[:500]) from exc
        result = folder / "document.pdf"
        if not result.is_file():
            raise PdfFailed("no PDF was written")
        return result.read_bytes()
