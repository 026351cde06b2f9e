"""The name of every value a document prints, in the document's language.

A Kazakh document prints Kazakh names only: a programme, a faculty, a university, a ground
without its Kazakh name raises `MissingName` instead of falling back to the Russian one, and
the `document/render` job turns that into an incident the registrar reads in Russian, Kazakh
and English (the document is not issued and no number is taken).

Programmes and faculties are named by the registry (programmes, faculties), which the issuing
job puts in effect with `using(names)` for the time a context is built; values typed in a form
(a receiving university, a dean's reasoning) come with their Kazakh field (`typed_name`).
Pure: the registry's names are plain data handed in by the caller."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("ru", "kk", "en")

# what -> (Russian genitive, Kazakh genitive, English) of the thing whose name is missing
WHAT: dict[str, tuple[str, str, str]] = {
    "programme": ("образовательной программы", "білім беру бағдарламасының", "the educational programme"),
    "faculty": ("факультета", "факультеттің", "the faculty"),
    "university": ("организации образования", "білім беру ұйымының", "the university"),
    "ground": ("основания", "негіздің", "the ground"),
    "reasoning": ("обоснования", "негіздеменің", "the reasoning"),
    "qualification": ("квалификации", "біліктіліктің", "the qualification"),
    "discipline": ("дисциплины", "пәннің", "the discipline"),
    "military_office": ("органа военного управления", "әскери басқару органының", "the military office"),
    "programme_group": ("группы образовательных программ", "білім беру бағдарламалары тобының",
                        "the group of educational programmes"),
}


class MissingName(LookupError):
    """A value printed in a `lang` document has no name in that language. The message is in
    Russian, Kazakh and English: it is what the registrar reads on the incident."""

    def __init__(self, what: str, value: str, lang: str = "kk") -> None:
        self.what, self.value, self.lang = what, value, lang
        ru, kk, en = WHAT.get(what, (what, what, what))
        super().__init__(
            f"Нет названия на казахском языке для {ru} «{value}»: внесите его (реестр или форма "
            f"задачи) и повторите задание. / «{value}» {kk} қазақша атауы жоқ: оны енгізіп "
            f"(тізілім немесе тапсырма нысаны), тапсырманы қайталаңыз. / {en.capitalize()} "
            f"«{value}» has no Kazakh name: enter it (registry or task form) and retry the job."
        )


@dataclass(frozen=True)
class Names:
    """The registry's names: code -> {language: name} for programmes and faculties."""

    programmes: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    faculties: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)


_names: ContextVar[Names | None] = ContextVar("registry_names", default=None)


@contextmanager
def using(names: Names) -> Iterator[Names]:
    """Put the registry's names in effect for the contexts built inside the block."""
    token = _names.set(names)
    try:
        yield names
    finally:
        _names.reset(token)


def _registry(kind: str, code: Any) -> Mapping[str, str | None]:
    names = _names.get()
    if names is None or not code:
        return {}
    return getattr(names, kind).get(str(code)) or {}


def _named(what: str, code: Any, lang: str, known: Mapping[str, str | None], ru: Any, kk: Any) -> str:
    """`known` (the registry) first, then the case's own values; a Kazakh name or MissingName."""
    russian = str(known.get("ru") or ru or "").strip()
    if lang == "ru":
        return russian
    name = str(known.get(lang) or (kk if lang == "kk" else "") or "").strip()
    if name or not (russian or code):
        return name
    raise MissingName(what, " ".join(p for p in (str(code or ""), russian) if p).strip(), lang)


def programme_name(code: Any, lang: str, *, ru: Any = "", kk: Any = "") -> str:
    """The programme's name in `lang`: the registry's by code, else the case's `ru`/`kk`."""
    return _named("programme", code, lang, _registry("programmes", code), ru, kk)


def faculty_name(code: Any, lang: str, *, ru: Any = "", kk: Any = "") -> str:
    """The faculty's name in `lang`: the registry's by code, else the case's `ru`/`kk`."""
    return _named("faculty", code, lang, _registry("faculties", code), ru, kk)


def typed_name(what: str, ru: Any, kk: Any, lang: str) -> str:
    """A name typed in a form with its Kazakh field beside it (`receiving_university` and
    `receiving_university_kk`): the Kazakh one, never the Russian one, in a Kazakh document."""
    return _named(what, "", lang, {}, ru, kk)


def ground_name(grounds: Mapping[str, tuple[str, str]], code: Any, lang: str) -> str:
    """A ground from a table of code -> (Russian, Kazakh) wordings."""
    pair = grounds.get(str(code or ""))
    if pair is None:
        raise MissingName("ground", str(code or ""), lang)
    return pair[1] if lang == "kk" else pair[0]


def programme_names(code: Any, *, ru: Any = "", kk: Any = "") -> dict[str, str]:
    """{"code", "name_ru", "name_kk"}: what an order's or a certificate's programme line prints."""
    return {"code": str(code or ""), "name_ru": programme_name(code, "ru", ru=ru, kk=kk),
            "name_kk": programme_name(code, "kk", ru=ru, kk=kk)}
