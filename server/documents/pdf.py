"""A .docx as PDF through LibreOffice (Debian: libreoffice-writer-nogui).

Two ways, the first preferred:

- **warm**: one LibreOffice per process stays running between documents (``soffice --headless
  --accept=pipe,...``) and a small bridge (`uno_bridge.py`, run by a Python with Debian's
  ``python3-uno``) asks it to load and export each document: about 0.1–0.2 s for a page
  instead of the 1.5 s LibreOffice takes to start. If LibreOffice or the bridge dies, the next
  conversion starts both again; if that fails too, the conversion falls back to cold, with a
  log line.
- **cold**: ``soffice --headless --convert-to pdf`` per document, each with its own temporary
  folder and profile, so conversions in parallel do not lock each other out.

Settings (environment): ``REGOFFICE_SOFFICE`` (the LibreOffice command; empty disables PDF),
``REGOFFICE_PDF_WARM`` (``0`` converts cold every time; default ``1``),
``REGOFFICE_PDF_PYTHON`` (the Python with ``uno``; default the first of /usr/bin/python3,
python3 that can import it).

Conversions run in the background jobs only (the PDF is fixed when a document is issued):
`conversions` counts them per process, so a test can show that a request converted nothing."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 120
#: after the warm converter failed twice in a row, convert cold this long before trying it again
WARM_PAUSE_SECONDS = 600.0
BRIDGE = Path(__file__).with_name("uno_bridge.py")
#: conversions done by this process, by way ("warm", "cold")
conversions: Counter[str] = Counter()


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


def warm_enabled() -> bool:
    return os.environ.get("REGOFFICE_PDF_WARM", "1").strip().lower() not in ("0", "false", "no", "")


_UNO_PYTHON: dict[str, str | None] = {}


def uno_python() -> str | None:
    """A Python interpreter that can ``import uno`` (checked once per process), or None."""
    configured = os.environ.get("REGOFFICE_PDF_PYTHON")
    candidates = [configured] if configured else ["/usr/bin/python3", "python3"]
    key = "\0".join(candidates)
    if key not in _UNO_PYTHON:
        _UNO_PYTHON[key] = None
        for candidate in candidates:
            found = shutil.which(candidate)
            if found and subprocess.run([found, "-c", "import uno"], capture_output=True,
                                        timeout=30).returncode == 0:
                _UNO_PYTHON[key] = found
                break
    return _UNO_PYTHON[key]


def cold_convert(content: bytes) -> bytes:
    """One LibreOffice started for this document alone."""
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
        conversions["cold"] += 1
        return result.read_bytes()


class WarmConverter:
    """A LibreOffice kept running, and the bridge that drives it. Not thread-safe by itself:
    `docx_to_pdf` serialises the calls."""

    def __init__(self, command: str, python: str) -> None:
        self.command = command
        self.python = python
        self.folder = Path(tempfile.mkdtemp(prefix="regoffice-warm-"))
        self.office: subprocess.Popen[bytes] | None = None
        self.bridge: subprocess.Popen[str] | None = None
        self.starts = 0
        self.cold_until = 0.0  # time.monotonic() before which docx_to_pdf does not use it

    def alive(self) -> bool:
        return (self.office is not None and self.office.poll() is None
                and self.bridge is not None and self.bridge.poll() is None)

    def start(self) -> None:
        self.stop()
        self.starts += 1
        pipe = f"regoffice-{os.getpid()}-{self.starts}-{os.urandom(4).hex()}"
        profile = (self.folder / "profile").as_uri()
        # Its own session: stopping it stops oosplash and soffice.bin together.
        self.office = subprocess.Popen(
            [self.command, f"-env:UserInstallation={profile}", "--headless", "--invisible",
             "--norestore", "--nologo", "--nodefault", "--nolockcheck",
             f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.bridge = subprocess.Popen(
            [self.python, str(BRIDGE), f"pipe,name={pipe}", str(self.office.pid)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
            start_new_session=True)
        answer = self._read(TIMEOUT_SECONDS)
        if not answer.get("ready"):
            self.stop()
            raise PdfFailed(f"the warm LibreOffice did not start: {answer}")

    def _read(self, timeout: float) -> dict[str, object]:
        assert self.bridge is not None and self.bridge.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.bridge.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise PdfFailed(f"the warm LibreOffice gave no answer in {timeout:.0f} s")
        line = self.bridge.stdout.readline()
        if not line:
            raise PdfFailed("the warm LibreOffice's bridge exited")
        return dict(json.loads(line))

    def convert(self, content: bytes) -> bytes:
        """The PDF; a LibreOffice or bridge found dead (before or during the conversion) is
        started again and the document tried once more."""
        try:
            return self._convert_once(content)
        except PdfFailed as exc:
            log.warning("PDF: the warm LibreOffice failed (%s): starting it again", exc)
            return self._convert_once(content)

    def _convert_once(self, content: bytes) -> bytes:
        if not self.alive():
            self.start()
        assert self.bridge is not None and self.bridge.stdin is not None
        with tempfile.TemporaryDirectory(prefix="doc-", dir=self.folder) as tmp:
            source, target = Path(tmp) / "document.docx", Path(tmp) / "document.pdf"
            source.write_bytes(content)
            try:
                self.bridge.stdin.write(json.dumps({"src": str(source), "dst": str(target)}) + "\n")
                self.bridge.stdin.flush()
                answer = self._read(TIMEOUT_SECONDS)
            except (OSError, ValueError, PdfFailed) as exc:
                self.stop()
                raise PdfFailed(str(exc)) from exc
            if not answer.get("ok") or not target.is_file():
                self.stop()
                raise PdfFailed(str(answer.get("error") or "no PDF was written"))
            conversions["warm"] += 1
            return target.read_bytes()

    def pids(self) -> tuple[int | None, int | None]:
        """(LibreOffice's process group, the bridge's) — for operations and tests."""
        return (self.office.pid if self.office else None, self.bridge.pid if self.bridge else None)

    def stop(self) -> None:
        for proc in (self.bridge, self.office):
            if proc is None or proc.poll() is not None:
                continue
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log.warning("process %s did not stop", proc.pid)
        if self.bridge is not None:
            for stream in (self.bridge.stdin, self.bridge.stdout):
                if stream is not None:
                    stream.close()
        self.office = self.bridge = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


_lock = threading.Lock()
_warm: dict[int, WarmConverter] = {}  # by process id: a forked worker starts its own


def warm_converter() -> WarmConverter | None:
    """This process's warm converter (created on first use), or None where it cannot run."""
    command = soffice()
    if command is None or not warm_enabled():
        return None
    pid = os.getpid()
    converter = _warm.get(pid)
    if converter is None:
        python = uno_python()
        if python is None:
            return None
        _warm.clear()  # one inherited from the parent process belongs to the parent
        converter = _warm[pid] = WarmConverter(command, python)
    return converter


def stop_warm_converter() -> None:
    with _lock:
        converter = _warm.pop(os.getpid(), None)
        if converter is not None:
            converter.close()


atexit.register(stop_warm_converter)


def docx_to_pdf(content: bytes) -> bytes:
    """The PDF of a .docx: by the warm converter (started again if it died), else cold."""
    with _lock:
        converter = warm_converter()
        if converter is None:
            if soffice() is not None and warm_enabled():
                log.warning("PDF: no Python with uno (python3-uno) for the warm converter: "
                            "converting with a cold LibreOffice")
            return cold_convert(content)
        started = time.monotonic()
        if started < converter.cold_until:
            return cold_convert(content)
        try:
            return converter.convert(content)
        except PdfFailed as exc:
            converter.stop()
            converter.cold_until = time.monotonic() + WARM_PAUSE_SECONDS
            log.warning("PDF: the warm converter failed twice (%.1f s): %s; converting with a cold "
                        "LibreOffice for the next %.0f s", time.monotonic() - started, exc,
                        WARM_PAUSE_SECONDS)
        return cold_convert(content)
