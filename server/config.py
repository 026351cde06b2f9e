"""Settings, read once from the environment (12-factor) with embedded defaults.

With nothing set, regoffice runs on SQLite in an instance folder with in-process
background work. DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.strip() else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value and value.strip() else default


def _env_bytes(name: str, default: int, unit: int) -> int:
    """A size given in `unit`s (KB or MB, fractions allowed), as bytes."""
    value = os.environ.get(name)
    return int(float(value) * unit) if value and value.strip() else default


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every setting of the application. Build with `Settings.from_env()`."""

    instance_dir: Path
    database_url: str
    secret_key: str
    workflows_dir: Path
    forms_dir: Path
    templates_dir: Path
    config_dir: Path
    timezone: str = "Asia/Almaty"
    celery_broker_url: str | None = None
    # "inprocess": a background thread drains the outbox; "celery": a separate worker does.
    background: str = "inprocess"
    # Uploads: one file (a scan, a model, a list of students); the scans of one case
    # together; one request as a whole (MAX_CONTENT_LENGTH: beyond it a clear 413).
    max_upload_bytes: int = 5 * MIB
    max_case_files_bytes: int = 20 * MIB
    max_request_bytes: int = 21 * MIB
    # The data an application is registered with (JSON, UTF-8): a case's start data.
    max_application_bytes: int = MIB  # a 2,000-row batch order list is about 0.7 MB
    auto_deploy: bool = True
    # Outbox: a job sent to a worker but not finished within this many seconds (the worker
    # died) is sent again; a failed job is retried after `job_retry_seconds`, doubling.
    job_stale_seconds: int = 300
    job_retry_seconds: float = 2.0
    # /healthz/worker: the background dispatcher's heartbeat must be fresher than this.
    heartbeat_max_age: int = 30
    # E-mail notifications (new tasks, escalations, reminders): off unless a host is set.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "regoffice@localhost"
    # Base address printed in QR codes of issued documents (the public verification page).
    public_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        instance = _env_path("REGOFFICE_INSTANCE", ROOT / "instance")
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'regoffice.db'}"
        broker = os.environ.get("CELERY_BROKER_URL") or None
        background = os.environ.get("REGOFFICE_BACKGROUND") or ("celery" if broker else "inprocess")
        settings = cls(
            instance_dir=instance,
            database_url=normalize_database_url(database_url),
            secret_key=os.environ.get("SECRET_KEY") or _instance_secret(instance),
            workflows_dir=_env_path("REGOFFICE_WORKFLOWS", ROOT / "workflows"),
            forms_dir=_env_path("REGOFFICE_FORMS", ROOT / "forms"),
            templates_dir=_env_path("REGOFFICE_TEMPLATES", ROOT / "templates"),
            config_dir=_env_path("REGOFFICE_CONFIG_DIR", ROOT / "config"),
            timezone=os.environ.get("REGOFFICE_TIMEZONE", "Asia/Almaty"),
            celery_broker_url=broker,
            background=background,
            max_upload_bytes=_env_bytes("REGOFFICE_MAX_UPLOAD_MB", 5 * MIB, MIB),
            max_case_files_bytes=_env_bytes("REGOFFICE_MAX_CASE_FILES_MB", 20 * MIB, MIB),
            max_request_bytes=_env_bytes("REGOFFICE_MAX_REQUEST_MB", 21 * MIB, MIB),
            max_application_bytes=_env_bytes("REGOFFICE_MAX_APPLICATION_KB", MIB, 1024),
            auto_deploy=_env_bool("REGOFFICE_AUTO_DEPLOY", True),
            job_stale_seconds=_env_int("REGOFFICE_JOB_STALE_SECONDS", 300),
            job_retry_seconds=_env_float("REGOFFICE_JOB_RETRY_SECONDS", 2.0),
            heartbeat_max_age=_env_int("REGOFFICE_HEARTBEAT_MAX_AGE", 30),
            smtp_host=os.environ.get("SMTP_HOST") or None,
            smtp_port=_env_int("SMTP_PORT", 25),
            smtp_from=os.environ.get("SMTP_FROM") or "regoffice@localhost",
            public_url=(os.environ.get("REGOFFICE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        )
        return replace(settings, **overrides) if overrides else settings


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _instance_secret(instance: Path) -> str:
    """A per-instance secret kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
