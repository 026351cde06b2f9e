"""Every text a task form shows has its Kazakh form: a field's title, its help text, an option's
title (a Kazakh page never falls back to the Russian of a schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.web.formfields import fields_for

FORMS = sorted((Path(__file__).resolve().parents[2] / "forms").rglob("*.schema.json"))


def _missing(node: Any, path: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "title" in node and path and "x-title-kk" not in node:
            found.append(f"{path}: title")
        if "description" in node and "x-description-kk" not in node:
            found.append(f"{path}: description")
        titles = node.get("x-enum-titles")
        if titles is not None and len(titles.get("kk") or []) != len(node.get("enum") or []):
            found.append(f"{path}: x-enum-titles.kk")
        for key, value in node.items():
            if key not in ("x-enum-titles", "examples", "x-examples-kk", "enum", "const", "default"):
                found += _missing(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _missing(value, f"{path}/{i}")
    return found


@pytest.mark.parametrize("form", FORMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shown_text_has_its_kazakh_form(form: Path) -> None:
    assert _missing(json.loads(form.read_text(encoding="utf-8")), "") == []


def test_a_kazakh_page_shows_the_kazakh_help() -> None:
    schema = {"type": "object", "properties": {"iin": {
        "type": "string", "title": "ИИН", "x-title-kk": "ЖСН",
        "description": "12 цифр; контрольный разряд проверяется сервером",
        "x-description-kk": "12 цифр; бақылау цифрын жүйе тексереді"}}}
    assert fields_for(schema, {}, "kk")[0].help == "12 цифр; бақылау цифрын жүйе тексереді"
    assert fields_for(schema, {}, "ru")[0].help.startswith("12 цифр; контрольный")
