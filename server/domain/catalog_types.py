"""The service catalog's objects (immutable): services with their names, deadlines, reminders and
refusal grounds, channels and roles. Loaded and validated by server/domain/catalog.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from server.domain.calendar import DeadlineKind

OTHER_GROUND = "other"


class CatalogError(ValueError):
    """The catalog file is malformed. `service` and `field` locate the problem when known."""

    def __init__(
        self,
        message: str,
        *,
        source: Path | None = None,
        service: str | None = None,
        field: str | None = None,
    ) -> None:
        where = [str(source) if source else "catalog"]
        if service:
            where.append(f"service {service!r}")
        if field:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}")
        self.source = source
        self.service = service
        self.field = field


@dataclass(frozen=True)
class RefusalGround:
    """A reasoned refusal ground, as shown in the decision and counted in the report."""

    code: str
    ru: str
    kk: str


@dataclass(frozen=True)
class Channel:
    """A channel an application arrives through (direct, egov, state_corporation)."""

    code: str
    ru: str
    kk: str


@dataclass(frozen=True)
class Role:
    """A role code with its user-facing names."""

    code: str
    ru: str
    kk: str


@dataclass(frozen=True)
class Deadline:
    """A case deadline; counted by `server.domain.calendar.WorkCalendar.deadline`."""

    days: int
    kind: DeadlineKind


@dataclass(frozen=True)
class Reminder:
    """A timer `before_days` days (of `kind`) before the date named `key`, sent to roles `to`."""

    key: str
    before_days: int
    to: tuple[str, ...]
    kind: DeadlineKind = "working"


@dataclass(frozen=True)
class Service:
    """One catalog entry. `deadline` is None when it follows the academic calendar."""

    code: str
    name_ru: str
    name_kk: str
    public_service: bool
    registry_code: str | None
    deadline: Deadline | None
    escalation: tuple[str, ...]
    refusal_grounds: tuple[RefusalGround, ...]
    reminders: tuple[Reminder, ...] = ()
    step_deadlines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # grounds of a decision other than a refusal (e.g. the grounds for expulsion), same shape
    decision_grounds: tuple[RefusalGround, ...] = ()
    # registry statuses (server/domain/registry.py) a student must have for a case to open;
    # empty: any status
    student_statuses: tuple[str, ...] = ()
    # several open cases for one person; else only with another `parallel_by` application value
    allow_parallel: bool = False
    parallel_by: str | None = None
    # case data keys (dates) the deadline counts from, the first the case has; else receipt
    deadline_from: tuple[str, ...] = ()
    # citizenships (ISO 3166 alpha-3) a student must have for a case to open; empty: any
    student_citizenship: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        """The name in ``"kk"`` or ``"ru"`` (Russian for any other language)."""
        return self.name_kk if lang == "kk" else self.name_ru

    def refusal_ground(self, code: str) -> RefusalGround:
        """The refusal ground `code` of this service (KeyError if it has no such ground)."""
        for ground in self.refusal_grounds:
            if ground.code == code:
                return ground
        known = ", ".join(g.code for g in self.refusal_grounds)
        raise KeyError(f"service {self.code!r} has no refusal ground {code!r} (known: {known})")


@dataclass(frozen=True)
class Catalog:
    """The loaded catalog; immutable and shared between threads."""

    services: Mapping[str, Service]
    channels: Mapping[str, Channel]
    roles: Mapping[str, Role]
    source: Path | None = None

    def service(self, code: str) -> Service:
        """The service `code`; KeyError naming the known codes if there is none."""
        try:
            return self.services[code]
        except KeyError:
            known = ", ".join(self.services)
            raise KeyError(f"unknown service code {code!r} (known: {known})") from None

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services.values())

    def __len__(self) -> int:
        return len(self.services)

    @property
    def public_services(self) -> tuple[Service, ...]:
        """The services reported monthly to the ministry, in catalog order."""
        return tuple(s for s in self.services.values() if s.public_service)


# -- loading ------------------------------------------------------------------------------
