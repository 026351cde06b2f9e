"""The restricted script environment for BPMN scripts, conditions, timers and DMN.

SpiffWorkflow `exec`s scripts with full builtins (no sandbox). Three layers protect us:
1. `check_code` rejects, at deploy time, any code that imports, touches private names or
   the internals of frames, generators and functions (`gi_frame`, `f_back`, ...), names
   `type`, `getattr`, `format`..., calls `.format`/`.format_map` (an attribute walk inside a
   string), calls a name outside the allowed builtins and the server's functions, or could
   outlive its budget (`finally`, bare `except:`);
2. at run time the same check runs again on every piece of code before it is compiled (once
   per text: a model stored before a rule was added is held to it too), the code runs under
   a budget (server/engine/budget.py) and sees a restricted `__builtins__`;
3. every callable it sees is sealed: no attribute chain leads from it to the server.
"""

from __future__ import annotations

import ast
import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from types import BuiltinFunctionType, CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask

from server.engine.budget import (
    Budget,
    ScriptLimitError,
    ScriptLimits,
    guarded_code,
    seal,
    seal_server_function,
    sealed_guards,
)
from server.engine.errors import tr

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
# Names scripts written for other engines use: `print` (a log line in the case history) and
# date arithmetic. They are values, never modules: `datetime` is a read-only namespace.
PORTABLE_NAMES = frozenset({"print", "datetime", "timedelta", "now"})
PRINT_MAX_LINES = 20  # per engine step; the rest is counted, not kept
PRINT_MAX_CHARS = 500  # per line
# Names a script may not even mention: each reaches code, frames or attributes by a string.
FORBIDDEN_NAMES = frozenset({
    "type", "vars", "dir", "getattr", "setattr", "delattr", "hasattr", "globals", "locals",
    "eval", "exec", "compile", "open", "format", "format_map", "breakpoint", "iter", "object",
    "super", "memoryview", "classmethod", "staticmethod", "property", "mro", "help", "input",
})
# Attributes of frames, generators, coroutines, tracebacks, code and old-style function names.
_FORBIDDEN_ATTR_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_", "func_")
# Exceptions a script may catch: none of them is a parent of budget.ScriptLimitExceeded.
_CATCHABLE = frozenset({"Exception", "ValueError", "KeyError", "TypeError"})
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
    ast.With,
    ast.AsyncWith,
    ast.AsyncFor,
    ast.TryStar,
)


class _DatetimeNamespace:
    """`datetime.date`, `datetime.datetime`, `datetime.timedelta`, `datetime.time` and
    `datetime.now()` as scripts from other tools write them (with `import datetime`), without
    the module. No instance attributes (`__slots__ = ()`): a script cannot change it."""

    __slots__ = ()
    date = date
    datetime = datetime
    time = dtime
    timedelta = timedelta
    # No methods of its own: a Python function here would lead to this module's globals.


def _now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class ScriptRejected(ValueError):
    """A script or expression uses something the restricted environment forbids."""


def reason_of(exc: BaseException) -> Any:
    """An exception's message, keeping its translatable `Text` when it has one."""
    return exc.args[0] if exc.args else str(exc)


@dataclass
class ScriptFunctions:
    """Functions the server offers to models (e.g. `working_days(3)` for timers), and the
    limits model code runs under. Scripts get them sealed (see `RestrictedEnvironment`)."""

    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    limits: ScriptLimits = field(default_factory=ScriptLimits)
    _globals: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.functions)

    def script_globals(self) -> dict[str, Any]:
        """What model code sees: sealed builtins, guards and functions (built once; each
        environment gets a copy)."""
        if self._globals is None:
            builtins_ = _sealed_builtins(self.limits)
            env_globals: dict[str, Any] = {"__builtins__": builtins_}
            env_globals.update({n: v for n, v in builtins_.items() if n.startswith("_g_")})
            env_globals.update({name: seal_server_function(fn, name) for name, fn in self.functions.items()})
            self._globals = env_globals
        return dict(self._globals)


def check_code(code: str, *, mode: str, allowed_calls: frozenset[str]) -> None:
    """Reject code that escapes the sandbox or its budget. `mode` is "exec" or "eval"."""
    try:
        tree = ast.parse(code, mode=mode)
    except SyntaxError as exc:
        raise ScriptRejected(tr("синтаксическая ошибка в строке %(line)s: %(detail)s", line=exc.lineno,
                                 detail=exc.msg)) from None
    defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    called: set[int] = set()
    for node in ast.walk(tree):
        _check_node(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if (name not in allowed_calls and name not in SAFE_BUILTINS and name not in PORTABLE_NAMES
                    and name not in defined):
                raise ScriptRejected(tr("вызов «%(name)s» запрещён", name=name))
            called.add(id(node.func))
    for node in ast.walk(tree):  # a server function is called, never passed or formatted
        if isinstance(node, ast.Name) and node.id in allowed_calls and id(node) not in called:
            raise ScriptRejected(tr("функцию «%(name)s» можно только вызвать", name=node.id))


def _check_node(node: ast.AST) -> None:
    if isinstance(node, _FORBIDDEN_NODES):
        raise ScriptRejected(tr("конструкция «%(name)s» запрещена в скриптах модели",
                                 name=type(node).__name__))
    if isinstance(node, ast.FunctionDef):
        raise ScriptRejected(tr("определение функций в скриптах модели запрещено"))
    if isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr in FORBIDDEN_NAMES
            or node.attr.startswith(_FORBIDDEN_ATTR_PREFIXES)):
        raise ScriptRejected(tr("обращение к «%(name)s» запрещено", name=node.attr))
    if isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in FORBIDDEN_NAMES):
        raise ScriptRejected(tr("имя «%(name)s» запрещено", name=node.id))
    if isinstance(node, ast.Try):
        _check_try(node)


def _check_try(node: ast.Try) -> None:
    """The budget's error must end the code: no `finally`, and `except` only with the listed
    exception names (none of them catches it)."""
    if node.finalbody:
        raise ScriptRejected(tr("«finally» запрещён в скриптах модели"))
    for handler in node.handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            if not isinstance(kind, ast.Name) or kind.id not in _CATCHABLE:
                raise ScriptRejected(tr("в «except» допускаются только %(names)s",
                                        names=", ".join(sorted(_CATCHABLE))))


@lru_cache(maxsize=2048)
def _checked(code: str, mode: str, allowed_calls: frozenset[str]) -> CodeType:
    """The run-time check: the deploy-time rules again, then the guarded, compiled code."""
    check_code(code, mode=mode, allowed_calls=allowed_calls)
    return guarded_code(code, mode)


def _datetime_import(name: str, *args: Any, **kwargs: Any) -> None:
    """Load `time` or `_strptime` for the C code that asked, and give it nothing: C's
    `PyImport_Import` discards what `__import__` returns and takes the module from
    `sys.modules`, so no module object ever reaches model code this way."""
    if name not in ("time", "_strptime"):
        raise ImportError(name)
    builtins.__import__(name)


@lru_cache(maxsize=16)
def _sealed_builtins(limits: ScriptLimits) -> dict[str, Any]:
    """SAFE_BUILTINS with every builtin function sealed (their `__self__` is the builtins
    module) and `range` bounded; the types stay (no attribute chain from a type reaches a
    module or an instance without a call)."""
    sealed: dict[str, Any] = {}
    for name, value in SAFE_BUILTINS.items():
        sealed[name] = seal(value, name) if isinstance(value, BuiltinFunctionType) else value
    guards = dict(sealed_guards(limits))
    sealed["range"] = guards.pop("_g_range")
    # C code of the datetime types imports `time` (date.today, strftime) and `_strptime`
    # through the builtins of the calling frame; model code cannot name `__import__` (the
    # check refuses names with a leading underscore), and only these two resolve.
    sealed["__import__"] = seal(_datetime_import, "__import__")
    sealed.update(guards)
    return sealed


class RestrictedEnvironment(TaskDataEnvironment):
    """Task-data environment with restricted builtins and the server's functions, sealed,
    every evaluation re-checked and run under the budget."""

    def __init__(self, functions: ScriptFunctions) -> None:
        self.limits = functions.limits
        self.allowed = functions.names
        self.budget = Budget(self.limits)
        self.printed: list[ScriptLog] = []
        self.element: str | None = None  # the element whose code runs now (for print)
        script_globals = functions.script_globals()
        script_globals.update({"datetime": _DATETIME, "timedelta": timedelta, "now": seal(_now, "now"),
                               "print": seal(self._print, "print")})
        super().__init__(script_globals)

    def _print(self, *values: Any, sep: Any = " ", end: Any = "\n") -> None:
        """`print` in model code: one log line of the case history (bounded; not stdout)."""
        text = str(sep if sep is not None else " ").join(str(v) for v in values)
        log = next((entry for entry in self.printed if entry.element == self.element), None)
        if log is None:
            log = ScriptLog(self.element or "?")
            self.printed.append(log)
        if len(log.lines) >= PRINT_MAX_LINES:
            log.omitted += 1
            return
        log.lines.append(text if len(text) <= PRINT_MAX_CHARS else text[:PRINT_MAX_CHARS - 1] + "…")

    def take_printed(self) -> list[ScriptLog]:
        """The lines printed since the last call, per element."""
        printed, self.printed = self.printed, []
        return printed

    def _code(self, code: str, mode: str) -> CodeType:
        try:
            return _checked(code, mode, self.allowed)
        except ScriptRejected as exc:
            raise ScriptRejected(tr("код модели не проходит проверку: %(reason)s",
                                    reason=reason_of(exc))) from None

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        code = self._code(expression, "eval")
        my_globals = dict(self.globals)
        my_globals.update(external_context or {})
        my_globals.update(context)
        return self.budget.run(lambda: eval(code, my_globals))

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = self._code(script, "exec")
        context.update(self.globals)
        context.update(external_context or {})
        try:
            self.budget.run(lambda: exec(code, context))
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        _check_state_size(context, self.limits.max_state_bytes)
        return True


def _check_state_size(data: dict[str, Any], limit: int) -> None:
    """The data a script leaves is bounded (it becomes the case's stored state)."""
    try:
        size = len(json.dumps(data, default=str, ensure_ascii=False).encode())
    except (TypeError, ValueError, RecursionError):
        return  # the serializer reports what it cannot store
    if size > limit:
        raise ScriptLimitError(tr("данные дела после скрипта занимают %(size)s байт (предел %(limit)s байт, "
                                  "настройка REGOFFICE_SCRIPT_MAX_STATE_BYTES)", size=size, limit=limit),
                               "max_state_bytes")


@dataclass
class ScriptLog:
    """What the code of one element printed during a step."""

    element: str
    lines: list[str] = field(default_factory=list)
    omitted: int = 0  # lines over PRINT_MAX_LINES, counted only


_DATETIME = _DatetimeNamespace()


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

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        self.environment.element = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
        try:
            return super().execute(task, script, external_context)
        finally:
            self.environment.element = None

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        self.environment.element = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
        try:
            return super().evaluate(task, expression, external_context)
        finally:
            self.environment.element = None

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
