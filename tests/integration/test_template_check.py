"""The shipped templates checked with their example contexts: `regoffice check` and deploy refuse
a template whose tag the context does not provide (naming the tag and the template), a tag Word
broke, and a model whose `document/render` names a template with no builder or no .docx."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import docx
import pytest

from server.auth import Actor
from server.services.errors import ModelRejected
from server.services.procedures import deployments
from server.services.procedures.checks import check_all

ROOT = Path(__file__).resolve().parents[2]
MODEL = (ROOT / "workflows" / "cert_study.bpmn").read_text(encoding="utf-8")


def _templates_with(tmp_path: Path, name: str, paragraph: str) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    document = docx.Document(folder / name)
    document.add_paragraph(paragraph)
    document.save(folder / name)
    return folder


def test_shipped_templates_pass(ctx):
    assert check_all(ctx) == []


@pytest.mark.parametrize(("paragraph", "expected"), [
    ("Печать: {{ stamp_text }}", "тег «stamp_text» не предоставлен"),
    ("№ {{ number }", "тег записан неверно"),
    ("{ { date }}", "тег записан неверно"),
])
def test_check_and_deploy_refuse_a_template_the_context_cannot_fill(ctx, people, tmp_path, paragraph,
                                                                      expected):
    ctx.settings = replace(ctx.settings, templates_dir=_templates_with(tmp_path, "cert_study_kk.docx",
                                                                       paragraph))
    problems = check_all(ctx)  # the template itself, and the model that renders it
    assert [p.split(":", 1)[0] for p in problems] == ["workflows/cert_study.bpmn [generate_certificate]",
                                                      "templates"]
    assert all("cert_study_kk.docx" in p and expected in p for p in problems)
    with pytest.raises(ModelRejected) as refused:
        deployments.deploy_file(ctx, Actor.system(), "cert_study.bpmn", MODEL)
    assert "cert_study_kk.docx" in str(refused.value) and expected in str(refused.value)


def test_deploy_refuses_an_unknown_template(ctx, people):
    model = MODEL.replace("value=\"'cert_study'\"", "value=\"'cert_unknown'\"")
    with pytest.raises(ModelRejected) as refused:
        deployments.deploy_file(ctx, Actor.system(), "cert_study.bpmn", model)
    text = str(refused.value)
    assert "cert_unknown" in text and "нет построителя" in text and "cert_unknown_ru.docx" in text


def test_deploy_refusal_in_kazakh_and_english(client, people):
    model = MODEL.replace("value=\"'cert_study'\"", "value=\"'cert_unknown'\"")
    said = {}
    for language in ("kk", "en"):
        r = client.post("/api/v1/processes", headers={**people["admin"], "Accept-Language": language},
                        data={"file": (io.BytesIO(model.encode()), "cert_study.bpmn")},
                        content_type="multipart/form-data")
        assert r.status_code == 422
        said[language] = r.json["fields"]["cert_study.bpmn#generate_certificate"]
        assert "cert_unknown" in said[language] and "построителя" not in said[language]
        assert "cert_unknown_ru.docx" in said[language]
    assert said["kk"] != said["en"]
