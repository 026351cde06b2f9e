"""Corrections to SpiffWorkflow 3.2 behaviour the server relies on, applied once at import.

- A parallel multi-instance task whose input collection is missing fails with a bare
  `TypeError: 'NoneType' object is not iterable` (no task, no element); the sequential
  variant raises `WorkflowDataException` naming its input. Both now raise the latter, so the
  server answers the same 422 naming the element and the variable for both.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask

_create_children = ParallelMultiInstanceTask.create_children


def _create_children_checked(self: Any, my_task: Any) -> None:
    if self.data_input is not None and not self.data_input.exists(my_task):
        self.raise_data_exception("Missing data input for multiinstance task", my_task)
    _create_children(self, my_task)


if getattr(ParallelMultiInstanceTask.create_children, "__name__", "") != "_create_children_checked":
    ParallelMultiInstanceTask.create_children = _create_children_checked  # type: ignore[method-assign]
