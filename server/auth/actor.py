"""The authenticated person a use case runs for."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.roles import FACULTY_SCOPED_ROLES, GLOBAL_VIEW_ROLES


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[str]
    faculty_id: int | None = None
    full_name: str = ""

    @classmethod
    def system(cls) -> Actor:
        """Background work (timers, jobs): acts as nobody, sees everything."""
        return cls(None, "system", frozenset({"system"}))

    @property
    def is_system(self) -> bool:
        return "system" in self.roles

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        return self.is_system or bool(self.roles & roles)

    def sees_all_cases(self) -> bool:
        return self.is_system or bool(self.roles & GLOBAL_VIEW_ROLES)

    def may_take_role(self, role: str, faculty_id: int | None) -> bool:
        """Whether the actor may act in `role` on work of the given faculty."""
        if role not in self.roles:
            return False
        if role in FACULTY_SCOPED_ROLES:
            return faculty_id is not None and faculty_id == self.faculty_id
        return True
