"""Load clients for bench/http_load.py and bench/load_faults.py: each client is a thread with one
keep-alive `http.client` connection that registers cases and completes their tasks as the user
who holds each task's role, until told to stop.

Faults (`resilient=True`): a request that could not be sent (connection refused: the server is
restarting) is sent again after a pause; a request whose outcome is unknown (the connection broke
after it was sent) is never blindly resent: the client reads the case (or searches for the case by
its applicant's ИИН) and goes on from what the server actually stored.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from _common import Model, user_for

FINAL_STATUSES = ("completed", "rejected", "cancelled", "withdrawn")


class NotSent(Exception):
    """The request never reached the server (connection refused)."""


class Unknown(Exception):
    """The connection broke after the request was sent: it may or may not have run."""


class Failed(Exception):
    """An answer the client cannot go on from (4xx/5xx other than the expected ones)."""


@dataclass
class Stats:
    """Everything the clients saw; `measuring` switches the latency and rate figures on."""

    measuring: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)  # "200", "201", "conn-refused"…
    complete_ms: list[float] = field(default_factory=list)
    create_ms: list[float] = field(default_factory=list)
    completions: int = 0  # measured task completions (200, or confirmed by a re-check)
    cases_started: int = 0
    cases_finished: int = 0
    all_completions: int = 0  # warm-up included
    rechecks: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # every case id a client registered
    acknowledged: list[str] = field(default_factory=list)  # task ids the server said were completed
    by_model: Counter[str] = field(default_factory=Counter)

    def status(self, key: str) -> None:
        with self.lock:
            self.statuses[key] += 1

    def error(self, text: str) -> None:
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(text)

    def five_xx(self) -> int:
        return sum(n for k, n in self.statuses.items() if k.startswith("5"))


class Connection:
    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, token: str, body: Any, stats: Stats) -> tuple[int, Any]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.connect()
            except OSError as exc:
                self.close()
                stats.status("conn-refused")
                raise NotSent(str(exc)) from None
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            stats.status("conn-broken")
            raise Unknown(f"{type(exc).__name__}: {exc}") from None
        if (resp.getheader("Connection") or "").lower() == "close":
            self.close()
        stats.status(str(resp.status))
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data[:200].decode(errors="replace")
        return resp.status, parsed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class ClientSetup:
    port: int
    tokens: dict[str, str]
    faculties: dict[int, str]
    models: list[Model]  # picked in turn
    students: list[tuple[int, str]]  # (id, iin) for models that need a registered student
    applicant_iins: Iterator[str]  # a fresh ИИН per transfer case (shared, guarded by a lock)
    clients: int = 1  # a student's cases come from one client only (see Client.find_created)
    resilient: bool = False
    poll_seconds: float = 0.2
    timeout: float = 60.0
    iin_lock: threading.Lock = field(default_factory=threading.Lock)


class Client(threading.Thread):
    """`stop`: start no new case and stop driving the current one at the next step (a request
    already sent is seen through: an unknown outcome is still checked); `abort` (defaults to
    `stop`): give up waiting for an unreachable server too."""

    def __init__(self, index: int, setup: ClientSetup, stats: Stats, stop: threading.Event,
                 on_fatal: Callable[[str], None], abort: threading.Event | None = None) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.index, self.setup, self.stats, self.stop = index, setup, stats, stop
        self.abort = abort or stop
        self.on_fatal = on_fatal
        self.conn = Connection(setup.port, setup.timeout)
        self.known: set[int] = set()
        self.turn = index
        self.rng = random.Random(index)

    # ------------------------------------------------------------------ requests
    def call(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, Any]:
        """Send; when the server is away (resilient), wait and send again. Unknown propagates."""
        delay = 0.1
        while True:
            try:
                return self.conn.request(method, path, self.setup.tokens[user], body, self.stats)
            except NotSent:
                if not self.setup.resilient or self.abort.is_set():
                    raise
                time.sleep(delay)
                delay = min(1.0, delay * 1.5)

    def read(self, path: str, user: str = "registrar") -> Any:
        """A GET: safe to repeat whatever happened."""
        while True:
            try:
                status, body = self.call("GET", path, user)
            except Unknown:
                if not self.setup.resilient or self.abort.is_set():
                    raise
                continue
            if status != 200:
                raise Failed(f"GET {path}: HTTP {status} {str(body)[:300]}")
            return body

    # ------------------------------------------------------------------ one case
    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.one_case()
        except (NotSent, Unknown) as exc:
            if not self.abort.is_set():
                self.stats.error(f"{self.name}: {type(exc).__name__}: {exc}")
                self.on_fatal(f"{self.name}: {exc}")
        except Exception as exc:
            self.stats.error(f"{self.name}: {type(exc).__name__}: {exc}")
            self.on_fatal(f"{self.name}: {type(exc).__name__}: {exc}")
        finally:
            self.conn.close()

    def next_model(self) -> Model:
        models = self.setup.models
        self.turn += 1
        return models[self.turn % len(models)]

    def start_request(self, model: Model) -> tuple[dict[str, Any], str]:
        """The POST /cases body and the ИИН the case can be found by."""
        data = json.loads(json.dumps(model.start_data))
        body: dict[str, Any] = {"process_id": model.process_id, "data": data}
        if model.needs_student:
            mine = self.setup.students[self.index % len(self.setup.students)::self.setup.clients]
            student_id, iin = self.rng.choice(mine)
            body["student_id"] = student_id
        else:
            with self.setup.iin_lock:
                iin = next(self.setup.applicant_iins)
            if "applicant" in body["data"]:
                body["data"]["applicant"]["iin"] = iin
        return body, iin

    def create(self, model: Model) -> dict[str, Any]:
        body, iin = self.start_request(model)
        while True:
            t0 = time.perf_counter()
            try:
                status, out = self.call("POST", "/api/v1/cases", "registrar", body)
            except Unknown:
                found = self.find_created(model, iin)
                with self.stats.lock:
                    self.stats.rechecks["start: " + ("found" if found else "absent, sent again")] += 1
                if found is not None:
                    return self.adopt(found, model)
                continue
            if status != 201:
                raise Failed(f"start {model.key}: HTTP {status} {str(out)[:300]}")
            with self.stats.lock:
                if self.stats.measuring:
                    self.stats.create_ms.append((time.perf_counter() - t0) * 1000)
            return self.adopt(out, model)

    def adopt(self, case: dict[str, Any], model: Model) -> dict[str, Any]:
        self.known.add(case["id"])
        with self.stats.lock:
            self.stats.created.append(case["id"])
            self.stats.by_model[model.key] += 1
            if self.stats.measuring:
                self.stats.cases_started += 1
        if "open_tasks" not in case:
            case = self.read(f"/api/v1/cases/{case['id']}")
        return case

    def find_created(self, model: Model, iin: str) -> dict[str, Any] | None:
        """The case an unanswered POST /cases registered, if it did: one with this ИИН that this
        client does not know yet (a student's earlier cases are known)."""
        query = urlencode({"q": iin, "process_id": model.process_id, "limit": 100})
        listing = self.read(f"/api/v1/cases?{query}")
        new = [c for c in listing["items"] if c["id"] not in self.known]
        if len(new) > 1:
            raise Failed(f"{len(new)} unknown cases for ИИН {iin}: a request ran twice")
        return new[0] if new else None

    def one_case(self) -> None:
        model = self.next_model()
        case = self.create(model)
        while not self.stop.is_set():
            open_tasks = case["open_tasks"]
            if not open_tasks:
                if case["status"] in FINAL_STATUSES:
                    with self.stats.lock:
                        if self.stats.measuring:
                            self.stats.cases_finished += 1
                    return
                if case["status"] not in ("in_progress", "returned"):
                    raise Failed(f"case {case['id']} stopped with status {case['status']}")
                time.sleep(self.setup.poll_seconds)  # the worker renders the document
                case = self.read(f"/api/v1/cases/{case['id']}")
                continue
            case = self.complete(case, open_tasks[0], model)

    def complete(self, case: dict[str, Any], task: dict[str, Any], model: Model) -> dict[str, Any]:
        user = user_for(task["candidate_roles"], self.setup.faculties.get(task["faculty_id"] or -1))
        if user is None:
            raise Failed(f"task {task['spec_name']} has no candidate role a bench user holds")
        path = f"/api/v1/tasks/{task['id']}/complete"
        body = {"data": model.answer(task["form_key"])}
        while True:
            t0 = time.perf_counter()
            try:
                status, out = self.call("POST", path, user, body)
            except Unknown:
                if not self.setup.resilient:
                    raise
                view = self.read(f"/api/v1/cases/{case['id']}")
                still_open = any(t["id"] == task["id"] for t in view["open_tasks"])
                with self.stats.lock:
                    self.stats.rechecks["complete: " + ("still open, sent again" if still_open
                                                        else "done")] += 1
                if still_open:
                    continue
                self.count_completion(task["id"], None)
                return view
            elapsed = (time.perf_counter() - t0) * 1000
            if status == 409 and self.setup.resilient:
                # completed by an earlier attempt whose answer was lost, or a conflict: read the case
                with self.stats.lock:
                    self.stats.rechecks["complete: 409, case read"] += 1
                return self.read(f"/api/v1/cases/{case['id']}")
            if status != 200:
                raise Failed(f"complete {task['spec_name']} as {user}: HTTP {status} {str(out)[:300]}")
            self.count_completion(task["id"], elapsed)
            if "open_tasks" in out and (out["open_tasks"] or out["status"] in FINAL_STATUSES):
                return out  # the response names the next tasks
            return self.read(f"/api/v1/cases/{case['id']}")

    def count_completion(self, task_id: str, elapsed_ms: float | None) -> None:
        with self.stats.lock:
            self.stats.acknowledged.append(task_id)
            self.stats.all_completions += 1
            if self.stats.measuring:
                self.stats.completions += 1
                if elapsed_ms is not None:
                    self.stats.complete_ms.append(elapsed_ms)
