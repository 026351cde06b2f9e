"""Password hashing (argon2) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "ro_"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash of a random password, made once per hasher (its cost equals a real user's).
_DUMMY_HASHES: dict[int, str] = {}


def dummy_verify(password: str) -> bool:
    """Spend what verifying a real user's password costs, and fail: the sign-in of an unknown
    user must not answer sooner than a real one's (which would tell that the user exists)."""
    hasher = _HASHER
    stored = _DUMMY_HASHES.get(id(hasher))
    if stored is None:
        stored = _DUMMY_HASHES[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(stored, password)
    return False


def new_token() -> str:
    """A 256-bit random token; only its SHA-256 is stored (slow hashing adds nothing here)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
