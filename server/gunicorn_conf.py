"""gunicorn settings for the web service: `gunicorn -c python:server.gunicorn_conf server.wsgi:app`.

The worker and thread counts depend on the host, so they come from the environment:

- `WEB_WORKERS`: processes; default one per CPU, at least 2 (one restarting worker does not
  stop the service).
- `WEB_THREADS`: threads per process; default 2. A request is mostly Python under the GIL:
  on a 2-core host 2 workers x 2 threads completed 7 % more tasks per second than 2 x 4, the
  extra threads only adding GIL hand-offs (docs/performance.md). More threads help when
  requests wait on a remote database.
- `WEB_TIMEOUT`: seconds a request may run before its worker is replaced; default 60.

Options given on gunicorn's command line override these.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int, *, low: int = 1, high: int = 64) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: expected a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise SystemExit(f"{name}={value}: expected a whole number from {low} to {high}")
    return value


workers = _env_int("WEB_WORKERS", max(2, os.cpu_count() or 1))
threads = _env_int("WEB_THREADS", 2)
timeout = _env_int("WEB_TIMEOUT", 60, low=5, high=3600)
worker_class = "gthread"
graceful_timeout = 30
keepalive = 5
accesslog = "-"
