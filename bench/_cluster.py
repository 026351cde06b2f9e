"""A whole regoffice installation for the load benches: a scratch PostgreSQL database built with
the project's migrations, the models deployed, one user per role with an API token, registered
students; gunicorn (`server.wsgi:app`, gthread) and a real Celery worker and beat on a Redis
database of their own; RSS and CPU of every process sampled each second; processes killed and
restarted on demand; everything removed at the end, Ctrl-C included.

    with Cluster(ClusterOptions(...)) as cluster:
        cluster.start_web(); cluster.start_worker(); cluster.start_beat()
        ... cluster.port, cluster.tokens, cluster.rss_series() ...

Every child runs in a session of its own (the whole group is signalled) with PR_SET_PDEATHSIG,
which fires when the *thread* that started the child exits: start children from the main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import (  # noqa: E402
    PEOPLE,
    Model,
    create_pg_database,
    drop_pg_database,
    healthz_ok,
    load_model,
)

REDIS_URL = os.environ.get("REGOFFICE_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
# Redis databases the benches may take; reserved with the same keys as the tests'
# private_broker (tests/integration/worker_procs.py), so a bench and a test never share one.
REDIS_DBS = (12, 13, 14, 15)
RESERVATION = "regoffice-test:db:{}"
PR_SET_PDEATHSIG = 1
_PRCTL = ctypes.CDLL("libc.so.6", use_errno=True).prctl
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
FINAL_STATUSES = ("completed", "rejected", "cancelled", "withdrawn")


def redis_unreachable(url: str = REDIS_URL) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis not reachable at {url}: {type(exc).__name__}"
    return None


def iin_stream(first_year: int) -> Iterator[str]:
    """Different valid ИИН of people born from `first_year` on: one per birthday over 20 years
    (6720 of them), then the same birthdays with further serials."""
    from server.domain.iin import make_iin

    seen: set[str] = set()
    n = 0
    while True:
        day = n % 6720
        birth = date(first_year + day % 20, 1 + day // 20 % 12, 1 + day // 240)
        iin = make_iin(birth, "M" if n % 2 else "F", (n // 6720) * 20)
        if iin not in seen:
            seen.add(iin)
            yield iin
        n += 1


def unique_iins(count: int, first_year: int) -> list[str]:
    return list(itertools.islice(iin_stream(first_year), count))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


# --------------------------------------------------------------------------- /proc
def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return None


def children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                out += [int(p) for p in (task / "children").read_text().split()]
    return list(dict.fromkeys(out))


def postgres_backends(dbname: str) -> list[int]:
    """Backends connected to `dbname` (their command line reads `postgres: … user dbname host …`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmd = (entry / "cmdline").read_bytes()
            if cmd.startswith(b"postgres:") and f" {dbname} ".encode() in cmd:
                pids.append(int(entry.name))
    return pids


# --------------------------------------------------------------------------- processes
class Proc:
    """One child process group, logging to a file (appended across restarts)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self._out: IO[str] | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None and self.popen.poll() is None else None

    def start(self) -> None:
        assert threading.current_thread() is threading.main_thread(), "start children from the main thread"
        self._out = open(self.log_path, "a")  # noqa: SIM115  (closed in _reap)
        self.popen = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdout=self._out,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      preexec_fn=_die_with_parent)
        self.starts += 1

    def signal_group(self, sig: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group (the master and its children)."""
        self.signal_group(signal.SIGKILL)
        self._reap(10)

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
        self._reap(10)

    def _reap(self, timeout: float) -> None:
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
            # children of a killed master may outlive it for a moment: make sure the group is gone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        if self._out is not None:
            self._out.close()
            self._out = None

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


# --------------------------------------------------------------------------- sampling
@dataclass
class Sample:
    t: float  # seconds since the sampler started
    rss: dict[str, int]  # process label -> RSS KiB
    cpu: dict[str, float]  # group (web, worker, beat, postgres) -> cumulative CPU seconds


@dataclass
class ClusterOptions:
    pg_url: str
    models: tuple[str, ...] = ("approval", "transfer_in")
    web_workers: int = 2
    web_threads: int = 4
    worker_concurrency: int = 2
    students: int = 50
    tick_seconds: float = 0.5  # REGOFFICE_TICK_SECONDS: beat hands out due jobs this often
    job_stale_seconds: int = 300  # REGOFFICE_JOB_STALE_SECONDS
    worker_max_memory_mb: int | None = None  # REGOFFICE_WORKER_MAX_MEMORY_MB (None: the default)
    extra_env: dict[str, str] = field(default_factory=dict)  # more settings for web, worker, beat
    keep: bool = False
    log: Callable[[str], None] = print


@dataclass
class Cluster:
    opts: ClusterOptions
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="regoffice-load-")))
    db_name: str = ""
    url: str = ""
    broker: str = ""
    port: int = 0
    tokens: dict[str, str] = field(default_factory=dict)
    faculties: dict[int, str] = field(default_factory=dict)  # id -> code
    students: list[tuple[int, str]] = field(default_factory=list)  # (id, iin)
    models: dict[str, Model] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    web: Proc | None = None
    worker: Proc | None = None
    beat: Proc | None = None
    _redis_db: int | None = None
    _redis_token: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cpu_seen: dict[tuple[str, int], float] = field(default_factory=dict)
    _cpu_gone: dict[str, float] = field(default_factory=dict)
    _t0: float = 0.0

    # ------------------------------------------------------------------ setup
    def __enter__(self) -> Cluster:
        self._old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        signal.signal(signal.SIGTERM, self._old_term)

    def setup(self) -> None:
        from sqlalchemy import select

        from server.auth import Actor
        from server.bootstrap import build_context
        from server.config import Settings
        from server.migrate import upgrade
        from server.models import Faculty, Student
        from server.services.people.users import NewUser, create_token, create_user
        from server.services.procedures.deployments import deploy_file
        from server.services.students.names import record_programme

        self.db_name, self.url = create_pg_database(self.opts.pg_url, "regoffice_load_")
        self.opts.log(f"database {self.db_name} on {self.url.split('@')[-1].rsplit('/', 1)[0]}")
        upgrade(self.url)
        settings = Settings(instance_dir=self.tmp / "instance", database_url=self.url,
                            secret_key="bench-secret", workflows_dir=REPO / "workflows",
                            forms_dir=REPO / "forms", templates_dir=REPO / "templates",
                            config_dir=REPO / "config", background="none", celery_broker_url=None)
        ctx = build_context(settings)
        try:
            with ctx.db.unit_of_work() as session:
                session.add_all([Faculty(code="IT", name_ru="ИТ", name_kk="АТ"),
                                 Faculty(code="ECON", name_ru="Экономика", name_kk="Экономика")])
                record_programme(session, "6B06102", "Программная инженерия", "Бағдарламалық инженерия")
            with ctx.db.read() as session:
                self.faculties = {f.id: f.code for f in session.scalars(select(Faculty))}
            for username, roles, faculty in PEOPLE:
                create_user(ctx, NewUser(username, username.title(), roles, None, faculty))
                self.tokens[username] = create_token(ctx, username, "bench")
            for key in self.opts.models:
                model = load_model(key, ctx)
                self.models[key] = model
                for filename, content in model.files:
                    deploy_file(ctx, Actor.system(), filename, content)
            it = next(i for i, code in self.faculties.items() if code == "IT")
            iins = unique_iins(self.opts.students, 2003)
            with ctx.db.unit_of_work() as session:
                rows = [Student(iin=iin, faculty_id=it, last_name="Иванов", first_name="Пётр",
                                middle_name="Сергеевич", programme_code="6B06102",
                                programme_name="Программная инженерия", year=2, group="ПИ-24-1",
                                level="bachelor", form="full_time", language="ru", funding="grant",
                                sex="M") for iin in iins]
                session.add_all(rows)
                session.flush()
                self.students = [(s.id, s.iin) for s in rows]
        finally:
            ctx.db.dispose()
        self._reserve_redis()
        self.port = free_port()
        env = self._env()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        cmd += ["server.wsgi:app", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.opts.web_workers), "--worker-class", "gthread",
                "--threads", str(self.opts.web_threads), "--keep-alive", "75", "--timeout", "60",
                "--graceful-timeout", "10", "--log-level", "warning"]
        logs = self.tmp / "logs"
        logs.mkdir()
        self.web = Proc("gunicorn", cmd, env, logs)
        cli = [sys.executable, "-m", "server.cli"]
        self.worker = Proc("worker", [*cli, "worker", "--concurrency", str(self.opts.worker_concurrency)],
                           env, logs)
        self.beat = Proc("beat", [*cli, "beat", "--schedule", str(self.tmp / "beat-schedule")], env, logs)
        self._t0 = time.monotonic()
        self._sampler = threading.Thread(target=self._sample_loop, name="sampler", daemon=True)
        self._sampler.start()

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": self.url, "CELERY_BROKER_URL": self.broker,
               "REGOFFICE_BACKGROUND": "celery", "REGOFFICE_INSTANCE": str(self.tmp / "instance"),
               "SECRET_KEY": "bench-" + secrets.token_hex(16), "REGOFFICE_AUTO_DEPLOY": "false",
               "REGOFFICE_TICK_SECONDS": str(self.opts.tick_seconds),
               "REGOFFICE_JOB_STALE_SECONDS": str(self.opts.job_stale_seconds),
               "PYTHONPATH": str(REPO)}
        if self.opts.worker_max_memory_mb is not None:
            env["REGOFFICE_WORKER_MAX_MEMORY_MB"] = str(self.opts.worker_max_memory_mb)
        return {**env, **self.opts.extra_env}

    def _reserve_redis(self) -> None:
        import redis

        admin = redis.Redis.from_url(f"{REDIS_URL}/0")
        self._redis_token = uuid.uuid4().hex
        deadline = time.monotonic() + 60
        while self._redis_db is None:
            self._redis_db = next((i for i in REDIS_DBS if admin.set(RESERVATION.format(i),
                                                                     self._redis_token, nx=True, ex=600)),
                                  None)
            if self._redis_db is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no free Redis database among {REDIS_DBS}")
                time.sleep(0.5)
        self.broker = f"{REDIS_URL}/{self._redis_db}"
        redis.Redis.from_url(self.broker).flushdb()

    def _refresh_redis(self) -> None:
        import redis

        with contextlib.suppress(Exception):
            admin = redis.Redis.from_url(f"{REDIS_URL}/0")
            if admin.get(RESERVATION.format(self._redis_db)) == self._redis_token.encode():
                admin.expire(RESERVATION.format(self._redis_db), 600)

    def _release_redis(self) -> None:
        import redis

        if self._redis_db is None:
            return
        with contextlib.suppress(Exception):
            redis.Redis.from_url(self.broker).flushdb()
            admin = redis.Redis.from_url(f"{REDIS_URL}/0")
            if admin.get(RESERVATION.format(self._redis_db)) == self._redis_token.encode():
                admin.delete(RESERVATION.format(self._redis_db))
        self._redis_db = None

    # ------------------------------------------------------------------ processes
    def start_web(self, timeout: float = 60) -> None:
        assert self.web is not None
        self.web.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.popen is not None and self.web.popen.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.web.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f}s: {self.web.log_tail()}")

    def healthy(self) -> bool:
        return healthz_ok(self.port)

    def restart_web(self, hard: bool = True) -> float:
        """Kill (SIGKILL the group) or stop (SIGTERM, graceful) gunicorn and start it again on the
        same port; returns the seconds it was away."""
        assert self.web is not None
        t0 = time.monotonic()
        if hard:
            self.web.kill()
        else:
            self.web.stop()
        self.start_web()
        return time.monotonic() - t0

    def start_worker(self) -> None:
        assert self.worker is not None
        self.worker.start()

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.kill()

    def start_beat(self) -> None:
        assert self.beat is not None
        self.beat.start()

    def worker_ready(self) -> bool:
        return self.worker is not None and "ready." in self.worker.log_tail(100_000)

    def start_all(self, worker_timeout: float = 60) -> None:
        """gunicorn (until healthy), the Celery worker and beat; then wait (bounded) for the
        worker to say it is ready, so the first jobs are not timed waiting for its start."""
        self.start_web()
        self.start_worker()
        self.start_beat()
        deadline = time.monotonic() + worker_timeout
        while not self.worker_ready() and time.monotonic() < deadline:
            time.sleep(0.2)

    def close(self) -> None:
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(timeout=5)
        for proc in (self.web, self.worker, self.beat):
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.stop(timeout=10)
        self._release_redis()
        if self.db_name and not self.opts.keep:
            try:
                drop_pg_database(self.opts.pg_url, self.db_name)
            except Exception as exc:
                self.opts.log(f"could not drop database {self.db_name}: {exc}")
            self.db_name = ""
        elif self.db_name:
            self.opts.log(f"kept database {self.db_name}")
        if not self.opts.keep:
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ sampling
    def processes(self) -> dict[str, tuple[str, int]]:
        """label -> (group, pid) of every process of the installation that runs now."""
        out: dict[str, tuple[str, int]] = {}
        if self.web is not None and self.web.pid:
            out["web master"] = ("web", self.web.pid)
            for i, pid in enumerate(sorted(children(self.web.pid))):
                out[f"web worker {i + 1} [{pid}]"] = ("web", pid)
        if self.worker is not None and self.worker.pid:
            out["celery main"] = ("worker", self.worker.pid)
            for pid in sorted(children(self.worker.pid)):
                out[f"celery child [{pid}]"] = ("worker", pid)
        if self.beat is not None and self.beat.pid:
            out["celery beat"] = ("beat", self.beat.pid)
        return out

    def _sample_loop(self) -> None:
        last_refresh = 0.0
        while not self._stop.wait(1.0):
            try:
                self.sample()
            except Exception as exc:  # sampling must never break a run
                self.opts.log(f"sampler: {type(exc).__name__}: {exc}")
            if time.monotonic() - last_refresh > 60:
                self._refresh_redis()
                last_refresh = time.monotonic()

    def sample(self) -> Sample:
        procs = self.processes()
        backends = {f"pg [{pid}]": ("postgres", pid) for pid in postgres_backends(self.db_name)}
        rss: dict[str, int] = {}
        with self._lock:
            seen_now: set[tuple[str, int]] = set()
            for label, (group, pid) in {**procs, **backends}.items():
                if group != "postgres":
                    value = rss_kib(pid)
                    if value is not None:
                        rss[label] = value
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    self._cpu_seen[(group, pid)] = cpu
                    seen_now.add((group, pid))
            for key in [k for k in self._cpu_seen if k not in seen_now]:
                # the process ended: keep its last reading in its group's total
                self._cpu_gone[key[0]] = self._cpu_gone.get(key[0], 0.0) + self._cpu_seen.pop(key)
            cpu_total: dict[str, float] = dict(self._cpu_gone)
            for (group, _pid), value in self._cpu_seen.items():
                cpu_total[group] = cpu_total.get(group, 0.0) + value
            sample = Sample(round(time.monotonic() - self._t0, 2), rss, cpu_total)
            self.samples.append(sample)
        return sample

    def now(self) -> float:
        return time.monotonic() - self._t0

    def cpu_at(self, t: float) -> dict[str, float]:
        """Cumulative CPU per group at the first sample at or after `t` (the last one otherwise)."""
        with self._lock:
            for s in self.samples:
                if s.t >= t:
                    return dict(s.cpu)
            return dict(self.samples[-1].cpu) if self.samples else {}

    def rss_series(self, since: float = 0.0) -> dict[str, list[tuple[float, int]]]:
        series: dict[str, list[tuple[float, int]]] = {}
        with self._lock:
            for s in self.samples:
                if s.t < since:
                    continue
                for label, kib in s.rss.items():
                    series.setdefault(label, []).append((s.t, kib))
        return series


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# --------------------------------------------------------------------------- memory report
@dataclass
class MemoryRow:
    label: str
    peak_mib: float
    first_mib: float  # median over the first window
    last_mib: float  # median over the last window
    samples: int

    @property
    def growth(self) -> float:
        return (self.last_mib - self.first_mib) / self.first_mib if self.first_mib else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "peak_mib": round(self.peak_mib, 1),
                "first_mib": round(self.first_mib, 1), "last_mib": round(self.last_mib, 1),
                "growth": round(self.growth, 4), "samples": self.samples}


def memory_rows(cluster: Cluster, since: float, until: float, window: float = 60.0) -> list[MemoryRow]:
    """Peak and first-vs-last-window RSS of each process seen between `since` and `until`. The
    window is a minute, or a third of the span when the span is shorter than three minutes. Pool
    children come and go (a child over the memory cap is replaced): they are also summarised as
    one row, "celery pool children (max)", the largest child's RSS each second."""
    span = max(until - since, 1.0)
    window = min(window, span / 3)
    series = {k: [(t, v) for t, v in pts if t <= until] for k, pts in cluster.rss_series(since).items()}
    pool: dict[float, int] = {}
    for label, pts in series.items():
        if label.startswith("celery child"):
            for t, v in pts:
                pool[t] = max(pool.get(t, 0), v)
    if pool:
        series["celery pool children (max)"] = sorted(pool.items())
    rows = []
    for label, pts in series.items():
        if not pts:
            continue
        first = [v for t, v in pts if t <= since + window] or [pts[0][1]]
        last = [v for t, v in pts if t >= until - window] or [pts[-1][1]]
        rows.append(MemoryRow(label, max(v for _, v in pts) / 1024, statistics.median(first) / 1024,
                              statistics.median(last) / 1024, len(pts)))
    order = {"web": 0, "cel": 1}
    return sorted(rows, key=lambda r: (order.get(r.label[:3], 2), r.label))
