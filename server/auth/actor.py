"""The authenticated person a use case runs for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from server.auth.roles import FACULTY_SCOPED_ROLES, GLOBAL_VIEW_ROLES


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[str]
    faculty_id: int | None = None
    full_name: str = ""
    # Users this actor substitutes for today: their assigned tasks are the actor's too.
    acting_for: frozenset[int] = frozenset()

    @property
    def own_ids(self) -> frozenset[int]:
        """The actor's user id and the ids of the users it substitutes for."""
        return self.acting_for | ({self.user_id} if self.user_id is not None else set())

    @classmethod
    def system(cls) -> Actor:
        """Background work (timers, jobs): acts as nobody, sees everything."""
        return cls(None, "system", frozenset({"system"}))

    @property
    def is_system(self) -> bool:
        return "system" in self.roles

    def has_any(self, roles: Iterable[str]) -> bool:
        return self.is_system or not self.roles.isdisjoint(roles)

    def sees_all_cases(self) -> bool:
        return self.is_system or bool(self.roles & GLOBAL_VIEW_ROLES)

    def sees_faculty(self, faculty_id: int | None) -> bool:
        """Whether cases and students of this faculty are visible: to everyone who sees all,
        and to the dean of that faculty."""
        return self.sees_all_cases() or (
            "dean" in self.roles and faculty_id is not None and faculty_id == self.faculty_id)

    def may_take_role(self, role: str, faculty_id: int | None) -> bool:
        """Whether the actor may act in `role` on work of the given faculty."""
        if role not in self.roles:
            return False
        if role in FACULTY_SCOPED_ROLES:
            return faculty_id is not None and faculty_id == self.faculty_id
        return True
