"""Form schemas (forms/<formKey>.schema.json or derived from camunda:formData) and
server-side validation of submitted data."""

from __future__ import annotations

import copy
import json
import re
import threading
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from server.domain.case_data import RESERVED_DATA_KEYS
from server.domain.iin import InvalidIIN, validate_iin
from server.services.errors import Invalid, iin_reason, tr

_FORMAT_CHECKER = FormatChecker()
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_LISTED_VALUES = 8  # an enum this long or shorter is listed in the reason


@_FORMAT_CHECKER.checks("iin", raises=ValueError)
def _check_iin(value: object) -> bool:
    if not isinstance(value, str):
        return True

    validate_iin(value)
    return True


# The reason shown for each failed JSON Schema keyword; a keyword missing here shows
# jsonschema's own (English) message.
_MESSAGES = {
    "required": tr("Обязательное поле"),
    "type": tr("Неверный тип значения"),
    "pattern": tr("Неверный формат"),
    "additionalProperties": tr("Неизвестное поле"),
    "const": tr("Недопустимое значение"),
    "minItems": tr("Слишком мало строк"),
    "maxItems": tr("Слишком много строк"),
}


class FormRegistry:
    """Loads and caches form schemas from the forms folder (reloaded when a file changes)."""

    def __init__(self, forms_dir: Path) -> None:
        self.forms_dir = forms_dir
        self._cache: dict[str, tuple[float, dict[str, Any], Draft202012Validator]] = {}
        self._lock = threading.Lock()

    def path(self, form_key: str) -> Path:
        if ".." in form_key or form_key.startswith("/") or len(form_key) > 200:
            raise Invalid("Недопустимый ключ формы: %(form_key)s", form_key=form_key[:100])
        return self.forms_dir / f"{form_key}.schema.json"

    def exists(self, form_key: str) -> bool:
        return form_key.startswith("camunda:") or self.path(form_key).is_file()

    def load(self, form_key: str) -> tuple[dict[str, Any], Draft202012Validator]:
        path = self.path(form_key)
        mtime = path.stat().st_mtime
        with self._lock:
            hit = self._cache.get(form_key)
            if hit and hit[0] == mtime:
                return hit[1], hit[2]
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
        with self._lock:
            self._cache[form_key] = (mtime, schema, validator)
        return schema, validator

    def ui_schema(self, form_key: str) -> dict[str, Any] | None:
        path = self.forms_dir / f"{form_key}.uischema.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def check_all(self) -> list[str]:
        """Every schema under forms/ is valid JSON Schema: a list of problems."""
        problems = []
        for path in sorted(self.forms_dir.rglob("*.schema.json")):
            try:
                Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
            except (json.JSONDecodeError, SchemaError) as exc:
                rel = path.relative_to(self.forms_dir)
                problems.append(f"forms/{rel}: {getattr(exc, 'message', exc)}")
        return problems


def _field_of(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        path.append(missing[0] if missing else "")
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        path.append(extra[0] if extra else "")
    return ".".join(p for p in path if p) or "_form"


def _message_of(error: Any) -> str:
    """The reason for one failed keyword, in the form's terms."""
    limit = error.validator_value
    match error.validator:
        case "format":
            return _format_reason(error.cause)
        case "enum" if len(limit) > _LISTED_VALUES:  # a registry's list: name the value, not the list
            return tr("«%(value)s» нет в справочнике: выберите значение из списка",
                      value=str(error.instance)[:100])
        case "enum":
            return tr("Выберите значение из списка: %(values)s", values=", ".join(map(str, limit)))
        case "minimum":
            return tr("Значение меньше допустимого (%(limit)s)", limit=limit)
        case "maximum":
            return tr("Значение больше допустимого (%(limit)s)", limit=limit)
        case "minLength":
            return tr("Слишком короткое значение (%(limit)s)", limit=limit)
        case "maxLength":
            return tr("Слишком длинное значение (%(limit)s)", limit=limit)
    return _MESSAGES.get(error.validator, error.message)


def _format_reason(cause: BaseException | None) -> str:
    if isinstance(cause, InvalidIIN):
        return iin_reason(cause)
    if cause is None:
        return tr("Неверный формат")
    return tr("Неверный формат: %(detail)s", detail=cause)


def validate_submission(schema: dict[str, Any] | None, validator: Draft202012Validator | None,
                        data: Any) -> dict[str, Any]:
    """Validate submitted task data; raise `Invalid` listing every field and reason.

    Only fields the form declares are accepted, so a submission cannot overwrite case
    variables (the student, the outcome) it has no field for. A declared field left out
    takes the form's default, as it would in the filled-in form (camunda:formData
    defaultValue): gateways and decisions that read it then find a value.
    """
    if not isinstance(data, dict):
        raise Invalid("Данные формы должны быть объектом JSON", {"_form": tr("Ожидается объект")})
    fields: dict[str, str] = {}
    if schema is None or validator is None:
        for key in data:
            if not _IDENT.match(str(key)) or key in RESERVED_DATA_KEYS:
                fields[str(key)] = tr("Недопустимое имя поля")
    else:
        properties = schema.get("properties") or {}
        defaults = {name: copy.deepcopy(prop["default"]) for name, prop in properties.items()
                    if isinstance(prop, dict) and "default" in prop and name not in data}
        data = {**data, **defaults}
        declared = set(properties.keys())
        for key in data:
            if key not in declared:
                fields[str(key)] = tr("Неизвестное поле: его нет в форме")
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
            fields.setdefault(_field_of(error), _message_of(error))
    if fields:
        raise Invalid("Форма заполнена с ошибками: исправьте отмеченные поля", fields)
    return data


def camunda_validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
