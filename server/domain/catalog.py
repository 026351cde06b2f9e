"""The service catalog: what the office offers, with names, deadlines and refusal grounds.

The catalog is data the office edits (``config/catalog.yaml``); this module loads it into
immutable objects and validates it strictly, so that a typo fails at startup with the service and
the field named, instead of silently producing a wrong deadline or report line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import yaml

from server.domain.calendar import CHANNELS, DEADLINE_KINDS, DeadlineKind, default_config_dir
from server.domain.catalog_types import (
    OTHER_GROUND,
    Catalog,
    CatalogError,
    Channel,
    Deadline,
    RefusalGround,
    Reminder,
    Role,
    Service,
)
from server.domain.registry import STUDENT_STATUSES

__all__ = [
    "Catalog",
    "CatalogError",
    "Channel",
    "Deadline",
    "RefusalGround",
    "Reminder",
    "Role",
    "Service",
    "default_catalog_path",
    "load_catalog",
]

CATALOG_FILE = "catalog.yaml"
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = frozenset({"channels", "roles", "services"})
_SERVICE_REQUIRED = frozenset(
    {"code", "name_ru", "name_kk", "public_service", "deadline", "escalation", "refusal_grounds"}
)
_SERVICE_OPTIONAL = frozenset({"registry_code", "reminders", "step_deadlines", "decision_grounds",
                               "student_statuses", "allow_parallel", "parallel_by",
                               "deadline_from", "student_citizenship"})


def default_catalog_path() -> Path:
    """``catalog.yaml`` in the configuration folder (``$REGOFFICE_CONFIG_DIR`` or ``config/``)."""
    return default_config_dir() / CATALOG_FILE


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load and validate the catalog; cached per path (and file modification time)."""
    resolved = Path(path).resolve() if path is not None else default_catalog_path().resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog file: {exc}", source=resolved) from exc
    return _load_cached(resolved, mtime)


@lru_cache(maxsize=16)
def _load_cached(path: Path, _mtime_ns: int) -> Catalog:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read the catalog file: {exc}", source=path) from exc
    return _Parser(path).catalog(data)


class _Parser:
    """Validating conversion of the YAML tree; every error names the service and the field."""

    def __init__(self, source: Path | None) -> None:
        self.source = source
        self.service: str | None = None

    def fail(self, field_name: str, message: str) -> CatalogError:
        return CatalogError(message, source=self.source, service=self.service, field=field_name)

    # generic checks

    def mapping(
        self,
        value: object,
        name: str,
        required: frozenset[str],
        optional: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Check a mapping's keys; errors name the offending field as `name.key`."""
        if not isinstance(value, Mapping):
            raise self.fail(name or "(top level)", f"must be a mapping, got {type(value).__name__}")
        prefix = f"{name}." if name else ""
        unknown = sorted(str(k) for k in value if k not in required | optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(prefix + unknown[0], f"unknown key (allowed: {allowed})")
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(prefix + missing[0], "is missing")
        return dict(value)

    def text(self, value: object, name: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be a non-empty text")
        return value.strip()

    def code(self, value: object, name: str) -> str:
        if not isinstance(value, str) or not _CODE_RE.match(value):
            raise self.fail(name, f"must be a snake_case code, got {value!r}")
        return value

    def count(self, value: object, name: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(name, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def kind(self, value: object, name: str) -> DeadlineKind:
        if value not in DEADLINE_KINDS:
            raise self.fail(name, f"must be one of {', '.join(DEADLINE_KINDS)}, got {value!r}")
        return cast(DeadlineKind, value)

    def items(self, value: object, name: str, allow_empty: bool = False) -> list[Any]:
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(name, "must be a non-empty list")
        return value

    # catalog structure

    def catalog(self, data: object) -> Catalog:
        top = self.mapping(data, "", _TOP_KEYS, frozenset())
        channels = self.channels(top["channels"])
        roles = self.roles(top["roles"])
        services: dict[str, Service] = {}
        for index, raw in enumerate(self.items(top["services"], "services")):
            self.service = raw.get("code") if isinstance(raw, Mapping) else None
            service = self.service_entry(raw, index, roles)
            if service.code in services:
                raise self.fail("code", "duplicate service code")
            services[service.code] = service
        self.service = None
        return Catalog(
            services=MappingProxyType(services),
            channels=MappingProxyType(channels),
            roles=MappingProxyType(roles),
            source=self.source,
        )

    def channels(self, value: object) -> dict[str, Channel]:
        result: dict[str, Channel] = {}
        for i, raw in enumerate(self.items(value, "channels")):
            entry = self.mapping(raw, f"channels[{i}]", frozenset({"code", "ru", "kk"}))
            code = entry["code"]
            if code not in CHANNELS:
                raise self.fail(f"channels[{i}].code", f"must be one of {', '.join(CHANNELS)}")
            ru, kk = self.text(entry["ru"], f"channels.{code}.ru"), entry["kk"]
            result[code] = Channel(code, ru, self.text(kk, f"channels.{code}.kk"))
        missing = [c for c in CHANNELS if c not in result]
        if missing:
            raise self.fail("channels", f"missing channels: {', '.join(missing)}")
        return result

    def roles(self, value: object) -> dict[str, Role]:
        if not isinstance(value, Mapping) or not value:
            raise self.fail("roles", "must be a non-empty mapping of role code to names")
        result: dict[str, Role] = {}
        for code, raw in value.items():
            code = self.code(code, "roles")
            entry = self.mapping(raw, f"roles.{code}", frozenset({"ru", "kk"}))
            ru = self.text(entry["ru"], f"roles.{code}.ru")
            result[code] = Role(code, ru, self.text(entry["kk"], f"roles.{code}.kk"))
        return result

    def service_entry(self, raw: object, index: int, roles: Mapping[str, Role]) -> Service:
        # Once the code is known the error names the service, so fields need no index prefix.
        prefix = "" if self.service else f"services[{index}]"
        entry = self.mapping(raw, prefix, _SERVICE_REQUIRED, _SERVICE_OPTIONAL)
        code = self.code(entry["code"], "code")
        public = entry["public_service"]
        if not isinstance(public, bool):
            raise self.fail("public_service", "must be true or false")
        if not isinstance(entry.get("allow_parallel", False), bool):
            raise self.fail("allow_parallel", "must be true or false")
        if public and entry["deadline"] is None:  # else the monthly report counts it always on time
            raise self.fail("deadline", "a public service needs its legal deadline ([assumed] if so)")
        registry = entry.get("registry_code")
        if registry is not None:
            registry = self.text(str(registry), "registry_code")
        return Service(
            code=code,
            name_ru=self.text(entry["name_ru"], "name_ru"),
            name_kk=self.text(entry["name_kk"], "name_kk"),
            public_service=public,
            registry_code=registry,
            deadline=self.deadline(entry["deadline"]),
            escalation=self.role_list(entry["escalation"], "escalation", roles),
            refusal_grounds=self.refusal_grounds(entry["refusal_grounds"]),
            reminders=self.reminders(entry.get("reminders") or [], roles),
            step_deadlines=self.step_deadlines(entry.get("step_deadlines") or {}),
            decision_grounds=self.refusal_grounds(entry["decision_grounds"], "decision_grounds")
            if "decision_grounds" in entry else (),
            student_statuses=self.student_statuses(entry.get("student_statuses") or []),
            allow_parallel=entry.get("allow_parallel", False),
            parallel_by=self.code(entry["parallel_by"], "parallel_by") if entry.get("parallel_by") else None,
            deadline_from=self.codes(entry, "deadline_from", self.code),
            student_citizenship=self.codes(entry, "student_citizenship", self.citizenship),
        )

    def codes(self, entry: Mapping[str, Any], key: str, check: Any) -> tuple[str, ...]:
        items = self.items(entry.get(key) or [], key, allow_empty=True)
        return tuple(check(value, f"{key}[{i}]") for i, value in enumerate(items))

    def citizenship(self, value: object, name: str) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
            raise self.fail(name, f"must be a 3-letter ISO 3166 code, got {value!r}")
        return value

    def student_statuses(self, value: object) -> tuple[str, ...]:

        items = self.items(value, "student_statuses", allow_empty=True)
        for i, status in enumerate(items):
            if status not in STUDENT_STATUSES:
                raise self.fail(f"student_statuses[{i}]", f"unknown status {status!r} "
                                f"(known: {', '.join(STUDENT_STATUSES)})")
        return tuple(items)

    def deadline(self, value: object) -> Deadline | None:
        if value is None:
            return None
        entry = self.mapping(value, "deadline", frozenset({"days", "kind"}))
        days = self.count(entry["days"], "deadline.days", 0)
        return Deadline(days, self.kind(entry["kind"], "deadline.kind"))

    def role_list(self, value: object, name: str, roles: Mapping[str, Role]) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else self.items(value, name)
        for i, role in enumerate(items):
            if role not in roles:
                raise self.fail(f"{name}[{i}]", f"unknown role {role!r} (not in 'roles')")
        return tuple(items)

    def reminders(self, value: object, roles: Mapping[str, Role]) -> tuple[Reminder, ...]:
        result: list[Reminder] = []
        required = frozenset({"key", "before_days", "to"})
        for i, raw in enumerate(self.items(value, "reminders", allow_empty=True)):
            name = f"reminders[{i}]"
            entry = self.mapping(raw, name, required, frozenset({"kind"}))
            result.append(
                Reminder(
                    key=self.code(entry["key"], f"{name}.key"),
                    before_days=self.count(entry["before_days"], f"{name}.before_days", 0),
                    to=self.role_list(entry["to"], f"{name}.to", roles),
                    kind=self.kind(entry.get("kind", "working"), f"{name}.kind"),
                )
            )
        return tuple(result)

    def step_deadlines(self, value: object) -> Mapping[str, int]:
        if not isinstance(value, Mapping):
            raise self.fail("step_deadlines", "must be a mapping of task id to working days")
        result = {
            str(task): self.count(days, f"step_deadlines.{task}", 1) for task, days in value.items()
        }
        return MappingProxyType(result)

    def refusal_grounds(self, value: object, key: str = "refusal_grounds") -> tuple[RefusalGround, ...]:
        grounds: list[RefusalGround] = []
        for i, raw in enumerate(self.items(value, key)):
            name = f"{key}[{i}]"
            entry = self.mapping(raw, name, frozenset({"code", "ru", "kk"}))
            code = self.code(entry["code"], f"{name}.code")
            if any(g.code == code for g in grounds):
                raise self.fail(f"{name}.code", f"duplicate ground {code!r}")
            ru = self.text(entry["ru"], f"{name}.ru")
            grounds.append(RefusalGround(code, ru, self.text(entry["kk"], f"{name}.kk")))
        if not any(g.code == OTHER_GROUND for g in grounds):
            raise self.fail(key, f"must include the generic {OTHER_GROUND!r} ground")
        return tuple(grounds)
