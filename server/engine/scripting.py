"""The restricted script environment for BPMN scripts, conditions, timers and DMN.

SpiffWorkflow `exec`s scripts with full builtins (no sandbox). Two layers protect us:
1. `check_expression` / `check_script` reject, at deploy time, any code that imports,
   touches dunder or private names, or calls a name outside the allowed builtins and the
   server's functions;
2. at run time scripts get a restricted `__builtins__` with no `open`, `__import__`,
   `eval`, `exec`, `getattr` and the like.
"""

from __future__ import annotations

import ast
import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask

_SAFE_BUILTIN_NAMES = [
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "range",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "True",
    "False",
    "None",
    "ValueError",
    "KeyError",
    "TypeError",
    "Exception",
]
SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
_FORBIDDEN_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.Lambda,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
)


class ScriptRejected(ValueError):
    """A script or expression uses something the restricted environment forbids."""


@dataclass
class ScriptFunctions:
    """Functions the server offers to models (e.g. `working_days(3)` for timers)."""

    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.functions)


def check_code(code: str, *, mode: str, allowed_calls: frozenset[str]) -> None:
    """Reject code that escapes the sandbox. `mode` is "exec" or "eval"."""
    try:
        tree = ast.parse(code, mode=mode)
    except SyntaxError as exc:
        raise ScriptRejected(f"синтаксическая ошибка в строке {exc.lineno}: {exc.msg}") from None
    defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(tree):
        if isinstance(node, _FORBIDDEN_NODES):
            raise ScriptRejected(f"конструкция «{type(node).__name__}» запрещена в скриптах модели")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ScriptRejected(f"обращение к «{node.attr}» запрещено")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptRejected(f"имя «{node.id}» запрещено")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in allowed_calls and name not in SAFE_BUILTINS and name not in defined:
                raise ScriptRejected(f"вызов «{name}» запрещён")
        if isinstance(node, ast.FunctionDef):
            raise ScriptRejected("определение функций в скриптах модели запрещено")


class RestrictedEnvironment(TaskDataEnvironment):
    """Task-data environment with restricted builtins and the server's functions."""

    def __init__(self, functions: ScriptFunctions) -> None:
        env_globals: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, "json": None}
        env_globals.pop("json")
        env_globals.update(functions.functions)
        super().__init__(env_globals)


@dataclass
class ServiceCall:
    """A service task reached by the engine: the services layer acts on it after the step."""

    task_id: str
    spec_name: str
    operator: str
    params: dict[str, Any]
    is_async: bool


class CaseScriptEngine(PythonScriptEngine):
    """One per workflow instance: it collects the service calls made during a step."""

    def __init__(self, functions: ScriptFunctions, async_operators: frozenset[str]) -> None:
        super().__init__(environment=RestrictedEnvironment(functions))
        self.async_operators = async_operators
        self.calls: list[ServiceCall] = []

    def record_call(self, task: Any, operator: str, params: dict[str, Any]) -> bool:
        is_async = operator in self.async_operators
        self.calls.append(ServiceCall(str(task.id), task.task_spec.name, operator, params, is_async))
        return is_async


class RegofficeServiceTask(SpiffServiceTask):
    """A spiff service task whose operator is executed by the server.

    Synchronous operators (audit-style side effects such as `case/escalate`) complete at
    once with `{}` as their result; asynchronous ones (document rendering) leave the task
    STARTED until a background job finishes it (`Instance.complete_service_task`).
    """

    def _execute(self, task: Any) -> bool | None:
        engine = task.workflow.script_engine
        params = {name: p["value"] for name, p in self.evaluate_params(task).items()}
        params = json.loads(json.dumps(params, default=str))
        if isinstance(engine, CaseScriptEngine) and engine.record_call(task, self.operation_name, params):
            return None
        task.data[self.result_variable] = {}
        return True
