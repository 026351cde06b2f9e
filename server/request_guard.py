"""One gate for hostile request input, before any view runs (API and staff UI alike).

Some values are valid HTTP but cannot be handled below: PostgreSQL refuses a NUL character in
text, a lone UTF-16 surrogate cannot be encoded as UTF-8 (the database, the response), JSON
nested thousands deep exhausts Python's recursion, a 5,000-digit integer exceeds Python's
int-to-str limit. Each such request is refused here with 422 naming the
parameter (or the JSON path) and the reason, before a transaction starts; nothing is stored.
A path value (an id) holding a NUL names nothing: 404. Other control characters are left alone
(CR/LF in textareas; CR/LF or TAB in `?next=` is for the sign-in and language pages to
normalise: server/web/redirects.py).

`int_param` is the shared parser of numeric query parameters (`page=`, `faculty=`, `year=`…).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import NotFound

from server.db import DB_INT_MAX
from server.services.errors import Invalid, Msg, tr

MAX_JSON_DEPTH = 32  # the deepest form (a table of rows) needs 5
MAX_INT_DIGITS = 18  # any integer the database stores (64-bit) fits
MAX_PAGE = 100_000  # far beyond any list; keeps OFFSET a small number
# No text may hold a NUL or a surrogate (query strings and form bodies decode invalid UTF-8 to
# U+FFFD, so surrogates arrive through JSON escapes only).
_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")


def _reason(text: str) -> Msg | None:
    found = _NUL_OR_SURROGATE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return tr("содержит нулевой символ (NUL)")
    return tr("содержит одиночный суррогатный символ UTF-16")


def _refuse(field: str, reason: Msg) -> Invalid:
    field = field if len(field) <= 100 else field[:99] + "…"
    return Invalid("Запрос отклонён: недопустимое значение %(field)s (%(reason)s)", {field: reason},
                   field=field, reason=reason)


# --- JSON ------------------------------------------------------------------------------------
def _too_deep() -> Msg:
    return tr("вложенность JSON глубже %(depth)s уровней", depth=MAX_JSON_DEPTH)


class _Refused:
    """Stands in for a number the guard refuses, so `check_json` can name its path."""

    def __init__(self, reason: Msg) -> None:
        self.reason = reason


def _parse_int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return _Refused(tr("целое число длиннее %(digits)s цифр", digits=MAX_INT_DIGITS))
    return int(text)


def _parse_float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(tr("число вне допустимого диапазона"))


def _parse_constant(text: str) -> _Refused:
    return _Refused(tr("значение %(value)s не является числом JSON", value=text))


def load_json(raw: bytes | str) -> Any:
    """JSON parsed with the guard's limits, checked by `check_json`: raises Invalid naming the
    value's path. Syntax errors are left to the caller's parser (ValueError)."""
    try:
        document = json.loads(raw, parse_int=_parse_int, parse_float=_parse_float,
                              parse_constant=_parse_constant)
    except RecursionError:
        raise _refuse("body", _too_deep()) from None
    check_json(document)
    return document


def check_json(value: Any) -> None:
    """Walk a parsed document without recursion: depth, and NUL/surrogates in keys and strings.
    The field named is the value's path (`data.items.0.name`)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _refuse(path or "body", _too_deep())
        if isinstance(item, _Refused):
            raise _refuse(path or "body", item.reason)
        if isinstance(item, str):
            reason = _reason(item)
            if reason:
                raise _refuse(path or "body", reason)
        elif isinstance(item, dict):
            for key, sub in item.items():
                where = f"{path}.{key}" if path else str(key)
                reason = _reason(key)
                if reason:
                    raise _refuse(path or "body", tr("имя поля %(reason)s", reason=reason))
                stack.append((sub, where, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}.{i}" if path else str(i), depth + 1) for i, sub in enumerate(item))


# --- the gate --------------------------------------------------------------------------------
def _check_pairs(pairs: Any) -> None:
    for name, value in pairs:
        reason = _reason(name)
        if reason:  # the name itself is not printable as a field name
            raise _refuse("?", tr("имя параметра %(reason)s", reason=reason))
        reason = _reason(value)
        if reason:
            raise _refuse(name, reason)


def guard_request() -> None:
    """`before_request`: refuse hostile path, query, form and JSON values (see module doc)."""
    for value in (request.view_args or {}).values():  # an id with NUL names nothing: 404
        if isinstance(value, str) and _NUL_OR_SURROGATE.search(value):
            raise NotFound()
    _check_pairs(request.args.items(multi=True))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _check_pairs(request.form.items(multi=True))
            _check_pairs((name, f.filename or "") for name, f in request.files.items(multi=True))
        elif request.is_json:
            raw = request.get_data(cache=True)
            if raw.strip():
                try:
                    load_json(raw)
                except ValueError:
                    return  # not JSON at all: the route's parser answers its own 400


def whole_number(raw: str, name: str, *, low: int = 1, high: int = DB_INT_MAX) -> int | None:
    """A whole number in [low, high] typed in a query parameter or form field `name`; None when
    empty; otherwise Invalid (422) naming it. Digits are counted before converting, so a value
    of thousands of digits costs nothing (Python refuses to convert those: a 500 before)."""
    raw = raw.strip()
    if not raw:
        return None
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= len(str(high)) + 1
            and low <= int(raw) <= high):
        reason = tr("ожидается целое число от %(low)s до %(high)s", low=low, high=high)
        raise Invalid("Неверный параметр запроса %(name)s: %(reason)s", {name: reason},
                      name=name, reason=reason)
    return int(raw)


def int_param(name: str, *, low: int = 1, high: int = DB_INT_MAX) -> int | None:
    """The shared parser of numeric query parameters (`faculty=`, `year=`…): see whole_number."""
    return whole_number(request.args.get(name, ""), name, low=low, high=high)


def page_param(name: str = "page") -> int:
    return int_param(name, high=MAX_PAGE) or 1


def init_guard(app: Flask) -> None:
    app.before_request(guard_request)
