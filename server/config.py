"""Settings, read once from the environment (12-factor) with embedded defaults.

With nothing set, regoffice runs on SQLite in an instance folder with in-process
background work. DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import re
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
    # Celery: a job (or tick) running longer than the soft limit is interrupted (its transaction
    # rolled back, the job retried as after any failure); past the hard limit its pool process
    # is killed. Seconds; 0 turns a limit off.
    job_soft_time_limit: int = 120
    job_time_limit: int = 180
    # The same for the job kinds declared long (a whole university's record import: minutes);
    # they run in a task of their own (`regoffice.run_long_job`, queue regoffice-long) and the
    # sweeper counts one lost only after this limit. The soft limit defaults to a minute less.
    long_job_soft_time_limit: int = 3540
    long_job_time_limit: int = 3600
    # Each Celery worker beats this often; one silent for worker_dead_seconds is dead and the
    # jobs it may have held are sent again at once (instead of after job_stale_seconds).
    worker_heartbeat_seconds: float = 2.0
    worker_dead_seconds: float = 10.0
    # Database waits, milliseconds (0: no limit). A lock held longer than db_lock_timeout_ms
    # (PostgreSQL lock_timeout, SQLite busy timeout) ends the request with a 409 "try again"
    # and a background job with a retry; PostgreSQL also ends statements running longer than
    # db_statement_timeout_ms and sessions idle inside a transaction for db_idle_timeout_ms.
    db_lock_timeout_ms: int = 5000
    db_statement_timeout_ms: int = 60_000
    db_idle_timeout_ms: int = 300_000
    # E-mail notifications (new tasks, escalations, reminders): off unless a host is set.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "regoffice@localhost"
    # Base address printed in QR codes of issued documents (the public verification page).
    public_url: str = "http://127.0.0.1:8000"
    # Staff UI sessions end after this many idle minutes, and at the latest after this many
    # hours from sign-in (a working day); sign-out ends them at once (services/signin/sessions.py).
    session_idle_minutes: int = 30
    session_max_hours: int = 9
    # Served over HTTPS by a proxy: the session cookie is marked Secure and HSTS is sent.
    behind_tls: bool = False
    # Keys of the documents' verification codes, (key id, secret), the first one signs; empty:
    # one key "s" from SECRET_KEY (server/services/documents/verification.py).
    verify_keys: tuple[tuple[str, str], ...] = ()
    # Reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto are believed (compose:
    # 1, its nginx); 0: the headers are ignored, a client could forge them.
    proxy_hops: int = 0
    # Budget of one evaluation of a model's script, condition, DMN or timer expression: loop
    # turns, wall-clock seconds, the longest string/list/range one operation may make, the
    # largest integer (bits) and the size of the task data a script leaves (JSON bytes).
    script_max_steps: int = 1_000_000
    script_max_seconds: float = 5.0
    script_max_items: int = 1_000_000
    script_max_int_bits: int = 100_000
    script_max_state_bytes: int = 2_000_000
    # Tasks the engine may run in one step with no person and no wait (a cycle in a model).
    step_max_tasks: int = 1_000

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        instance = _env_path("REGOFFICE_INSTANCE", ROOT / "instance")
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'regoffice.db'}"
        broker = os.environ.get("CELERY_BROKER_URL") or None
        background = os.environ.get("REGOFFICE_BACKGROUND") or ("celery" if broker else "inprocess")
        long_limit = _env_int("REGOFFICE_LONG_JOB_TIME_LIMIT", 3600)
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
            job_soft_time_limit=_env_int("REGOFFICE_JOB_SOFT_TIME_LIMIT", 120),
            job_time_limit=_env_int("REGOFFICE_JOB_TIME_LIMIT", 180),
            long_job_soft_time_limit=_env_int("REGOFFICE_LONG_JOB_SOFT_TIME_LIMIT",
                                              long_limit - 60 if long_limit > 60 else 0),
            long_job_time_limit=long_limit,
            worker_heartbeat_seconds=_env_float("REGOFFICE_WORKER_HEARTBEAT_SECONDS", 2.0),
            worker_dead_seconds=_env_float("REGOFFICE_WORKER_DEAD_SECONDS", 10.0),
            db_lock_timeout_ms=_env_int("REGOFFICE_DB_LOCK_TIMEOUT_MS", 5000),
            db_statement_timeout_ms=_env_int("REGOFFICE_DB_STATEMENT_TIMEOUT_MS", 60_000),
            db_idle_timeout_ms=_env_int("REGOFFICE_DB_IDLE_TIMEOUT_MS", 300_000),
            smtp_host=os.environ.get("SMTP_HOST") or None,
            smtp_port=_env_int("SMTP_PORT", 25),
            smtp_from=os.environ.get("SMTP_FROM") or "regoffice@localhost",
            public_url=(os.environ.get("REGOFFICE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            session_idle_minutes=_env_int("REGOFFICE_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_env_int("REGOFFICE_SESSION_MAX_HOURS", 9),
            behind_tls=_env_bool("REGOFFICE_BEHIND_TLS", False),
            verify_keys=parse_verify_keys(os.environ.get("REGOFFICE_VERIFY_KEYS", "")),
            proxy_hops=_env_int("REGOFFICE_PROXY_HOPS", 0),
            script_max_steps=_env_int("REGOFFICE_SCRIPT_MAX_STEPS", 1_000_000),
            script_max_seconds=_env_float("REGOFFICE_SCRIPT_MAX_SECONDS", 5.0),
            script_max_items=_env_int("REGOFFICE_SCRIPT_MAX_ITEMS", 1_000_000),
            script_max_int_bits=_env_int("REGOFFICE_SCRIPT_MAX_INT_BITS", 100_000),
            script_max_state_bytes=_env_int("REGOFFICE_SCRIPT_MAX_STATE_BYTES", 2_000_000),
            step_max_tasks=_env_int("REGOFFICE_STEP_MAX_TASKS", 1_000),
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


VERIFY_KEY_ID = re.compile(r"[A-Za-z0-9]{1,16}")
VERIFY_SECRET_MIN = 16


def parse_verify_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """`REGOFFICE_VERIFY_KEYS="k2:secret2,k1:secret1"`: key ids (letters and digits) with their
    secrets (at least 16 characters); the first key signs new codes, every key checks them."""
    keys: list[tuple[str, str]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        kid, sep, secret = item.partition(":")
        kid, secret = kid.strip(), secret.strip()
        if not sep or not VERIFY_KEY_ID.fullmatch(kid):
            raise ValueError(f"REGOFFICE_VERIFY_KEYS: {kid!r} is not '<key id>:<secret>' with a key id "
                             "of 1-16 letters and digits")
        if len(secret) < VERIFY_SECRET_MIN:
            raise ValueError(f"REGOFFICE_VERIFY_KEYS: the secret of key {kid!r} is shorter than "
                             f"{VERIFY_SECRET_MIN} characters")
        if any(kid == known for known, _ in keys):
            raise ValueError(f"REGOFFICE_VERIFY_KEYS: key id {kid!r} is listed twice")
        keys.append((kid, secret))
    return tuple(keys)
