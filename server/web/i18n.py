"""Languages of the staff UI (Flask-Babel catalogs in server/web/translations), the
translation of the services' error messages, and the formatting of dates in the
university's time zone.

Two gettext domains live in server/web/translations: `messages` (the UI's own texts, English
msgids, catalogs for ru/kk/en) and `errors` (the services' messages, Russian msgids, catalogs
for kk/en; see server/services/errors.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.support import Translations
from flask import Flask, current_app, g, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale

from server.domain import labels
from server.services.errors import DomainError, translate
from server.services.people.administration import list_faculties

LANGUAGES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
DEFAULT = "ru"
TRANSLATIONS = Path(__file__).parent / "translations"
ERRORS_DOMAIN = "errors"


def _locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    # English only when chosen: the office works in Russian and Kazakh.
    return request.accept_languages.best_match(["ru", "kk"]) or DEFAULT


def lang() -> str:
    return str(get_locale() or DEFAULT)


@lru_cache(maxsize=len(LANGUAGES))
def _error_catalog(locale: str) -> NullTranslations:
    """The `errors` catalog of a language; an empty one (Russian as written) when there is none."""
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale], domain=ERRORS_DOMAIN)


def localized(text: str, locale: str | None = None) -> str:
    """A service's text (`Msg`) in `locale`, by default the UI language; Russian where the
    catalog has no translation. Any other string is returned as it is."""
    return translate(text, _error_catalog(locale or lang()).gettext)


def localized_message(exc: DomainError, locale: str | None = None) -> str:
    return localized(exc.message, locale)


def localized_fields(exc: DomainError | Mapping[str, str], locale: str | None = None) -> dict[str, str]:
    """The per-field reasons of an error (or a mapping of them) in `locale`."""
    fields = exc.fields if isinstance(exc, DomainError) else exc
    return {name: localized(reason, locale) for name, reason in fields.items()}


def api_locale() -> str:
    """The language of the JSON API's messages: Russian unless the client asks for Kazakh or
    English in Accept-Language (the API ignores the UI's chosen language)."""
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT) or DEFAULT


def api_error_body(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON API's error body, its texts in the client's language (`api_locale`)."""
    locale = api_locale()
    return {"error": code, "message": localized(message, locale),
            "fields": localized_fields(fields or {}, locale)}


def pick(obj: Any, attr: str) -> str:
    """A bilingual value (`<attr>_ru` / `<attr>_kk`, attributes or keys) in the UI language;
    Russian where no Kazakh (or English) text exists."""
    def get(name: str) -> Any:
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    return str(get(f"{attr}_{lang()}") or get(f"{attr}_ru") or get(attr) or "")


def local_datetime(value: datetime | None, fmt: str = "dd.MM.yyyy HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd.MM.yyyy")
    return format_date(value, "dd.MM.yyyy")


def label(kind: str, code: Any) -> str:
    """A code in words in the UI language (server/domain/labels.py)."""
    return labels.label(kind, code, lang())


def registry_value(field: str, value: Any) -> str:
    """A registry field's value as people read it, in the UI language: a faculty by its name
    (its code only when the registry no longer has it), codes of the vocabulary in words, dates
    as dd.mm.yyyy."""
    if field == "faculty_code" and value:
        names = g.get("_faculty_names")
        if names is None:
            faculties = list_faculties(current_app.extensions["regoffice"])
            names = g._faculty_names = {f.code: f for f in faculties}
        faculty = names.get(value)
        return pick(faculty, "name") if faculty is not None else str(value)
    return labels.field_label(field, value, lang())


def init_babel(app: Flask, timezone: str) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT, BABEL_DEFAULT_TIMEZONE=timezone,
                      BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    Babel(app, locale_selector=_locale)
    app.jinja_env.globals.update(pick=pick, lang=lang, LANGUAGES=LANGUAGES, label=label,
                                  field_label=lambda f, v: labels.field_label(f, v, lang()),
                                  registry_value=registry_value)
    app.jinja_env.filters.update(dt=local_datetime, d=local_date, human=labels.humanize,
                                 decimal=lambda v, places=2: labels.decimal_text(v, lang(), places))
