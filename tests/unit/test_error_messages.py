"""The services' messages as translatable templates (server/services/errors.py): the Russian text
stays what it was, a translation is applied to the template before the values are inserted,
a missing or broken translation falls back to Russian, and values are never format directives.
Also the `errors` catalogs: every message the code can raise is translated to Kazakh and English
and compiled, and every raise site passes a literal template that pybabel can extract."""

from __future__ import annotations

import ast
import copy
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from server.services.errors import Conflict, DomainError, Invalid, Msg, NotFound, tr, translate
from server.web.i18n import TRANSLATIONS, localized, localized_fields, localized_message

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
KAZAKH = {
    "Задачу выполняет %(name)s": "Тапсырманы %(name)s орындап жатыр",
    "Обязательное поле": "Міндетті өріс",
    "строка %(line)s, поле %(field)s: %(reason)s": "%(line)s-жол, %(field)s өрісі: %(reason)s",
    "Сломанный перевод %(name)s": "Қате аударма %(other)s",
}


def kazakh(text: str) -> str:
    return KAZAKH.get(text, text)


# --- the template and its values -----------------------------------------------------------------
def test_the_message_is_the_russian_text_and_keeps_its_template():
    exc = Conflict("Задачу выполняет %(name)s", {"x": tr("Обязательное поле")}, name="Иванов И.")
    assert exc.message == "Задачу выполняет Иванов И." == str(exc)
    assert isinstance(exc.message, Msg) and exc.message.template == "Задачу выполняет %(name)s"
    assert exc.message.params == {"name": "Иванов И."}
    assert exc.fields == {"x": "Обязательное поле"}
    assert translate(exc.message, kazakh) == "Тапсырманы Иванов И. орындап жатыр"


def test_a_plain_message_and_a_passed_on_message_stay_as_they_are():
    assert NotFound("Задача не найдена").message == "Задача не найдена"
    assert NotFound("100% готово").message == "100% готово"  # no values: no formatting at all
    first = Invalid("Задачу выполняет %(name)s", name="Иванов")
    again = Invalid(first.message, {"data.x": "y"})
    assert again.message is first.message and again.message.template == "Задачу выполняет %(name)s"
    assert translate("просто строка", kazakh) == "просто строка"


@pytest.mark.parametrize("value", ["%(name)s", "%(x)s {} {0} %s %%", "{name}", "%(x)d %"])
def test_values_are_inserted_literally(value: str):
    text = tr("Задачу выполняет %(name)s", name=value)
    assert text == f"Задачу выполняет {value}"
    assert translate(text, kazakh) == f"Тапсырманы {value} орындап жатыр"
    row = tr("строка %(line)s, поле %(field)s: %(reason)s", line=value, field="{}", reason=text)
    assert translate(row, kazakh) == f"{value}-жол, {{}} өрісі: Тапсырманы {value} орындап жатыр"


def test_a_missing_or_broken_translation_falls_back_to_russian():
    assert translate(tr("Нет перевода для %(name)s", name="А"), kazakh) == "Нет перевода для А"
    assert translate(tr("Сломанный перевод %(name)s", name="А"), kazakh) == "Сломанный перевод А"
    assert translate(tr(""), kazakh) == ""
    # a template whose values do not fit never raises: the template is shown as it is
    assert tr("Неверный %(шаблон", name="А") == "Неверный %(шаблон"


def test_parts_that_are_messages_are_translated_too():
    reason = tr("Обязательное поле")
    row = tr("строка %(line)s, поле %(field)s: %(reason)s", line=3, field="iin", reason=reason)
    assert row == "строка 3, поле iin: Обязательное поле"
    assert translate(row, kazakh) == "3-жол, iin өрісі: Міндетті өріс"


def test_messages_survive_pickling_and_copying():
    text = tr("строка %(line)s, поле %(field)s: %(reason)s", line=3, field="iin",
              reason=tr("Обязательное поле"))
    for clone in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text)):
        assert clone == text and clone.template == text.template
        assert translate(clone, kazakh) == "3-жол, iin өрісі: Міндетті өріс"
    exc = pickle.loads(pickle.dumps(Conflict("Задачу выполняет %(name)s", name="Иванов")))
    assert translate(exc.message, kazakh) == "Тапсырманы Иванов орындап жатыр"


def test_the_catalogs_translate_a_message_and_its_field_reasons():
    exc = Invalid("Форма заполнена с ошибками: исправьте отмеченные поля",
                  {"a": tr("Обязательное поле"), "b": "jsonschema's own text"})
    assert localized_message(exc, "kk") == "Форма қателермен толтырылған: белгіленген өрістерді түзетіңіз"
    assert localized_message(exc, "en") == "The form has errors: correct the marked fields"
    assert localized_message(exc, "ru") == exc.message
    assert localized_fields(exc, "kk") == {"a": "Міндетті өріс", "b": "jsonschema's own text"}
    assert localized(tr("Такого сообщения нет в каталоге"), "kk") == "Такого сообщения нет в каталоге"
    assert localized(exc.message, "fr") == exc.message  # no catalog for the language: Russian
    assert localized(tr(""), "kk") == ""  # never the catalog's header


# --- the catalogs ----------------------------------------------------------------------------------
def _keywords() -> dict[str, Any]:
    found = re.search(r"^ERROR_KEYWORDS := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert found, "ERROR_KEYWORDS missing from the Makefile"
    return parse_keywords(found.group(1).split())


def _extracted() -> set[str]:
    found = extract_from_dir(str(ROOT), [("server/**.py", "python")], keywords=_keywords())
    return {message[2] for message in found if isinstance(message[2], str)}


def _catalogs(lang: str) -> tuple[Any, Any]:
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "errors.po", "rb") as fh:
        po = read_po(fh)
    with open(folder / "errors.mo", "rb") as fh:
        mo = read_mo(fh)
    return po, mo


@pytest.mark.parametrize("lang", ["kk", "en"])
def test_every_message_is_translated_and_compiled(lang: str):
    used = _extracted()
    assert len(used) > 150
    po, mo = _catalogs(lang)
    missing = sorted(m for m in used if not (po.get(m) and po.get(m).string) or po.get(m).fuzzy)
    assert not missing, f"{lang}: untranslated {missing[:10]}; run make i18n and translate errors.po"
    stale = [m.id for m in po if m.id and (mo.get(m.id) is None or mo.get(m.id).string != m.string)]
    assert not stale, f"{lang}: errors.mo is stale; run make i18n"
    for message in po:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), \
                message.id


def test_the_kazakh_iin_reasons_are_those_of_the_iin_module():
    po, _mo = _catalogs("kk")
    tree = ast.parse((ROOT / "server/domain/iin.py").read_text(encoding="utf-8"))
    pairs = [(call.args[1].value, call.args[2].value) for call in ast.walk(tree)
             if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "InvalidIIN"]
    assert len(pairs) == 5
    for reason_ru, reason_kk in pairs:
        assert po.get(reason_ru).string == reason_kk


# --- the raise sites -------------------------------------------------------------------------------
def _calls(names: set[str]) -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in names:
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def _error_classes() -> set[str]:
    """DomainError and every class deriving from it in server/."""
    bases: dict[str, set[str]] = {}
    for path in (ROOT / "server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
    found = {"DomainError"}
    while grown := {name for name, of in bases.items() if of & found} - found:
        found |= grown
    return found


def test_every_error_class_is_an_extraction_keyword():
    keywords = set(_keywords())
    assert _error_classes() <= keywords, _error_classes() - keywords
    assert "tr" in keywords


def test_every_message_is_a_literal_template_with_its_values():
    names = (set(_keywords()) | _error_classes()) - {"InvalidIIN"}
    checked = 0
    for where, call in _calls(names):
        first = call.args[0] if call.args else None
        assert not isinstance(first, ast.JoinedStr | ast.BinOp), \
            f"{where}: pass a literal template with %(name)s values, not an f-string or concatenation"
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue  # a message passed on (exc.message)
        keywords = {k.arg for k in call.keywords if k.arg} - {"fields"}
        assert set(PLACEHOLDER.findall(first.value)) == keywords, f"{where}: values do not match the template"
        assert "%" not in PLACEHOLDER.sub("", first.value), f"{where}: only %(name)s placeholders"
        checked += 1
    assert checked > 150


def test_domain_errors_without_a_template_still_work():
    exc = DomainError(str(ValueError("внешний текст 50%")))
    assert exc.message == "внешний текст 50%" and localized_message(exc, "kk") == "внешний текст 50%"
