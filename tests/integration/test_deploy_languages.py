"""Every kind of deploy refusal answers in the language asked for (Accept-Language ru, kk,
en): `message` and every reason in `fields`. A value of the model itself (an element's name
in «…», a piece of code in '…', a parser's own English detail) stays as written."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.integration.test_deploy import HEAD, REJECTED, WORKFLOWS, _linear, _script

API = "/api/v1"
CAMUNDA = FIXTURES / "camunda"
DMN_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
            'id="d" name="d" namespace="http://camunda.org/schema/1.0/dmn">')

MORE = [
    ("lanes-mismatch", "lanes_mismatch.bpmn", (CAMUNDA / "lanes_mismatch.bpmn").read_bytes()),
    ("recursive-call", "recursive_call.bpmn", (CAMUNDA / "recursive_call.bpmn").read_bytes()),
    ("data-store", "data_store.bpmn", (CAMUNDA / "data_store.bpmn").read_bytes()),
    ("link-event", "link_events.bpmn", (CAMUNDA / "link_events.bpmn").read_bytes()),
    ("undeployed-process", "caller.bpmn", _linear("call_x", """
      <bpmn:callActivity id="call_x" calledElement="nowhere">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>""")),
    ("undeployed-decision", "transfer_in.bpmn", (WORKFLOWS / "transfer_in.bpmn").read_bytes()),
    ("dmn-without-decision", "empty.dmn", DMN_HEAD + "</definitions>"),
    ("syntax-error", "bad.bpmn", _script("x = (")),
    ("forbidden-call", "bad.bpmn", _script("x = input()")),
    ("function-def", "bad.bpmn", _script("def f():\n    return 1")),
    ("finally", "bad.bpmn", _script("try:\n    x = 1\nfinally:\n    x = 2")),
    ("bare-except", "bad.bpmn", _script("try:\n    x = 1\nexcept BaseException:\n    x = 2")),
    ("attribute", "bad.bpmn", _script("x = 'a'.format_map")),
    ("parse-error", "bad.bpmn", HEAD + """<bpmn:process id="Process_bad" isExecutable="true">
      <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ghost"/>
      </bpmn:process></bpmn:definitions>"""),
    ("operator-check", "bad.bpmn", _linear("svc_doc", """<bpmn:serviceTask id="svc_doc" name="Doc">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="document/render" resultVariable="r">
        <spiffworkflow:parameters>
          <spiffworkflow:parameter id="template" type="str" value="'no_such_template'"/>
        </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>""")),
    ("wrong-extension", "model.txt", "x"),
    ("empty-file", "empty.bpmn", "  "),
    ("not-utf8", "latin.bpmn", "<?xml version='1.0'?><a>é</a>".encode("latin-1")),
]
CASES = [(c[0], c[1], c[2]) for c in REJECTED] + MORE
QUOTED = re.compile(r"«[^»]*»|“[^”]*”|'[^']*'|\"[^\"]*\"")
KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
CYRILLIC = re.compile("[а-яА-ЯёЁәғқңөұүһіӘҒҚҢӨҰҮҺІ]")


def _deploy(client: Any, people: dict, filename: str, content: bytes | str, lang: str | None) -> Any:
    raw = content.encode() if isinstance(content, str) else content
    headers = {**people["admin"], **({"Accept-Language": lang} if lang else {})}
    return client.post(f"{API}/processes", headers=headers,
                       data={"file": (io.BytesIO(raw), filename)}, content_type="multipart/form-data")


def _texts(body: dict[str, Any]) -> list[str]:
    return [body["message"], *body.get("fields", {}).values()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("kind", "filename", "content"), CASES, ids=[c[0] for c in CASES])
def test_every_deploy_refusal_speaks_the_requested_language(client, people, kind, filename, content):
    answers = {lang: _deploy(client, people, filename, content, lang) for lang in (None, "kk", "en")}
    for lang, r in answers.items():
        assert r.status_code == 422, (lang, r.json)
    ru, kk, en = (_texts(answers[lang].json) for lang in (None, "kk", "en"))
    assert len(ru) == len(kk) == len(en) >= 2, (ru, kk, en)
    assert list(answers[None].json["fields"]) == list(answers["en"].json["fields"])
    for ru_text, kk_text, en_text in zip(ru, kk, en, strict=True):
        own = QUOTED.sub("", en_text)
        assert not CYRILLIC.search(own), f"{kind}: Cyrillic in English: {en_text!r}"
        assert kk_text != ru_text, f"{kind}: Russian in Kazakh: {kk_text!r}"
        own = QUOTED.sub("", kk_text)
        if len(own.split()) >= 4:  # a short one («Файл бос») may have no letter of its own
            assert KAZAKH_LETTERS.search(own), f"{kind}: not Kazakh: {kk_text!r}"
