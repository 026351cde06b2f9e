"""Slow clients against gunicorn alone and behind nginx (deploy/nginx/nginx.conf).

A handful of sockets that send a request's headers one byte at a time hold every gthread
worker thread of gunicorn, and /healthz stops answering until they give up. The same sockets
sent to nginx in front of it are held by nginx, which passes gunicorn only whole requests.

    python bench/slow_clients.py                      # 8 slow sockets, gunicorn 2 x 2
    python bench/slow_clients.py --sockets 12 --workers 1 --threads 2 --json out.json

It starts gunicorn (`-c server/gunicorn_conf.py server.wsgi:app`, SQLite in a scratch folder,
no background work) and nginx (the production config with its upstream and ports pointed at
127.0.0.1, see bench/_nginx.py), opens the slow sockets, and times concurrent /healthz requests
on fresh connections, first straight to gunicorn, then through nginx. Needs nginx (apt-get install
nginx-light). REGOFFICE_BENCH_PORTS=18400-18499 keeps the ports in a range.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _nginx

REPO = _nginx.REPO


@contextlib.contextmanager
def gunicorn(work: Path, port: int, *, workers: int, threads: int) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn as the README runs it, on 127.0.0.1:port, SQLite in `work`."""
    env = {**os.environ, "REGOFFICE_INSTANCE": str(work / "instance"),
           "DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "REGOFFICE_BACKGROUND": "none",
           "SECRET_KEY": "slow-clients-bench", "REGOFFICE_PROXY_HOPS": "1",
           "WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}
    env.pop("CELERY_BROKER_URL", None)
    log = open(work / "gunicorn.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "server/gunicorn_conf.py",
                             "server.wsgi:app", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while probe(port, timeout=2)[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {(work / 'gunicorn.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def probe(port: int, timeout: float) -> tuple[int | None, float]:
    """GET /healthz on a fresh connection: (status or None when no answer in time, seconds)."""
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, time.monotonic() - started
    except OSError:
        return None, time.monotonic() - started


def probe_many(port: int, count: int, timeout: float) -> dict[str, object]:
    """`count` probes at once (a free thread in one gunicorn process may serve one of them):
    how many answered 200 within `timeout`, and the slowest."""
    results: list[tuple[int | None, float]] = []
    threads = [threading.Thread(target=lambda: results.append(probe(port, timeout))) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"answered": sum(1 for status, _ in results if status == 200), "probes": count,
            "max_seconds": round(max(seconds for _, seconds in results), 3)}


@contextlib.contextmanager
def slow_sockets(port: int, count: int, interval: float = 0.5) -> Iterator[list[socket.socket]]:
    """`count` connections that send a request line and then one header byte every `interval`."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        socks.append(s)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(interval):
            for s in socks:
                with contextlib.suppress(OSError):
                    s.sendall(b"a")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(interval * 2)  # let the server hand them to its threads
        yield socks
    finally:
        stop.set()
        thread.join()
        for s in socks:
            s.close()


def measure(*, sockets: int, workers: int, threads: int, probes: int,
            probe_timeout: float) -> dict[str, object]:
    if not _nginx.nginx_binary():
        raise SystemExit("nginx is not installed (apt-get install nginx-light)")
    with tempfile.TemporaryDirectory(prefix="regoffice-slow-") as tmp:
        work = Path(tmp)
        app_port = _nginx.free_port()
        with gunicorn(work, app_port, workers=workers, threads=threads):
            proxy_port = _nginx.free_port(avoid=(app_port,))
            with _nginx.running(work / "nginx", port=proxy_port, upstream=f"127.0.0.1:{app_port}"):
                result = {"idle, gunicorn alone": probe_many(app_port, probes, probe_timeout),
                          "idle, through nginx": probe_many(proxy_port, probes, probe_timeout)}
                with slow_sockets(app_port, sockets):
                    result["slow, gunicorn alone"] = probe_many(app_port, probes, probe_timeout)
                with slow_sockets(proxy_port, sockets):
                    result["slow, through nginx"] = probe_many(proxy_port, probes, probe_timeout)
    return {"sockets": sockets, "workers": workers, "threads": threads, "probe_timeout": probe_timeout,
            "results": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--probes", type=int, default=4, help="concurrent /healthz requests")
    parser.add_argument("--probe-timeout", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = measure(sockets=args.sockets, workers=args.workers, threads=args.threads,
                   probes=args.probes, probe_timeout=args.probe_timeout)
    print(f"gunicorn {args.workers} x {args.threads} (gthread), {args.sockets} sockets sending headers "
          f"one byte every 0.5 s; {args.probes} concurrent GET /healthz on fresh connections "
          f"(give up after {args.probe_timeout:g} s)")
    print(f"{'':24}{'answered':>10}{'slowest s':>11}")
    for label, row in data["results"].items():  # type: ignore[attr-defined]
        print(f"{label:24}{row['answered']:>6} / {row['probes']}{row['max_seconds']:>11.3f}")
    if args.json:
        args.json.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
