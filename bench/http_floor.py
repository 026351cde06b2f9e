#!/usr/bin/env python
"""The floor under engine_overhead.py's "HTTP, gunicorn" mode: what one request costs on this
machine before regoffice does anything.

gunicorn (gthread, as the server runs it, and sync for comparison) serves, one at a time:
  wsgi    a WSGI callable that returns a constant body (gunicorn and the client alone);
  flask   a one-route Flask app returning {"ok": true} (plus Flask's own request handling);
  404     regoffice's app answering an unknown /api/v1 path (its JSON error, no database);
and a keep-alive http.client connection (the bench's client) sends N requests to each. The
approval case makes 5 requests (a start and 4 completions), so 5 × floor is what the HTTP
mode pays for transport and framework before any of the server's work; compare it with
mode b of engine_overhead.py (the d/b target is 3 × b).

    python bench/http_floor.py [--requests 3000] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _cluster import free_port  # noqa: E402
from _common import machine_line, write_json  # noqa: E402

APPS = '''
def wsgi(environ, start_response):
    body = b'{"ok": true}'
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


from flask import Flask

flask = Flask(__name__)


@flask.get("/ok")
def ok():
    return {"ok": True}
'''
TARGETS = {"wsgi": ("floor_apps:wsgi", "/"), "flask": ("floor_apps:flask", "/ok"),
           "404": ("server.wsgi:app", "/api/v1/no-such-path")}


def measure(port: int, path: str, requests: int) -> float:
    """Median of three runs of `requests` keep-alive GETs, in microseconds per request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def one() -> int:
        conn.request("GET", path, headers={"Connection": "keep-alive"})
        response = conn.getresponse()
        response.read()
        return response.status

    deadline = time.monotonic() + 30
    while True:  # the server is up when it answers
        try:
            one()
            break
        except OSError:
            conn.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    for _ in range(300):
        one()
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(requests):
            one()
        runs.append((time.perf_counter() - start) / requests * 1e6)
    conn.close()
    return sorted(runs)[1]


def serve(target: str, worker: str, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    exe = Path(sys.executable).with_name("gunicorn")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "gunicorn"]
    cmd += [target, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--keep-alive", "75",
            "--log-level", "warning"]
    cmd += ["--worker-class", worker] + (["--threads", "2"] if worker == "gthread" else [])
    env = {**os.environ, "PYTHONPATH": f"{folder}{os.pathsep}{REPO}",
           "DATABASE_URL": f"sqlite:///{folder / 'floor.db'}", "REGOFFICE_BACKGROUND": "none",
           "REGOFFICE_INSTANCE": str(folder), "SECRET_KEY": secrets.token_hex(16)}
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="regoffice-http-floor-"))
    (folder / "floor_apps.py").write_text(APPS)
    results: dict[str, dict[str, float]] = {}
    try:
        from server.migrate import upgrade

        upgrade(f"sqlite:///{folder / 'floor.db'}")
        print(machine_line())
        print(f"one keep-alive client, {args.requests} requests per run, median of 3 runs")
        print(f"{'server':10s} {'app':6s} {'us/request':>11s} {'x5 (one approval case)':>24s}")
        for worker in ("gthread", "sync"):
            for name, (target, path) in TARGETS.items():
                proc, port = serve(target, worker, folder)
                try:
                    us = measure(port, path, args.requests)
                finally:
                    proc.terminate()
                    proc.wait(timeout=15)
                results.setdefault(worker, {})[name] = us
                print(f"{worker:10s} {name:6s} {us:11.0f} {5 * us / 1000:21.2f} ms")
        print("sync closes the connection after each response (gunicorn's sync worker has no keep-alive).")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    write_json(args.json, {"requests": args.requests, "us_per_request": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
