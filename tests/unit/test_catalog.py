"""The shipped service catalog and the loader's validation."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.domain.calendar import CHANNELS
from server.domain.catalog import CatalogError, Deadline, load_catalog

REPO_CATALOG = Path(__file__).resolve().parents[2] / "config" / "catalog.yaml"

SERVICE_CODES = {
    "grade_appeal",
    "retake",
    "transcript",
    "transfer_in",
    "transfer_out",
    "transfer_internal",
    "reinstatement",
    "academic_leave",
    "cert_study",
    "cert_incomplete",
    "duplicate",
    "recognition",
    "foreign_registration",
    "expulsion",
    "contingent_order",
    "mobility",
    "vacant_grant",
    "military",
}
ROLE_CODES = {
    "registrar",
    "registrar_head",
    "dean",
    "vice_rector",
    "rector",
    "international",
    "accountant",
    "admin",
}
# Letters of the Kazakh alphabet that Russian does not have: a Kazakh name without any of them
# is almost certainly an untranslated Russian one.
KAZAKH_LETTERS = re.compile("[әғқңөұүһі]", re.IGNORECASE)


# -- the shipped catalog ----------------------------------------------------------------------


def test_every_service_code_present() -> None:
    catalog = load_catalog(REPO_CATALOG)
    assert set(catalog.services) == SERVICE_CODES
    assert len(catalog) == len(SERVICE_CODES)


def test_every_service_has_ru_and_kk_names() -> None:
    for service in load_catalog(REPO_CATALOG):
        assert service.name_ru.strip(), service.code
        assert service.name_kk.strip(), service.code
        assert service.name_ru != service.name_kk, service.code
        assert KAZAKH_LETTERS.search(service.name_kk), service.code
        assert service.name("kk") == service.name_kk
        assert service.name("ru") == service.name_ru


def test_refusal_grounds_escalation_and_other() -> None:
    catalog = load_catalog(REPO_CATALOG)
    for service in catalog:
        assert service.escalation == ("registrar_head", "vice_rector"), service.code
        other = service.refusal_ground("other")
        assert other.ru and other.kk
        for ground in service.refusal_grounds:
            assert ground.ru.strip() and ground.kk.strip(), (service.code, ground.code)
            assert KAZAKH_LETTERS.search(ground.kk), (service.code, ground.code)
    transfer_in = {g.code for g in catalog.service("transfer_in").refusal_grounds}
    assert {"first_period_not_completed", "no_place", "other"} <= transfer_in
    with pytest.raises(KeyError, match="no_such_ground"):
        catalog.service("duplicate").refusal_ground("no_such_ground")


def test_deadlines_follow_domain_table() -> None:
    catalog = load_catalog(REPO_CATALOG)
    expected = {
        "reinstatement": Deadline(5, "working"),
        "academic_leave": Deadline(3, "working"),
        "cert_study": Deadline(1, "working"),
        "cert_incomplete": Deadline(10, "working"),
        "duplicate": Deadline(15, "working"),
        "foreign_registration": Deadline(3, "working"),
        # no figure in the rules: [assumed] as reinstatement (config/catalog.yaml)
        "transfer_in": Deadline(5, "working"),
        "transfer_internal": Deadline(5, "working"),
    }
    for code, deadline in expected.items():
        assert catalog.service(code).deadline == deadline, code
    for code in ("contingent_order", "mobility", "vacant_grant", "transfer_out"):
        assert catalog.service(code).deadline is None, code
    assert catalog.service("transfer_in").step_deadlines["request_personal_file"] == 3
    assert catalog.service("transfer_out").step_deadlines["send_personal_file"] == 3
    leave_reminders = {r.key: r for r in catalog.service("academic_leave").reminders}
    assert set(leave_reminders["leave_end"].to) == {"applicant", "dean"}


def test_channels_and_roles_have_both_languages() -> None:
    catalog = load_catalog(REPO_CATALOG)
    assert tuple(catalog.channels) == CHANNELS
    assert set(catalog.roles) >= ROLE_CODES
    for item in (*catalog.channels.values(), *catalog.roles.values()):
        assert item.ru.strip() and item.kk.strip(), item.code
    assert all(s.registry_code is None for s in catalog)  # no invented official codes
    assert {s.code for s in catalog.public_services} >= {"duplicate", "academic_leave"}


def test_unknown_service_code_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match=r"unknown service code 'nope'.*transfer_in"):
        load_catalog(REPO_CATALOG).service("nope")


def test_catalog_is_immutable() -> None:
    catalog = load_catalog(REPO_CATALOG)
    with pytest.raises(TypeError):
        catalog.services["x"] = catalog.service("duplicate")  # type: ignore[index]
    with pytest.raises(AttributeError):
        catalog.service("duplicate").deadline = None  # type: ignore[misc]


def test_default_path_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGOFFICE_CONFIG_DIR", raising=False)
    assert load_catalog() is load_catalog(REPO_CATALOG)
    write(tmp_path / "catalog.yaml", minimal())
    monkeypatch.setenv("REGOFFICE_CONFIG_DIR", str(tmp_path))
    assert set(load_catalog().services) == {"cert_study"}


# -- validation ------------------------------------------------------------------------------


def minimal() -> dict[str, Any]:
    data = yaml.safe_load(REPO_CATALOG.read_text(encoding="utf-8"))
    service = next(s for s in data["services"] if s["code"] == "cert_study")
    return {"channels": data["channels"], "roles": data["roles"], "services": [service]}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def broken(tmp_path: Path, change: Any) -> CatalogError:
    data = copy.deepcopy(minimal())
    change(data)
    path = write(tmp_path / "catalog.yaml", data)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    return info.value


def test_cross_procedure_rules_in_the_catalog() -> None:
    catalog = load_catalog(REPO_CATALOG)
    assert catalog.service("military").student_citizenship == ("KAZ",)
    assert catalog.service("foreign_registration").deadline_from == ("arrival_date", "departure_date")
    assert catalog.service("cert_study").student_citizenship == ()


def test_every_public_service_has_its_deadline() -> None:
    """The monthly report counts a service without a deadline as always on time: every public
    service carries one (the legal figure, or an [assumed] one marked in the catalog)."""
    catalog = load_catalog(REPO_CATALOG)
    public = [s for s in catalog.services.values() if s.public_service]
    assert {s.code for s in public} >= {"transfer_in", "transfer_internal", "reinstatement"}
    for service in public:
        assert service.deadline is not None and service.deadline.days > 0, service.code


def test_minimal_catalog_loads(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path / "catalog.yaml", minimal()))
    assert catalog.service("cert_study").deadline == Deadline(1, "working")


def test_a_certificate_of_study_is_for_active_students_only() -> None:
    catalog = load_catalog(REPO_CATALOG)
    assert catalog.service("cert_study").student_statuses == ("active",)
    # and the certificate for those who did not complete studies for those who left only
    assert catalog.service("cert_incomplete").student_statuses == ("expelled", "transferred_out")
    # a second open case: certificates may be asked for again; a foreign student's arrival
    # and departure are two notices
    assert catalog.service("cert_study").allow_parallel
    assert not catalog.service("academic_leave").allow_parallel
    assert catalog.service("foreign_registration").parallel_by == "registration_kind"


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        (
            lambda d: d["services"][0]["deadline"].update(kind="business"),
            "deadline.kind",
            "working",
        ),
        (lambda d: d["services"][0]["deadline"].update(days=-1), "deadline.days", ">= 0"),
        (lambda d: d["services"][0]["deadline"].update(days="3"), "deadline.days", "integer"),
        (lambda d: d["services"][0].pop("name_kk"), "name_kk", "missing"),
        (lambda d: d["services"][0].update(name_ru="  "), "name_ru", "non-empty"),
        (lambda d: d["services"][0].update(colour="red"), "colour", "unknown key"),
        (
            lambda d: d["services"][0].update(public_service="yes"),
            "public_service",
            "true or false",
        ),
        (lambda d: d["services"][0].update(allow_parallel="yes"), "allow_parallel", "true or false"),
        (lambda d: d["services"][0].update(parallel_by="Kind"), "parallel_by", "snake_case"),
        (lambda d: d["services"][0].update(escalation=["boss"]), "escalation[0]", "unknown role"),
        (
            lambda d: d["services"][0].update(student_citizenship=["kaz"]),
            "student_citizenship[0]",
            "ISO 3166",
        ),
        (
            lambda d: d["services"][0].update(deadline_from=["Arrival Date"]),
            "deadline_from[0]",
            "snake_case",
        ),
        (
            lambda d: d["services"][0].update(public_service=True, deadline=None),
            "deadline",
            "legal deadline",
        ),
        (lambda d: d["services"][0].update(step_deadlines={"dean_review": 0}), None, ">= 1"),
        (
            lambda d: d["services"][0].update(reminders=[{"key": "x", "before_days": 1}]),
            "reminders[0].to",
            "missing",
        ),
        (
            lambda d: d["services"][0]["refusal_grounds"].pop(),
            "refusal_grounds",
            "'other'",
        ),
        (
            lambda d: d["services"][0]["refusal_grounds"][0].pop("kk"),
            "refusal_grounds[0].kk",
            "missing",
        ),
        (lambda d: d["services"].append(d["services"][0]), "code", "duplicate"),
        (
            lambda d: d["services"][0].update(student_statuses=["active", "dismissed"]),
            "student_statuses[1]",
            "unknown status",
        ),
    ],
)
def test_malformed_service_names_service_and_field(
    tmp_path: Path, change: Any, field: str | None, text: str
) -> None:
    error = broken(tmp_path, change)
    assert error.service == "cert_study"
    assert "'cert_study'" in str(error)
    if field is not None:
        assert error.field == field
        assert repr(field) in str(error)
    else:
        assert error.field is not None and error.field.startswith("step_deadlines.")
    assert text in str(error)


def test_malformed_top_level(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["channels"].pop())
    assert error.field == "channels" and "state_corporation" in str(error)
    error = broken(tmp_path, lambda d: d["roles"].update(dean={"ru": "Декан"}))
    assert error.field == "roles.dean.kk"
    error = broken(tmp_path, lambda d: d.update(version=2))
    assert error.field == "version"
    error = broken(tmp_path, lambda d: d["services"][0].pop("code"))
    assert error.service is None and error.field == "services[0].code"


def test_unreadable_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad\.yaml"):
        load_catalog(bad)


def test_cache_by_path_and_reload_on_change(tmp_path: Path) -> None:
    path = write(tmp_path / "catalog.yaml", minimal())
    first = load_catalog(path)
    assert load_catalog(str(path)) is first
    data = minimal()
    data["services"][0]["deadline"]["days"] = 2
    write(path, data)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_catalog(path).service("cert_study").deadline == Deadline(2, "working")
