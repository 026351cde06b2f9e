"""Sign-in throttling (server/services/people/throttle.py): failures are counted per username and per
client address with growing waits instead of a lockout a stranger could trigger; unknown
users cost the same password check and every refusal is the same answer."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from server.auth import passwords
from server.db import utcnow
from server.models import User
from server.services.people import throttle
from tests.integration.web import PASSWORD, Staff

REFUSED = "Неверное имя пользователя или пароль, либо слишком много попыток входа"


class Clock:
    """A frozen clock for the throttle (server.services.people.throttle reads utcnow)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = utcnow()
        monkeypatch.setattr(throttle, "utcnow", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def attempt(staff: Staff, username: str, password: str, address: str):  # type: ignore[no-untyped-def]
    return staff.client.post("/app/login", data={"username": username, "password": password,
                                                 "csrf_token": staff.csrf()},
                             environ_base={"REMOTE_ADDR": address})


def test_unknown_user_wrong_password_and_waiting_answer_alike(app, people, monkeypatch):
    Clock(monkeypatch)
    staff = Staff(app)
    answers = [attempt(staff, "dean_xx", "wrong", "10.1.0.1"),   # no such user
               attempt(staff, "dean_it", "wrong", "10.1.0.1")]   # a wrong password
    for _ in range(throttle.USER_FREE):
        attempt(staff, "dean_it", "wrong", "10.1.0.1")
    answers.append(attempt(staff, "dean_it", PASSWORD, "10.1.0.1"))  # right, but must wait
    bodies, headers = set(), set()
    for r in answers:
        assert r.status_code == 401
        page = r.get_data(as_text=True)
        assert REFUSED in page and "заблокирована" not in page
        bodies.add(re.sub(r'name="username" value="[^"]*"', "", page))
        headers.add(tuple(sorted((k, v) for k, v in r.headers.items() if k != "Date")))
    assert len(bodies) == 1 and len(headers) == 1


def test_a_stranger_cannot_lock_the_real_user_out(app, people, monkeypatch):
    Clock(monkeypatch)
    stranger, rector = Staff(app), Staff(app)
    for _ in range(30):
        assert attempt(stranger, "rector", "guess", "203.0.113.9").status_code == 401
    # the stranger's address now waits, even with the right password...
    assert attempt(stranger, "rector", PASSWORD, "203.0.113.9").status_code == 401
    # ...but the rector, from an address that has not been failing, signs in at once
    r = attempt(rector, "rector", PASSWORD, "10.20.0.5")
    assert r.status_code == 302 and r.headers["Location"] == "/app/"  # the home page


def test_one_address_waits_after_failures_across_usernames_and_waits_grow(app, people, monkeypatch):
    clock = Clock(monkeypatch)
    staff = Staff(app)
    for i in range(throttle.ADDRESS_FREE):  # one failure per username: no account waits
        assert attempt(staff, f"user{i}", "guess", "198.51.100.7").status_code == 401
    assert attempt(staff, "registrar", PASSWORD, "198.51.100.7").status_code == 401
    assert attempt(Staff(app), "registrar", PASSWORD, "198.51.100.8").status_code == 302
    # each further attempt waits twice as long as the one before: 1 s, 2 s, 4 s
    for wait in (1, 2, 4):
        clock.advance(wait - 0.2)
        assert attempt(staff, "registrar", PASSWORD, "198.51.100.7").status_code == 401
        clock.advance(0.3)
        assert attempt(staff, "nobody", "guess", "198.51.100.7").status_code == 401  # checked, fails
    clock.advance(8.1)
    assert attempt(staff, "registrar", PASSWORD, "198.51.100.7").status_code == 302
    assert [throttle.delay(n, 5) for n in (4, 5, 6, 9, 40)] == [0, 1, 2, 16, throttle.MAX_DELAY]


def test_an_ipv6_host_counts_as_its_64_network():
    key = throttle.address_key
    assert key("2001:db8:1:2::5") == key("2001:db8:1:2:ffff::9") != key("2001:db8:1:3::5")
    assert key("::ffff:10.0.0.1") == key("10.0.0.1") == "addr:10.0.0.1" != key("10.0.0.2")


def test_unknown_and_inactive_users_cost_a_password_check(app, ctx, people, monkeypatch):
    calls: list[str] = []
    real_dummy = passwords.dummy_verify
    monkeypatch.setattr(throttle, "dummy_verify", lambda pw: calls.append(pw) or real_dummy(pw))
    staff = Staff(app)
    attempt(staff, "nobody", "pw-unknown", "10.3.0.1")
    attempt(staff, "registrar", "pw-wrong", "10.3.0.2")
    with ctx.db.unit_of_work() as session:
        session.execute(update(User).where(User.username == "head").values(active=False))
    assert attempt(staff, "head", PASSWORD, "10.3.0.3").status_code == 401
    assert calls == ["pw-unknown", PASSWORD]


def test_unknown_user_takes_as_long_as_a_real_one(app, ctx, people, monkeypatch):
    """With a hasher costly enough to measure (the tests' default is the cheapest), an unknown
    username answers in about the time a real one's wrong password does."""
    hasher = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    with ctx.db.unit_of_work() as session:
        session.execute(update(User).where(User.username == "rector")
                        .values(password_hash=hasher.hash(PASSWORD)))
    staff = Staff(app)
    attempt(staff, "warmup", "x", "10.4.0.250")  # the dummy hash is made once per process
    timings: dict[str, list[float]] = {"rector": [], "rectox": []}
    for i in range(4):
        for name in timings:
            started = time.perf_counter()
            r = attempt(staff, name, "wrong", f"10.4.{i}.{len(name)}")
            assert r.status_code == 401
            timings[name].append(time.perf_counter() - started)
    real, unknown = (statistics.median(timings[n]) for n in ("rector", "rectox"))
    assert unknown / real > 0.3, (unknown, real)
