"""A user task's instructions (spiff `instructionsForEndUser`, and `instructionsKk` in Kazakh)
are Jinja text written by the model's author: rendered once, when the task is created, with
the task's data, in a sandbox. The result is plain text (pages escape it when they show it); a
template that fails to render is shown as written rather than losing the instructions.

The data is rendered in words (`display.py`): a form's choice by its title («по болезни», not
«medical»), a code of the vocabulary by its word («платная основа», «Республика Корея»), a date
as dd.mm.yyyy. A value in words still compares equal to its code and is false when the code is
(`{% if leave_ground == 'medical' %}`, `{% if batch_order %}` keep working), and the data as
stored is `raw` (`{{ raw.leave_start }}`).

Filters decline a person's name as the sentence needs it, in the instructions' language:
`{{ student|genitive }}` («Сидоровой Елены Павловны»; Kazakh «Сидорова Елена Павловнаның»),
`dative`, `accusative`, `instrumental`, and `{{ student|name }}` (nominative). A person is a
mapping with last_name / first_name / middle_name (or full_name); empty parts are dropped, and
a person without a name gives «—», never an empty gap in the sentence.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, meta, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from server.documents.kazakh import decline_full_name_kk
from server.documents.render import decline_full_name
from server.services.cases import display
from server.services.tasks.forms import FormRegistry

MAX_LENGTH = 4000
LANG_KEY = "_instructions_lang"  # the language a filter declines in (set by the renderer)
NO_NAME = "—"
_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=False)


class Word(str):
    """A value in words that still answers to its code: equal to the code, false when the
    code is (a template's `{% if %}` tests the data, its `{{ }}` shows words)."""

    code: Any

    def __new__(cls, text: str, code: Any) -> Word:
        self = super().__new__(cls, text)
        self.code = code
        return self

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other) is True or (not isinstance(other, Word) and self.code == other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __bool__(self) -> bool:
        return bool(self.code)


def in_words(name: str, value: Any, lang: str, fields: Mapping[str, display.FieldWords] | None) -> Any:
    """`value` as people read it (display.display_value), each changed value a `Word` that
    keeps its code; no value stays None (an `or` in a template falls through it)."""
    if isinstance(value, Mapping):
        return {key: in_words(str(key), item, lang, fields) for key, item in value.items()}
    if isinstance(value, list):
        return [in_words(name, item, lang, fields) for item in value]
    if value is None or value == "":
        return value
    shown = display.display_value(name, value, lang, fields)
    if isinstance(shown, str) and (shown != value or isinstance(value, bool)):
        return Word(shown, value)
    return value


_SEX = {"m": "M", "male": "M", "f": "F", "female": "F"}


def _person_parts(person: Any) -> tuple[str, str, str | None, str | None]:
    """(last, first, middle, sex code) of a person mapping; a lone full_name is split."""
    if not isinstance(person, Mapping):
        text = str(person or "").strip()
        person = {"full_name": text}
    raw = {key: getattr(value, "code", value) for key, value in person.items()}
    last, first, middle = (str(raw.get(k) or "").strip() for k in ("last_name", "first_name", "middle_name"))
    if not (last or first) and raw.get("full_name"):
        parts = [*str(raw["full_name"]).split(), "", ""]
        last, first, middle = parts[0], parts[1], " ".join(parts[2:]).strip()
    sex = _SEX.get(str(raw.get("sex") or "").lower())
    return last, first, middle or None, sex


def decline(person: Any, case: str, lang: str) -> str:
    """A person's full name in `case` («nominative», «genitive»…), in `lang`."""
    last, first, middle, sex = _person_parts(person)
    if not (last or first or middle):
        return NO_NAME
    if case == "nominative":
        return " ".join(p for p in (last, first, middle) if p)
    if lang == "kk":
        return decline_full_name_kk(last, first, middle, case)
    return decline_full_name(last, first, middle, case, sex)


def _filter(case: str):  # type: ignore[no-untyped-def]
    @pass_context
    def apply(context: Context, person: Any) -> str:
        return decline(person, case, str(context.get(LANG_KEY) or "ru"))
    return apply


for _case in ("genitive", "dative", "accusative", "instrumental"):
    _ENV.filters[_case] = _filter(_case)
_ENV.filters["name"] = _filter("nominative")


@functools.lru_cache(maxsize=1024)
def compiled(template: str) -> Template:
    """A model's instructions are few and fixed per version: compile each once (compiling
    cost more than rendering)."""
    return _ENV.from_string(template)


@functools.lru_cache(maxsize=1024)
def _variables(template: str) -> frozenset[str]:
    """The data a template reads: only those values are put in words (a contingent order's
    list of hundreds of students is not, when the instructions do not show it)."""
    return frozenset(meta.find_undeclared_variables(_ENV.parse(template)))


_FIELDS_TTL = 60.0
_FIELDS: dict[tuple[str, str], tuple[float, dict[str, display.FieldWords]]] = {}


def procedure_words(forms: FormRegistry, process_id: str) -> dict[str, display.FieldWords]:
    """display.procedure_fields of a procedure, read at most once a minute (every task of a
    step would otherwise read the procedure's forms again)."""
    key = (str(forms.forms_dir), process_id)
    now = time.monotonic()
    cached = _FIELDS.get(key)
    if cached is None or now - cached[0] >= _FIELDS_TTL:
        cached = (now, display.procedure_fields(forms, process_id))
        if len(_FIELDS) > 256:
            _FIELDS.clear()
        _FIELDS[key] = cached
    return cached[1]


def render_instructions(template: str | None, data: dict[str, Any], lang: str = "ru",
                        fields: Mapping[str, display.FieldWords] | None = None) -> str | None:
    """The instructions with `data` in words in `lang` (the raw data is `raw`)."""
    if not template:
        return template
    if "{{" not in template and "{%" not in template:
        return template[:MAX_LENGTH]
    try:
        used = _variables(template)
        words = {key: in_words(key, value, lang, fields) if key in used else value
                 for key, value in data.items()}
        return compiled(template).render({**words, "raw": data, LANG_KEY: lang})[:MAX_LENGTH]
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        return template[:MAX_LENGTH]


#: the stored column -> the language its template is written in
TEMPLATE_LANGS = {"instructions": "ru", "instructions_kk": "kk"}


def render_task_instructions(forms: FormRegistry, process_id: str, templates: Mapping[str, str | None],
                             data: dict[str, Any]) -> dict[str, str | None]:
    """A new task's instructions, each column in its language, the data in the words of the
    procedure's forms."""
    fields = procedure_words(forms, process_id)
    return {key: render_instructions(template, data, TEMPLATE_LANGS.get(key, "ru"), fields)
            for key, template in templates.items()}
