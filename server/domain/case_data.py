"""Names in a case's data that only the server sets: who the case is about, its service and
channel, its dates, and the functions models call. Registration and forms may not write them."""

from __future__ import annotations

RESERVED_DATA_KEYS = frozenset({"student", "service_code", "channel", "case_id", "received_at",
                                "deadline_at", "working_days", "working_days_before",
                                "working_days_after", "add_working_days", "migration_rules",
                                "rank_applicants", "step_deadline", "step_days"})
