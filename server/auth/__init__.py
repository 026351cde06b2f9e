"""Users, roles, faculty scoping, API tokens."""

from server.auth.actor import Actor
from server.auth.roles import FACULTY_SCOPED_ROLES, GLOBAL_VIEW_ROLES, ROLES

__all__ = ["FACULTY_SCOPED_ROLES", "GLOBAL_VIEW_ROLES", "ROLES", "Actor"]
