"""Every named element of the shipped models (steps, events, gateways, flows, lanes, pools) is
named in Kazakh and English too (properties nameKk / nameEn); deploy keeps the user tasks'
names in the task metadata, and the process map draws the names in the page's language."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from lxml import etree

from server.config import ROOT, Settings
from server.engine import compile_model
from server.engine.metadata import missing_names, named_elements
from server.services.cases.process_map import draw
from server.services.cases.step_names import history_names, names_from_meta
from server.services.context import AppContext
from server.services.tasks.forms import FormRegistry

WORKFLOWS = ROOT / "workflows"
MODELS = sorted(WORKFLOWS.glob("*.bpmn"))
# Names that read the same in Russian and Kazakh (a title, a loanword, a number of days).
SAME_IN_KAZAKH = {"Декан", "Ректор", "Бухгалтерия", "Грант"}


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_named_element_is_named_in_kazakh_and_english(path):
    roots = [etree.parse(str(path)).getroot()]
    assert not missing_names(path.name, roots), [str(i) for i in missing_names(path.name, roots)]
    for el_id, names in named_elements(roots).items():
        kk, en = names["kk"], names["en"]
        assert kk != names["ru"] or kk in SAME_IN_KAZAKH, f"{path.name}#{el_id}: nameKk copies the name"
        assert not re.search("[А-Яа-яЁё]", en), f"{path.name}#{el_id}: nameEn «{en}» is not English"


def test_one_term_per_thing():
    """The same Russian name has the same Kazakh name in every model."""
    seen: dict[str, tuple[str, str]] = {}
    for path in MODELS:
        for el_id, names in named_elements([etree.parse(str(path)).getroot()]).items():
            first = seen.setdefault(names["ru"], (names["kk"], f"{path.name}#{el_id}"))
            assert first[0] == names["kk"], f"«{names['ru']}»: «{first[0]}» ({first[1]}) vs «{names['kk']}»"


def test_an_element_without_its_kazakh_name_is_reported():
    xml = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"><bpmn:process id="p">'
           '<bpmn:userTask id="t" name="Проверка документов"><bpmn:extensionElements>'
           '<spiffworkflow:properties><spiffworkflow:property name="nameEn" value="Checking the documents" />'
           '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask></bpmn:process>'
           '</bpmn:definitions>')
    issues = missing_names("x.bpmn", [etree.fromstring(xml)])
    assert [(i.element, i.reason) for i in issues] == [
        ("t", "у элемента «Проверка документов» нет названия на казахском или английском (nameKk)")]


def test_deploy_keeps_the_task_names_and_the_map_draws_them_in_the_language(tmp_path):
    path = WORKFLOWS / "academic_leave.bpmn"
    sources = {p.name: p.read_text(encoding="utf-8") for p in WORKFLOWS.iterdir()
               if p.suffix in (".bpmn", ".dmn")}
    settings = replace(Settings.from_env(), instance_dir=tmp_path, secret_key="test-secret",
                       database_url=f"sqlite:///{tmp_path / 'never-opened.db'}")
    calls = AppContext(settings, None).script_functions.names  # type: ignore[arg-type]
    model = compile_model(path.name, sources[path.name], sources, allowed_calls=calls,
                          form_exists=FormRegistry(ROOT / "forms").exists)
    meta = model.task_meta["academic_leave"]
    assert meta["check_documents"]["name_kk"] == "Құжаттарды тексеру"
    assert meta["sign_order"]["name_en"] == "Signing the order"
    assert names_from_meta(meta)["dean_approval"] == {"kk": "Деканның келісуі", "en": "Dean's approval"}
    assert history_names(meta, "kk")["sign_order"] == "Бұйрыққа қол қою"
    assert history_names(meta, "ru")["sign_order"] == "Подписание приказа"

    xml = sources[path.name]
    kk = draw(xml, ["start"], ["check_documents"], title="Предоставление академического отпуска", lang="kk",
              process_id="academic_leave").svg or ""
    assert "Құжаттарды тексеру" in kk and "Тіркеуші кеңсесі" in kk
    assert "<title>Академиялық демалыс беру</title>" in kk
    assert "Проверка документов" not in kk and "Офис регистратора" not in kk
    en = draw(xml, [], [], lang="en", process_id="academic_leave").svg or ""
    assert "Checking the documents" in en and "Registrar" in en and "Офис" not in en
    ru = draw(xml, [], [], title="x", lang="ru").svg or ""
    assert "Проверка документов" in ru and "<title>x</title>" in ru
