"""gunicorn behind nginx: slow clients no longer hold gunicorn's threads (the production
config, deploy/nginx/nginx.conf, run in front of a real gunicorn), and the app believes the
forwarded client address and scheme from exactly REGOFFICE_PROXY_HOPS proxies."""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import request

from server.app import create_app
from server.bootstrap import build_context
from server.config import ROOT


def _bench(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("hops, client, scheme", [(0, "127.0.0.1", "http"), (1, "10.1.2.3", "https"),
                                                  (2, "198.51.100.7", "https")])
def test_forwarded_headers_are_believed_from_the_configured_proxies(settings, hops, client, scheme):
    ctx = build_context(replace(settings, proxy_hops=hops))
    app = create_app(ctx=ctx, background=False)

    @app.get("/_probe")
    def _probe():  # type: ignore[no-untyped-def]
        return {"addr": request.remote_addr, "scheme": request.scheme}

    try:
        r = app.test_client().get("/_probe", headers={
            "X-Forwarded-For": "203.0.113.66, 198.51.100.7, 10.1.2.3", "X-Forwarded-Proto": "https"})
        assert r.json == {"addr": client, "scheme": scheme}
    finally:
        ctx.db.dispose()


def test_proxy_hops_out_of_range_is_refused(settings):
    ctx = build_context(replace(settings, proxy_hops=9))
    try:
        with pytest.raises(ValueError, match="REGOFFICE_PROXY_HOPS"):
            create_app(ctx=ctx, background=False)
    finally:
        ctx.db.dispose()


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
                    reason="nginx not installed (apt-get install nginx-light)")
def test_slow_clients_hold_nginx_not_gunicorn(tmp_path: Path) -> None:
    slow, nginx = _bench("slow_clients"), _bench("_nginx")
    app_port = nginx.free_port()
    with slow.gunicorn(tmp_path, app_port, workers=1, threads=2):
        # gunicorn alone: six sockets trickling their headers take both threads
        with slow.slow_sockets(app_port, 6):
            status, _ = slow.probe(app_port, timeout=2)
        assert status is None, "gunicorn answered although every thread should be held"
        proxy_port = nginx.free_port(avoid=(app_port,))
        with nginx.running(tmp_path / "nginx", port=proxy_port, upstream=f"127.0.0.1:{app_port}"), \
                slow.slow_sockets(proxy_port, 6):
            status, seconds = slow.probe(proxy_port, timeout=10)
            assert status == 200 and seconds < 2, (status, seconds)
            status, _ = slow.probe(app_port, timeout=5)  # gunicorn itself is free too
            assert status == 200
