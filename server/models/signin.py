"""Staff UI sessions kept on the server, and the counters that throttle sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class UserSession(Base):
    """A signed-in browser session. The cookie carries a random id; the row holds its SHA-256.
    A session is valid only while its row exists, so deleting rows ends sessions in every
    process at once (sign-out, sign-out everywhere, a password reset, deactivation)."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed at most once a minute (server/services/people/sessions.py), for the idle timeout.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(Base):
    """Failed sign-ins counted per key: `user:<name>` (any name typed, existing or not) and
    `addr:<client address>`. A row is forgotten after an hour without failures."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
