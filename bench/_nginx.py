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


def free_port(avoid: tuple[int, ...] = ()) -> int:
    """A port nothing listens on now (not one of `avoid`, taken but not yet listened on)."""
    wanted = os.environ.get("REGOFFICE_BENCH_PORTS", "")
    candidates = range(int(wanted.split("-")[0]), int(wanted.split("-")[1]) + 1) if "-" in wanted else [0] * 8
    for port in candidates:
        if port in avoid:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            if (found := int(s.getsockname()[1])) not in avoid:
                return found
    raise RuntimeError(f"no free port in REGOFFICE_BENCH_PORTS={wanted}")


def nginx_version() -> tuple[int, ...]:
    binary = nginx_binary()
    assert binary, "nginx is not installed"
    out = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in found.groups()) if found else (0,)


def _enable_tls(text: str, *, tls_port: int, cert: Path, key: Path) -> str:
    """The commented TLS server block, uncommented, on a local port with the given files."""
    block = re.search(r"^    # server \{\n(?:    #.*\n)+?    # \}\n", text, flags=re.M)
    if block is None:
        raise ValueError("the commented TLS server block is missing")
    lines = [line.replace("    # ", "    ", 1).replace("    #", "", 1) if line.strip() else line
             for line in block.group(0).splitlines(keepends=True)]
    enabled = "".join(lines)
    enabled = re.sub(r"listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl", enabled)
    enabled = re.sub(r"ssl_certificate\s+/etc/nginx/certs/\S+;", f"ssl_certificate {cert};", enabled)
    enabled = re.sub(r"ssl_certificate_key\s+/etc/nginx/certs/\S+;", f"ssl_certificate_key {key};", enabled)
    if nginx_version() < (1, 25, 1):  # `http2 on;` is newer; the image's nginx has it
        enabled = re.sub(r"^\s*http2 on;\n", "", enabled, flags=re.M)
    return text.replace(block.group(0), enabled)


def render_local(work: Path, *, port: int, upstream: str, source: Path = CONFIG,
                 tls: tuple[int, Path, Path] | None = None) -> Path:
    """The config with its container-specific lines pointed at `work` and local addresses;
    with `tls` (port, certificate, key) its commented TLS server block enabled."""
    text = source.read_text(encoding="utf-8")
    if tls is not None:
        text = _enable_tls(text, tls_port=tls[0], cert=tls[1], key=tls[2])
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
