"""A user task's instructions (spiff `instructionsForEndUser`) are Jinja text written by the
model's author: rendered once, when the task is created, with the task's data, in a sandbox.
The result is plain text (pages escape it when they show it); a template that fails to
render is shown as written rather than losing the instructions."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

MAX_LENGTH = 4000
_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=False)


@functools.lru_cache(maxsize=1024)
def _compiled(template: str) -> Template:
    """A model's instructions are few and fixed per version: compile each once (compiling
    cost more than rendering)."""
    return _ENV.from_string(template)


def render_instructions(template: str | None, data: dict[str, Any]) -> str | None:
    if not template:
        return template
    if "{{" not in template and "{%" not in template:
        return template[:MAX_LENGTH]
    try:
        return _compiled(template).render(**data)[:MAX_LENGTH]
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        return template[:MAX_LENGTH]
