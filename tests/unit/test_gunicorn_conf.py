"""server/gunicorn_conf.py as gunicorn itself reads it (`--print-config`, no app is loaded)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")
pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed beside python")


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEB_") and k != "GUNICORN_CMD_ARGS"}
    return subprocess.run(
        [str(GUNICORN), "--print-config", "--config", "python:server.gunicorn_conf", "server.wsgi:app"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def _config(**env: str) -> dict[str, str]:
    done = _run(**env)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", done.stdout, flags=re.M))


def _refused(**env: str) -> str:
    done = _run(**env)
    assert done.returncode != 0, f"gunicorn accepted {env}: {done.stdout[-300:]}"
    return done.stderr


def test_defaults_follow_the_host() -> None:
    config = _config()
    assert int(config["workers"]) == max(2, os.cpu_count() or 1)
    assert config["threads"] == "2"
    assert config["timeout"] == "60"
    assert config["worker_class"] == "gthread"
    assert config["accesslog"] == "-"


def test_empty_values_mean_the_defaults() -> None:
    """docker-compose passes `${WEB_WORKERS:-}`: unset in .env arrives as an empty string."""
    assert _config(WEB_WORKERS="", WEB_THREADS="", WEB_TIMEOUT="") == _config()


def test_the_environment_sets_workers_threads_and_timeout() -> None:
    config = _config(WEB_WORKERS="3", WEB_THREADS="4", WEB_TIMEOUT="120")
    assert (config["workers"], config["threads"], config["timeout"]) == ("3", "4", "120")


@pytest.mark.parametrize(("name", "value"), [("WEB_WORKERS", "three"), ("WEB_THREADS", "0"),
                                             ("WEB_TIMEOUT", "1"), ("WEB_WORKERS", "1000")])
def test_a_bad_value_stops_gunicorn_naming_the_variable(name: str, value: str) -> None:
    message = _refused(**{name: value})
    assert f"{name}=" in message and "whole number" in message
