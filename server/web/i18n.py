"""Languages of the staff UI (Flask-Babel catalogs in server/web/translations) and the
formatting of dates in the university's time zone."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale

LANGUAGES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
DEFAULT = "ru"
TRANSLATIONS = Path(__file__).parent / "translations"


def _locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    # English only when chosen: the office works in Russian and Kazakh.
    return request.accept_languages.best_match(["ru", "kk"]) or DEFAULT


def lang() -> str:
    return str(get_locale() or DEFAULT)


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


def init_babel(app: Flask, timezone: str) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT, BABEL_DEFAULT_TIMEZONE=timezone,
                      BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    Babel(app, locale_selector=_locale)
    app.jinja_env.globals.update(pick=pick, lang=lang, LANGUAGES=LANGUAGES)
    app.jinja_env.filters.update(dt=local_datetime, d=local_date)
