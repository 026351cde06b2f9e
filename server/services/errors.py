"""Domain errors. They carry no HTTP status: api/ and web/ map them.

Every message says what happened and what to do. It is written in Russian (the staff's
language, and what the JSON API returns by default) as a gettext template with named
parameters, so the web UI can show it in Kazakh or English:

    raise Conflict("Задачу выполняет %(name)s", name=username)
    raise Invalid("Исправьте отмеченные поля", {"full_name": tr("Обязательное поле")})

The Russian templates are the msgids of the `errors` gettext domain (`make i18n` extracts
them: the error classes and `tr` are its keywords). Values are passed as parameters and
inserted after translation, so names and numbers stay as they are and a value can never act
as a format directive. `exc.message` and the values of `exc.fields` are `Msg` strings: the
Russian text itself, which remembers its template and parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.domain.iin import InvalidIIN


def _format(template: str, params: Mapping[str, str],
            render: Callable[[str], str]) -> str | None:
    """`template % params` with each value rendered by `render`; None when they do not fit."""
    if not params:
        return template
    try:
        return template % {key: render(value) for key, value in params.items()}
    except (KeyError, ValueError, TypeError):
        return None


class Msg(str):
    """A user-facing Russian text that keeps its gettext template and parameters.

    It compares, prints and serializes as the formatted Russian text; `translated` gives it
    in another language. A parameter that is itself a `Msg` is translated too.
    """

    template: str
    params: dict[str, str]

    def __new__(cls, template: str, params: Mapping[str, object] | None = None) -> Msg:
        params = {key: _param(value) for key, value in (params or {}).items()}
        text = _format(template, params, str)
        self = super().__new__(cls, template if text is None else text)
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return Msg, (self.template, self.params)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The text with `gettext` applied to the template and to every `Msg` parameter;
        the Russian text when the translation is missing or does not fit the parameters."""
        def render(value: str) -> str:
            return translate(value, gettext)

        translation = gettext(self.template) if self.template else self.template
        for template in (translation, self.template):
            text = _format(template, self.params, render)
            if text is not None:
                return text
        return str(self)


def _param(value: object) -> str:
    """A parameter as text: a `Msg` as it is; an engine message (server/engine/errors.py
    `Text`, or an `EngineError` carrying one) as a `Msg`, so it is translated too."""
    if isinstance(value, Msg):
        return value
    source = getattr(value, "translatable", None)
    if source is not None and isinstance(getattr(source, "template", None), str):
        return Msg(source.template, source.params)
    return str(value)


def tr(template: str, /, **params: object) -> Msg:
    """A translatable Russian text (a per-field reason, a part of a message)."""
    return Msg(template, params)


def joined(parts: list[str], separator: str = "; ") -> Msg:
    """Several texts as one, each translated on its own (e.g. the reasons of one element)."""
    params = {f"p{n}": part for n, part in enumerate(parts)}
    return Msg(separator.join(f"%({key})s" for key in params), params)


def iin_reason(exc: InvalidIIN) -> Msg:
    """Why an ИИН is invalid, translatable: its Russian reasons in server/domain/iin.py are
    msgids of the catalog too (keyword `InvalidIIN:2`), translated as its `reason_kk`."""
    return Msg(exc.reason_ru)


def msg_data(text: str | None) -> Any:
    """A text as JSON data that keeps it translatable (stored reports, see `msg_from_data`)."""
    if isinstance(text, Msg):
        return {"t": text.template, "p": {key: msg_data(value) for key, value in text.params.items()}}
    return text


def msg_from_data(data: Any) -> str | None:
    """The text `msg_data` stored: a `Msg` again where it was one."""
    if isinstance(data, dict):
        return Msg(str(data.get("t", "")), {key: msg_from_data(value) for key, value in
                                            (data.get("p") or {}).items()})
    return None if data is None else str(data)


def translate(text: str, gettext: Callable[[str], str]) -> str:
    """`text` in another language when it is a `Msg`; any other string as it is."""
    return text.translated(gettext) if isinstance(text, Msg) else text


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, /, fields: Mapping[str, str] | None = None,
                 **params: object) -> None:
        text = message if isinstance(message, Msg) and not params else Msg(message, params)
        super().__init__(text)
        self.message: Msg = text
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """A lost race or a state that no longer allows the action."""

    code = "conflict"


class Invalid(DomainError):
    """Input that fails validation; `fields` maps each field to its reason."""

    code = "invalid"


class ModelRejected(Invalid):
    code = "model_invalid"


class Unavailable(DomainError):
    """A capability this installation lacks (a program not installed); nothing changed."""

    code = "unavailable"
