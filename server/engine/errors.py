"""Engine errors. They carry no HTTP status; the API and UI map them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Text(str):
    """A Russian message of the engine that keeps its gettext template and parameters (msgids
    of the `errors` catalog, keyword `tr`): the services show it translated (their `Msg`
    reads `translatable`). The engine knows nothing of the web's languages."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: dict[str, Any]) -> Text:
        params = {k: v if isinstance(v, Text) else str(v) for k, v in params.items()}
        self = super().__new__(cls, template % params if params else template)
        self.template = template
        self.params = params
        return self

    @property
    def translatable(self) -> Text:
        return self


def tr(template: str, /, **params: Any) -> Text:
    return Text(template, params)


@dataclass(frozen=True)
class ModelIssue:
    """One problem found in a model: the file, the element id (if any) and why."""

    file: str
    element: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.element}]" if self.element else "")
        return f"{where}: {self.reason}"


class ModelError(Exception):
    """A model cannot be deployed; `issues` lists every problem found."""

    def __init__(self, issues: list[ModelIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))


class EngineError(Exception):
    """A running workflow failed (a script raised, a condition could not be evaluated).
    `missing_name`: the case variable a script or condition read and the case does not have."""

    def __init__(self, message: str, element: str | None = None, missing_name: str | None = None) -> None:
        self.element = element
        self.missing_name = missing_name
        # A message the services can translate (the budget's and the sandbox's), else None.
        self.translatable = message if isinstance(message, Text) else None
        super().__init__(message)


class TaskNotReady(Exception):
    """The task is not (or no longer) ready in the engine."""
