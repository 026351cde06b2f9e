"""Web sign-in, throttled rather than locked.

Failed attempts are counted per typed username and per client address (table
`login_throttle`, so every process sees the same counters). Past a free allowance each further
attempt must wait 2^k seconds after the last failure (k = failures beyond the allowance, at
most MAX_DELAY), and an attempt that comes too early is refused without checking the password:

- an address that failed more than ADDRESS_FREE times, whatever usernames it tried, waits;
- a username that failed more than USER_FREE times waits, but only for addresses that have
  failures of their own: the real user signing in from an address that has not been failing
  is let through, so a stranger guessing cannot lock anyone out.

Unknown usernames, inactive users and users without a password cost the same argon2 verify as
a real one (against a dummy hash) and are counted the same way; every refusal carries the same
message, so the answer tells nothing about which usernames exist."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.passwords import dummy_verify, verify_password
from server.db import utcnow
from server.models import LoginThrottle, User
from server.services.context import AppContext
from server.services.errors import DomainError
from server.services.people.users import actor_for_user

USER_FREE = 5
ADDRESS_FREE = 20
MAX_DELAY = 15 * 60  # seconds
FORGET_AFTER = timedelta(hours=1)  # a counter without failures for this long starts again


class SignInFailed(DomainError):
    """Wrong username, wrong password or too many attempts: deliberately one answer."""

    code = "sign_in_failed"


def _refused() -> SignInFailed:
    return SignInFailed("Неверное имя пользователя или пароль, либо слишком много попыток входа: "
                        "проверьте данные и повторите через минуту")


def user_key(username: str) -> str:
    return "user:" + username.strip()[:100]


def address_key(address: str) -> str:
    """IPv4 addresses count one by one; IPv6 ones by their /64 network (one host's range)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "addr:" + address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "addr:" + str(ip.ipv4_mapped)
        return "addr:" + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return "addr:" + str(ip)


def delay(failures: int, free: int) -> float:
    """Seconds the next attempt must wait after the last failure."""
    return 0.0 if failures < free else float(min(2 ** (failures - free), MAX_DELAY))


def _failures(row: LoginThrottle | None, now: datetime) -> int:
    return 0 if row is None or now - row.last_failure_at > FORGET_AFTER else row.failures


def _waiting(row: LoginThrottle | None, free: int, now: datetime) -> bool:
    failures = _failures(row, now)
    return row is not None and now < row.last_failure_at + timedelta(seconds=delay(failures, free))


def sign_in(ctx: AppContext, username: str, password: str, address: str) -> Actor:
    """Check the password of `username` tried from client `address`; raise SignInFailed."""
    name, now = username.strip(), utcnow()
    ukey, akey = user_key(name), address_key(address)
    with ctx.db.read() as session:
        rows = {r.key: r for r in session.scalars(
            select(LoginThrottle).where(LoginThrottle.key.in_((ukey, akey))))}
        found = session.execute(select(User.id, User.password_hash, User.active)
                                .where(User.username == name)).first()
    by_address, by_user = rows.get(akey), rows.get(ukey)
    if _waiting(by_address, ADDRESS_FREE, now) or (
            _waiting(by_user, USER_FREE, now) and _failures(by_address, now) > 0):
        raise _refused()  # too early: no password check, nothing stored
    stored = found.password_hash if found is not None and found.active else None
    if not (verify_password(stored, password) if stored else dummy_verify(password)):
        _count_failure(ctx, (ukey, akey), now)
        raise _refused()
    with ctx.db.unit_of_work() as session:
        forget_failures(session, name)
        user = session.get(User, found.id)
        if user is not None:
            user.last_login_at = now
    actor = actor_for_user(ctx, found.id)
    if actor is None:  # deactivated between the two reads
        raise _refused()
    return actor


def _count_failure(ctx: AppContext, keys: tuple[str, ...], now: datetime) -> None:
    """Add a failure to each counter (an atomic upsert), forgetting counters idle for long."""
    insert = postgresql.insert if ctx.db.is_postgres else sqlite.insert
    forget_before = now - FORGET_AFTER
    with ctx.db.unit_of_work() as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < forget_before))
        for key in keys:
            stmt = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
            session.execute(stmt.on_conflict_do_update(index_elements=[LoginThrottle.key], set_={
                "failures": case((LoginThrottle.last_failure_at < forget_before, 1),
                                 else_=LoginThrottle.failures + 1),
                "last_failure_at": now}))


def forget_failures(session: Session, username: str) -> None:
    """Inside the caller's transaction: the username's failures are forgotten (after a
    successful sign-in or a password reset); the address's counter is kept."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == user_key(username)))
