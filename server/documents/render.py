"""Render docxtpl templates, format register numbers, decline Russian full names.

Rules taken from ENGINE_NOTES (docxtpl section):

* a new ``DocxTemplate`` per render, always ``render(context, autoescape=True)`` (without it ``&``
  vanishes and ``<...>`` becomes XML);
* a jinja2 environment with ``StrictUndefined`` so a missing variable fails loudly instead of
  printing an empty string into a signed order;
* every failure leaves this module as :class:`TemplateRenderError`.

Name declension uses the rule set shipped with the ``petrovich`` package (the same rules as the
reference Ruby/JS implementations).  The matching code of ``petrovich`` 2.0.1 is not used: it
skips the gender-neutral ("androgynous") rules whenever a gender is given, so «Никита» stays
«Никита», «Черных» becomes «Черныха» and «Цой» becomes «Цого»; its ``lastname()`` default
gender is the type ``str`` (nothing declines); it ignores the ``first_word`` tag (gives
«Бонча-Бруевича») and does not match upper-case input.  :class:`_Inflector` applies the same
rules the way the reference implementation does.
"""

from __future__ import annotations

import io
import json
import re
import string
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError

__all__ = [
    "CASES",
    "REGISTER_FORMATS",
    "TemplateRenderError",
    "decline_full_name",
    "format_number",
    "render_docx",
    "template_variables",
]


# --------------------------------------------------------------------------- rendering


class TemplateRenderError(Exception):
    """A template could not be rendered (missing variable, bad tag, unreadable file).

    ``template_name`` is the file name, ``reason`` says what went wrong and ``variable`` is
    the undefined name when that was the cause (for ``{{ s.iin }}`` it is ``"iin"``, the part
    jinja2 reports).
    """

    def __init__(self, template_name: str, reason: str, *, variable: str | None = None) -> None:
        self.template_name = template_name
        self.reason = reason
        self.variable = variable
        super().__init__(f"template {template_name!r}: {reason}")


_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_MISSING_ATTR = re.compile(r"has no attribute '([^']+)'")
# Control characters XML 1.0 forbids (values pasted from Excel carry \x0b and the like).  Left
# in, docxtpl turns \a and \f into new paragraphs and page breaks (even inside a table cell) and
# lxml's recovering parser silently drops the rest; \n (line break) and \t (tab) are kept.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _CompilingEnvironment(Environment):
    """Compiles each distinct template source once.

    docxtpl hands every part of the document (body, headers, footers) to ``from_string`` on
    every render, and compiling that XML is about a third of a render. The source of a part is
    the same for every render of the same template file, so the compiled template is kept,
    keyed by the source itself: an edited .docx gives a different source and is compiled anew.
    Compiled templates are immutable and safe to share between threads."""

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return self._compiled(source)

    @lru_cache(maxsize=256)  # noqa: B019 - one module-level environment lives as long as the process
    def _compiled(self, source: str) -> Any:
        return super().from_string(source)


_ENVIRONMENT = _CompilingEnvironment(undefined=StrictUndefined, autoescape=True)


def _environment() -> Environment:
    return _ENVIRONMENT


def _clean(value: Any) -> Any:
    """Copy of plain context data (dicts, lists, tuples, strings) without XML-illegal chars."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    return value


def _undefined_variable(exc: UndefinedError) -> str | None:
    message = str(exc)
    for pattern in (_UNDEFINED_NAME, _MISSING_ATTR):
        match = pattern.search(message)
        if match:
            return match.group(1)
    return None


def _wrap(template_name: str, exc: Exception) -> TemplateRenderError:
    if isinstance(exc, UndefinedError):
        variable = _undefined_variable(exc)
        if variable is not None:
            return TemplateRenderError(
                template_name,
                f"undefined variable {variable!r} ({exc}); add it to the render context",
                variable=variable,
            )
        return TemplateRenderError(template_name, f"undefined value: {exc}")
    if isinstance(exc, TemplateSyntaxError):
        where = " ".join(t.strip() for t in getattr(exc, "docx_context", []) if t.strip())
        hint = f" near: {where[:200]}" if where else ""
        return TemplateRenderError(template_name, f"template syntax error: {exc.message}{hint}")
    if isinstance(exc, TemplateError):
        return TemplateRenderError(template_name, f"template error: {exc}")
    if isinstance(exc, FileNotFoundError | PackageNotFoundError):
        return TemplateRenderError(template_name, "template file not found or not a .docx")
    if isinstance(exc, zipfile.BadZipFile):
        return TemplateRenderError(template_name, "template file is not a valid .docx (zip)")
    return TemplateRenderError(template_name, f"{type(exc).__name__}: {exc}")


def _opened(template: Path | str | bytes | io.BytesIO) -> tuple[Any, str]:
    """What DocxTemplate opens and the name errors carry: a path, or the bytes of an upload."""
    if isinstance(template, bytes):
        return io.BytesIO(template), "uploaded.docx"
    if isinstance(template, io.BytesIO):
        template.seek(0)
        return template, "uploaded.docx"
    path = Path(template)
    return path, path.name


def render_docx(template_path: Path | str | bytes | io.BytesIO, context: Mapping[str, Any], *,
                images: Mapping[str, bytes] | None = None, image_width_mm: float = 25) -> bytes:
    """Render a docxtpl template with ``context`` and return the .docx bytes.

    Values are XML-escaped (``autoescape=True``), so ``<b>``, ``&`` or ``{{ x }}`` in the data
    appear literally.  A variable the template uses but the context lacks raises
    :class:`TemplateRenderError` naming it.  ``images`` maps context names to PNG/JPEG bytes;
    each becomes an inline picture ``image_width_mm`` wide where the template prints ``{{ name }}``.
    ``template_path`` may also be the bytes of a .docx (a version the office uploaded).
    """
    source, name = _opened(template_path)
    try:
        template = DocxTemplate(source)
        values = _clean(dict(context))
        for name, data in (images or {}).items():
            values[name] = InlineImage(template, io.BytesIO(data), width=Mm(image_width_mm))
        template.render(values, jinja_env=_environment(), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except TemplateRenderError:
        raise
    except Exception as exc:
        raise _wrap(name, exc) from exc
    return out.getvalue()


def template_variables(template_path: Path | str | bytes | io.BytesIO) -> set[str]:
    """Top-level context names a template uses (``university``, ``students``, ...).

    Meant for validation at startup: compare with the keys the service provides.  Attributes
    (``s.iin``) are not listed; render a sample context to check those.
    """
    source, name = _opened(template_path)
    try:
        return set(DocxTemplate(source).get_undeclared_template_variables(jinja_env=_environment()))
    except Exception as exc:
        raise _wrap(name, exc) from exc


# --------------------------------------------------------------------------- numbering

#: Number pattern per register; placeholders: {seq}, {year}, {yy}, {register}.
REGISTER_FORMATS: dict[str, str] = {
    "orders": "{seq}-у",
    "certificates": "{seq}-с",
    "duplicates": "{seq}-д",
    "letters": "{seq}-п",
}

_NUMBER_FIELDS = frozenset({"seq", "year", "yy", "register"})


def format_number(register: str, year: int, seq: int, pattern: str | None = None) -> str:
    """Outgoing number of a document: ``format_number("orders", 2026, 125)`` → ``"125-у"``.

    ``pattern`` overrides :data:`REGISTER_FORMATS`; it may use ``{seq}`` (required), ``{year}``,
    ``{yy}`` and ``{register}``, with format specs (``"{seq:04d}/{yy}"``).  Only these plain
    names are allowed: no attribute or index access.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError(f"sequence number must be a positive integer, got {seq!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise ValueError(f"year must be a four-digit integer, got {year!r}")
    if pattern is None:
        try:
            pattern = REGISTER_FORMATS[register]
        except KeyError:
            known = ", ".join(sorted(REGISTER_FORMATS))
            raise ValueError(
                f"no number format for register {register!r}; known: {known} (or pass pattern=...)"
            ) from None
    fields: set[str] = set()
    try:
        for _literal, field, spec, conversion in string.Formatter().parse(pattern):
            if field is None:
                continue
            if field not in _NUMBER_FIELDS or conversion or (spec and "{" in spec):
                raise ValueError(
                    f"number pattern {pattern!r}: only {{seq}}, {{year}}, {{yy}}, {{register}} "
                    f"are allowed, got {{{field}}}"
                )
            fields.add(field)
    except ValueError as exc:
        if "number pattern" in str(exc):
            raise
        raise ValueError(f"number pattern {pattern!r} is malformed: {exc}") from None
    if "seq" not in fields:
        raise ValueError(f"number pattern {pattern!r} must contain {{seq}}")
    try:
        return pattern.format(seq=seq, year=year, yy=f"{year % 100:02d}", register=register)
    except ValueError as exc:
        raise ValueError(f"number pattern {pattern!r}: {exc}") from None


# --------------------------------------------------------------------------- declension

#: Grammatical cases accepted by :func:`decline_full_name`, with their index in petrovich's rules.
CASES: dict[str, int] = {
    "genitive": 0,
    "dative": 1,
    "accusative": 2,
    "instrumental": 3,
    "prepositional": 4,
}

_MALE_PATRONYMIC = ("ич", "улы", "ұлы", "уулу", "оглы", "оглу", "угли", "ўғли")
_FEMALE_PATRONYMIC = ("вна", "ична", "кызы", "қызы", "гызы", "кизи", "қизи")
_SEPARATORS = re.compile(r"(\s+)")


class _Inflector:
    """petrovich's rules (exceptions, then suffixes) applied as the reference implementation."""

    def __init__(self, rules: dict[str, Any]) -> None:
        self.rules = rules

    def _find(self, kind: str, word: str, gender: str, first_word: bool) -> list[str] | None:
        lower = word.lower()
        for section, whole in (("exceptions", True), ("suffixes", False)):
            for rule in self.rules[kind].get(section, []):
                tags = rule.get("tags", [])
                if "first_word" in tags and not first_word:
                    continue
                if rule["gender"] not in (gender, "androgynous"):
                    continue
                for test in rule["test"]:
                    if (lower == test) if whole else lower.endswith(test):
                        return rule["mods"]
        return None

    @staticmethod
    def _apply(word: str, mod: str) -> str:
        if mod == ".":
            return word
        cut = mod.count("-")
        ending = mod.replace("-", "")
        if word.isupper() and len(word) > 1:
            ending = ending.upper()
        return (word[:-cut] if cut else word) + ending

    def inflect(self, kind: str, value: str, case: int, gender: str) -> str:
        parts: list[str] = []
        for token in _SEPARATORS.split(value):
            if not token or token.isspace():
                parts.append(token)
                continue
            pieces = token.split("-")
            declined = []
            for i, piece in enumerate(pieces):
                mods = self._find(kind, piece, gender, first_word=(i == 0 and len(pieces) > 1))
                declined.append(self._apply(piece, mods[case]) if mods and piece else piece)
            parts.append("-".join(declined))
        return "".join(parts)


@lru_cache(maxsize=1)
def _inflector() -> _Inflector:
    from petrovich.main import DEFAULT_RULES_PATH

    with open(DEFAULT_RULES_PATH, encoding="utf-8") as fh:
        return _Inflector(json.load(fh))


def _sex_from_patronymic(middle: str | None) -> str | None:
    if not middle or not middle.split():
        return None
    ending = middle.split()[-1].lower()
    if ending.endswith(_FEMALE_PATRONYMIC):
        return "F"
    if ending.endswith(_MALE_PATRONYMIC):
        return "M"
    return None


def decline_full_name(
    last: str,
    first: str,
    middle: str | None,
    case: str,
    sex: str | None = None,
) -> str:
    """«Фамилия Имя Отчество» in a Russian grammatical case.

    ``case`` is one of :data:`CASES` (``"nominative"`` returns the name unchanged).  ``sex`` is
    ``"M"``, ``"F"`` or ``None``; when ``None`` it is taken from the patronymic ending
    (-вич/-ич, -улы/-ұлы → M; -вна/-ична, -кызы/-қызы → F), and if that says nothing the
    nominative is returned unchanged rather than a guess.  Words the rules do not cover stay as
    they are: Kazakh patronymics (Серикқызы, Нурланұлы), female names ending in a consonant
    (Айгерим), surnames in -ых/-ко, foreign names in Latin letters.  Male Kazakh names and
    surnames ending in a consonant decline as Russian grammar requires (Нурлан → Нурлана).
    """
    nominative = " ".join(p for p in (last, first, middle) if p and p.strip())
    if case == "nominative":
        return nominative
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; expected nominative or one of {sorted(CASES)}")
    if sex is not None:
        sex = sex.upper()
        if sex not in ("M", "F"):
            raise ValueError(f"sex must be 'M', 'F' or None, got {sex!r}")
    else:
        sex = _sex_from_patronymic(middle)
        if sex is None:
            return nominative
    gender = "male" if sex == "M" else "female"
    index = CASES[case]
    inflector = _inflector()
    words = [
        inflector.inflect(kind, value.strip(), index, gender)
        for kind, value in (("lastname", last), ("firstname", first), ("middlename", middle))
        if value and value.strip()
    ]
    return " ".join(words)
