"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, installed by
`make test` from Debian packages; Playwright's own browser download is never used) against
the real server — `regoffice demo` prepared in a temporary folder, then `regoffice serve`
in a subprocess with in-process background work, exactly as a newcomer runs it.

Screenshots of the inbox, a form and a case page with its process map are written to
build/screenshots/ (REGOFFICE_SCREENSHOTS overrides) for a person to look at."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("REGOFFICE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"Chromium not installed at {CHROMIUM} (apt-get install chromium; `make test` does it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


SKIP = _skip_reason()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("REGOFFICE_SCREENSHOTS") or ROOT / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo server on a free port, with its own SQLite database."""
    if SKIP:
        pytest.skip(SKIP)
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(REGOFFICE_INSTANCE=str(instance), REGOFFICE_BACKGROUND="inprocess",
               SECRET_KEY="e2e-secret", PYTHONUNBUFFERED="1")
    cli = [sys.executable, "-m", "server.cli"]
    subprocess.run([*cli, "demo", "--no-serve"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    port = int(os.environ.get("REGOFFICE_E2E_PORT") or 0) or _free_port()
    log = open(instance / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError((instance / "server.log").read_text(errors="replace")) from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser(live_server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()
