"""One vocabulary per registry field (server.domain.registry.CHOICES): the forms that ask for a
level, form of study, language or funding offer exactly codes the registry, its import and the
documents know. A form that offered its own code ("extramural") put that code into the student
record and printed it as is in the order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.config import ROOT
from server.documents.contexts.common import FORMS, FUNDING, LANGUAGES
from server.domain.registry import CHOICES, RegistryParamError, parse_enrol

# A choice list is one of these vocabularies when it offers one of its codes.
MARKERS = {"level": "bachelor", "form": "full_time", "language": "kk", "funding": "grant"}


def _enums(node: Any, path: str) -> Iterator[tuple[str, list[Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            yield path, node["enum"]
        for key, value in node.items():
            yield from _enums(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, f"{path}/{i}")


def _choice_lists() -> list[Any]:
    found = []
    for schema_path in sorted((ROOT / "forms").rglob("*.schema.json")):
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        for where, enum in _enums(schema, ""):
            for field, marker in MARKERS.items():
                if marker in enum:
                    found.append(pytest.param(field, enum, id=f"{schema_path.relative_to(ROOT)}{where}"))
    return found


CHOICE_LISTS = _choice_lists()


def test_the_forms_offer_registry_fields() -> None:
    assert {p.values[0] for p in CHOICE_LISTS} >= {"form", "language", "funding"}


@pytest.mark.parametrize(("field", "enum"), CHOICE_LISTS)
def test_a_form_offers_only_the_registry_codes(field: str, enum: list[Any]) -> None:
    assert set(enum) <= set(CHOICES[field]), f"{field}: {sorted(set(enum) - set(CHOICES[field]))} unknown"


def test_the_documents_print_every_code() -> None:
    assert set(FORMS) == set(CHOICES["form"])
    assert set(LANGUAGES) == set(CHOICES["language"])
    assert set(FUNDING) == set(CHOICES["funding"])


def test_an_order_refuses_a_form_of_study_the_registry_does_not_know() -> None:
    with pytest.raises(RegistryParamError, match="form"):
        parse_enrol({"student": {"iin": "040211510074", "last_name": "Иванов", "first_name": "Пётр",
                                 "faculty_code": "IT", "programme_code": "6B06102", "programme_name": "ПИ",
                                 "year": 2, "form": "extramural"}, "order_number": "3-у"})
