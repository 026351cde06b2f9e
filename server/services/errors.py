"""Domain errors. They carry no HTTP status: api/ and web/ map them.

Every message says what happened and what to do, in Russian (the staff's language).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """A lost race or a state that no longer allows the action."""

    code = "conflict"


class Invalid(DomainError):
    """Input that fails validation; `fields` maps each field to its reason."""

    code = "invalid"


class ModelRejected(Invalid):
    code = "model_invalid"


class Unavailable(DomainError):
    """A capability this installation lacks (a program not installed); nothing changed."""

    code = "unavailable"
