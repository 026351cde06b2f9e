"""Every user task with Russian instructions (spiff `instructionsForEndUser`) has a Kazakh
version in its `instructionsKk` property: present, non-empty, really Kazakh (not a copy of the
Russian), with the same Jinja expressions and tags as the Russian text, and both parse as
Jinja templates."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from lxml import etree

from server.config import ROOT
from server.services.cases.instructions import compiled

WORKFLOWS = ROOT / "workflows"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
JINJA = re.compile(r"{{.*?}}|{%.*?%}", re.S)
KK_PROPERTY = ".//spiffworkflow:properties/spiffworkflow:property[@name='instructionsKk']"
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


# The Kazakh text may prefer a value's Kazakh variant where the case data has one
# (`{{ student.faculty_name_kk or student.faculty_name }}` for `{{ student.faculty_name }}`).
KAZAKH_VARIANT = re.compile(r"\b([\w.]+)_kk or \1\b")
# A name declined as the Russian sentence needs it (`{{ student|genitive }}`) may stand in the
# nominative in the Kazakh one (`{{ student|name }}`): the same person either way.
NAME_CASE = re.compile(r"\|(genitive|dative|accusative|instrumental)\b")


def _jinja(text: str) -> Counter[str]:
    return Counter(NAME_CASE.sub("|name", KAZAKH_VARIANT.sub(r"\1", re.sub(r"\s+", " ", found).strip()))
                   for found in JINJA.findall(text))


def _tasks() -> list:
    params = []
    for path in sorted(WORKFLOWS.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for task in root.iterfind(".//bpmn:userTask", NS):
            ru = task.find(".//spiffworkflow:instructionsForEndUser", NS)
            if ru is None:
                continue
            props = task.findall(KK_PROPERTY, NS)
            params.append(pytest.param(ru.text or "", [p.get("value") for p in props],
                                       id=f"{path.stem}:{task.get('id')}"))
    return params


TASKS = _tasks()


def test_all_user_tasks_are_found():
    assert len(TASKS) >= 70


@pytest.mark.parametrize(("ru", "kk_values"), TASKS)
def test_kazakh_instructions(ru, kk_values):
    assert ru.strip(), "empty Russian instructions"
    assert len(kk_values) == 1, f"expected one instructionsKk property, found {len(kk_values)}"
    kk = kk_values[0] or ""
    assert kk.strip(), "instructionsKk is empty"
    assert KAZAKH_LETTERS & set(kk), "instructionsKk has no Kazakh-specific letters"
    assert kk.strip() != ru.strip()
    assert _jinja(kk) == _jinja(ru), "the Jinja expressions differ from the Russian text"
    # rendered as the server renders instructions: a sandbox where missing data is empty
    for text in (ru, kk):
        template = compiled(text)  # raises TemplateSyntaxError on a broken expression or tag
        out = template.render(winners=[{"full_name": "Ли Вэй", "gpa": 3.5}])
        assert "{{" not in out and "{%" not in out
