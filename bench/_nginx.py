"""deploy/nginx/nginx.conf run outside Docker: the same file with the few lines that name the
container's world (the `web` host, port 80, the nginx user, log and pid paths) pointed at a
scratch folder and local addresses. Used by bench/slow_clients.py and by the tests
(tests/unit/test_compose.py checks the file with `nginx -t`, tests/integration/test_slow_clients.py
runs it in front of gunicorn).

Ports: `free_port()` takes one the operating system offers, or one of REGOFFICE_BENCH_PORTS
(`18400-18499`) when that is set.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "deploy" / "nginx" / "nginx.conf"

# (pattern, what it becomes); each must match exactly once, so a changed file fails loudly.
_LOCAL = [
    (r"^user nginx;$", "{user}"),
    (r"^pid /var/run/nginx\.pid;$", "pid {work}/nginx.pid;"),
    (r"^error_log /var/log/nginx/error\.log notice;$", "error_log {work}/error.log notice;"),
    (r"^(\s*)access_log /var/log/nginx/access\.log combined;$",
     r"\1access_log {work}/access.log combined;\n"
     r"\1client_body_temp_path {work}/body;\n\1proxy_temp_path {work}/proxy;\n"
     r"\1fastcgi_temp_path {work}/fastcgi;\n\1uwsgi_temp_path {work}/uwsgi;\n"
     r"\1scgi_temp_path {work}/scgi;"),
    (r"^(\s*)server web:8000;$", r"\1server {upstream};"),
    (r"^(\s*)listen 80 default_server;$", r"\1listen 127.0.0.1:{port} default_server;"),
]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    wanted = os.environ.get("REGOFFICE_BENCH_PORTS", "")
    candidates = range(int(wanted.split("-")[0]), int(wanted.split("-")[1]) + 1) if "-" in wanted else [0]
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in REGOFFICE_BENCH_PORTS={wanted}")


def render_local(work: Path, *, port: int, upstream: str, source: Path = CONFIG) -> Path:
    """The config with its container-specific lines pointed at `work` and local addresses."""
    text = source.read_text(encoding="utf-8")
    user = "user root;" if os.geteuid() == 0 else "# user: not root, the workers run as this user"
    values = {"{work}": str(work), "{upstream}": upstream, "{port}": str(port), "{user}": user}
    for pattern, replacement in _LOCAL:
        for key, value in values.items():
            replacement = replacement.replace(key, value)
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        if count != 1:
            raise ValueError(f"{source}: expected one line matching {pattern!r}, found {count}")
    work.mkdir(parents=True, exist_ok=True)
    target = work / "nginx.conf"
    target.write_text(text, encoding="utf-8")
    return target


def check(config: Path, work: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a rendered config."""
    binary = nginx_binary()
    assert binary, "nginx is not installed"
    return subprocess.run([binary, "-t", "-q", "-p", str(work), "-e", str(work / "error.log"),
                           "-c", str(config)], capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def running(work: Path, *, port: int, upstream: str) -> Iterator[subprocess.Popen[bytes]]:
    """nginx in the foreground on 127.0.0.1:port in front of `upstream`, stopped at the end."""
    binary = nginx_binary()
    assert binary, "nginx is not installed"
    config = render_local(work, port=port, upstream=upstream)
    proc = subprocess.Popen([binary, "-p", str(work), "-e", str(work / "error.log"), "-c", str(config),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                raise RuntimeError(f"nginx did not start on port {port}: {err}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
