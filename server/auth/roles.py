"""Role codes (from DOMAIN.md) and how they are scoped."""

from __future__ import annotations

ROLES: dict[str, tuple[str, str]] = {
    "registrar": ("Специалист офиса регистратора", "Тіркеуші кеңсесінің маманы"),
    "registrar_head": ("Руководитель офиса регистратора", "Тіркеуші кеңсесінің басшысы"),
    "dean": ("Декан", "Декан"),
    "vice_rector": ("Проректор по академическим вопросам", "Академиялық мәселелер жөніндегі проректор"),
    "rector": ("Ректор", "Ректор"),
    "international": ("Международный отдел", "Халықаралық бөлім"),
    "accountant": ("Бухгалтерия", "Бухгалтерия"),
    "admin": ("Администратор", "Әкімші"),
    "lawyer": ("Юрист", "Заңгер"),
}
# A dean sees and acts only on cases of the dean's own faculty.
FACULTY_SCOPED_ROLES = frozenset({"dean"})
# Roles that see every case (the office, the university leadership, administrators).
GLOBAL_VIEW_ROLES = frozenset(
    {"registrar", "registrar_head", "vice_rector", "rector", "international", "accountant", "admin",
     "lawyer"}
)
CASE_STARTERS = frozenset({"registrar", "registrar_head", "admin"})
CASE_CANCELLERS = frozenset({"registrar", "registrar_head", "admin"})
TASK_SUPERVISORS = frozenset({"registrar_head", "admin"})
DEPLOYERS = frozenset({"admin"})
# Who may deliver a BPMN message into a case (an external system's answer entered or relayed).
MESSAGE_SENDERS = frozenset({"registrar", "registrar_head", "accountant", "international", "admin"})
