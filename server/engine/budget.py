"""The budget every piece of model code runs under, and the sealed callables it is given.

Budget: model code is rewritten (AST) so that every loop turn and every comprehension item
calls `_g_tick()`, which counts them and checks a wall-clock cap every 256 turns (model code
has no functions, lambdas or recursion, so loops are the only way to run long). C-level work
one operation can start is bounded before it starts: the length of a `range`, the results of
`*`, `**`, `<<`, `+`, of the string methods that pad, join or replace, and of an f-string's
width. The error raised derives from `BaseException`, so `except Exception` in a script
cannot swallow it (`finally` and bare `except:` are refused by the code check).

Sealed callables: every function handed to model code is a bare function object whose only
global is a `ContextVar` holding the real callable as its default. A ContextVar gives its
value only when called, so no chain of attribute or item lookups (`__self__`, `__globals__`,
`__closure__`, `__wrapped__`, a format string's `{0.x[y]}`) reaches the server's objects.
"""

from __future__ import annotations

import ast
import re
import threading
import time
import types
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import Any

from server.engine.errors import Text, tr

# Model code is compiled under this name (SpiffWorkflow looks for it to report the line).
SCRIPT_FILENAME = "<string>"


@dataclass(frozen=True)
class ScriptLimits:
    """Limits of one evaluation of a script, condition, DMN or timer expression."""

    max_steps: int = 1_000_000  # line events (a loop turn is one)
    max_seconds: float = 5.0  # wall clock
    max_items: int = 1_000_000  # length of a range, string, list or tuple one operation makes
    max_int_bits: int = 100_000  # size of an integer one operation makes (~30,000 digits)
    max_state_bytes: int = 2_000_000  # the task data a script leaves (JSON)
    max_engine_tasks: int = 1_000  # tasks the engine runs in one step without a person (a cycle)
    max_call_depth: int = 25  # call activities and subprocesses nested in one another
    max_engine_seconds: float = 20.0  # wall clock of one engine step (all its tasks together)


class ScriptLimitExceeded(BaseException):
    """Model code ran past a limit. A BaseException: `except Exception` does not catch it."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class ScriptLimitError(Exception):
    """What the engine sees once the code has stopped: SpiffWorkflow wraps it with the task."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


# --- sealed callables -------------------------------------------------------------------

def _sealed_template(*args: Any, **kwargs: Any) -> Any:
    return _target.get()(*args, **kwargs)  # type: ignore[name-defined]  # noqa: F821


def seal(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`fn` as a function whose attributes lead nowhere (see the module's docstring)."""
    sealed = types.FunctionType(_sealed_template.__code__.replace(co_filename="<sealed>"),
                                {"__builtins__": {}, "_target": ContextVar(name, default=fn)}, name)
    sealed.__qualname__ = name
    sealed.__module__ = None  # type: ignore[assignment]
    sealed.__doc__ = None
    return sealed


_PLAIN_ATOMS = (str, int, float, bool, type(None), date, datetime, dtime, timedelta)


def plain(value: Any, depth: int = 0) -> Any:
    """`value` if it is plain data (JSON-like, dates), else TypeError: what server functions
    return to a script must hold no objects with reachable internals."""
    if isinstance(value, _PLAIN_ATOMS) and type(value) in _PLAIN_ATOMS:
        return value
    if depth < 50 and type(value) in (list, tuple):
        for item in value:
            plain(item, depth + 1)
        return value
    if depth < 50 and type(value) is dict:
        for key, item in value.items():
            plain(key, depth + 1)
            plain(item, depth + 1)
        return value
    raise TypeError(f"функция сервера вернула не данные: {type(value).__name__}")


def seal_server_function(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        return plain(fn(*args, **kwargs))

    return seal(checked, name)


# --- bounded C-level operations ---------------------------------------------------------

def _limit(message: Text, limit: str) -> ScriptLimitExceeded:
    return ScriptLimitExceeded(message, limit)


def _guards(limits: ScriptLimits) -> dict[str, Callable[..., Any]]:
    """The helpers the rewritten code calls (names a model cannot write: they start with _)."""
    max_items, max_bits = limits.max_items, limits.max_int_bits
    sized = (str, list, tuple, bytes)

    def too_long(n: int) -> ScriptLimitExceeded:
        return _limit(tr("операция создаёт последовательность из %(size)s элементов (предел %(limit)s)",
                         size=n, limit=max_items), "max_items")

    def too_big() -> ScriptLimitExceeded:
        return _limit(tr("операция создаёт число больше %(limit)s бит", limit=max_bits), "max_int_bits")

    def g_range(*args: int) -> range:
        r = range(*args)
        if len(r) > max_items:
            raise too_long(len(r))
        return r

    def g_mul(a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, sized):
            a, b = b, a
        if isinstance(a, sized) and isinstance(b, int):
            if len(a) * b > max_items:
                raise too_long(len(a) * b)
        elif (isinstance(a, int) and isinstance(b, int)
              and a.bit_length() + b.bit_length() > max_bits):
            raise too_big()
        return a * b

    def g_pow(a: Any, b: Any) -> Any:
        if (isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1
                and a.bit_length() * b > max_bits):
            raise too_big()
        return a**b

    def g_lshift(a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and a and a.bit_length() + b > max_bits:
            raise too_big()
        return a << b

    def g_add(a: Any, b: Any) -> Any:
        if isinstance(a, sized) and isinstance(b, sized) and len(a) + len(b) > max_items:
            raise too_long(len(a) + len(b))
        return a + b

    def g_call(obj: Any, method: str, *args: Any) -> Any:
        if method == "join" and args and not isinstance(args[0], list | tuple):
            args = (list(args[0]), *args[1:])
        if isinstance(obj, str | bytes) and (size := _method_size(obj, method, args)) > max_items:
            raise too_long(size)
        return getattr(obj, method)(*args)

    def g_format(value: Any, spec: str, conversion: int) -> str:
        if conversion != -1:
            value = {ord("r"): repr, ord("s"): str, ord("a"): ascii}[conversion](value)
        widths = [int(n) for n in _DIGITS.findall(spec)]
        if widths and max(widths) > max_items:
            raise too_long(max(widths))
        return format(value, spec)

    return {"_g_range": g_range, "_g_mul": g_mul, "_g_pow": g_pow, "_g_lshift": g_lshift,
            "_g_add": g_add, "_g_call": g_call, "_g_format": g_format}


# String methods whose result can be far longer than their inputs.
SIZED_METHODS = frozenset({"join", "replace", "ljust", "rjust", "center", "zfill", "expandtabs"})
_DIGITS = re.compile(r"\d+")


def _method_size(obj: str | bytes, method: str, args: tuple[Any, ...]) -> int:
    """An upper bound of the length of `obj.method(*args)`."""
    if method == "join":
        items = args[0] if args and isinstance(args[0], list | tuple) else []
        return sum(len(i) for i in items if isinstance(i, str | bytes)) + len(obj) * len(items)
    if method == "replace" and len(args) >= 2 and isinstance(args[1], str | bytes):
        return len(obj) + (len(obj) + 1) * len(args[1])
    if method == "expandtabs":
        return len(obj) * (int(args[0]) if args and isinstance(args[0], int) else 8)
    if args and isinstance(args[0], int):  # ljust, rjust, center, zfill: a width
        return max(len(obj), args[0])
    return len(obj)


@lru_cache(maxsize=16)
def sealed_guards(limits: ScriptLimits) -> dict[str, Callable[..., Any]]:
    """The guards, sealed, once per set of limits (callers copy the dict)."""
    guards = _guards(limits)
    guards["_g_tick"] = _tick_active
    return {name: seal(fn, name) for name, fn in guards.items()}


_GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Mult: "_g_mul", ast.Pow: "_g_pow", ast.LShift: "_g_lshift", ast.Add: "_g_add"}


def _tick() -> ast.expr:
    return ast.Call(ast.Name("_g_tick", ast.Load()), [], [])


class _Guard(ast.NodeTransformer):
    """`a * b` → `_g_mul(a, b)` (and `**`, `<<`, `+`; `x *= y` → `x = _g_mul(x, y)`);
    `_g_tick()` first in every loop body and as the first condition of every comprehension;
    `s.join(x)` → `_g_call(s, "join", x)` for the methods that can build a huge string;
    an f-string's `{x:spec}` → `{_g_format(x, spec)}`."""

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.Expr(_tick()))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.Expr(_tick()))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.ifs.insert(0, ast.UnaryOp(ast.Not(), _tick()))  # _g_tick() returns None
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SIZED_METHODS and not node.keywords:
            return ast.copy_location(ast.Call(ast.Name("_g_call", ast.Load()),
                                              [func.value, ast.Constant(func.attr), *node.args], []), node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        spec = node.format_spec or ast.Constant("")
        args = [node.value, spec, ast.Constant(node.conversion)]
        call = ast.Call(ast.Name("_g_format", ast.Load()), args, [])
        return ast.copy_location(ast.FormattedValue(call, -1, None), node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        helper = _GUARDED_OPS.get(type(node.op))
        if helper is None:
            return node
        return ast.copy_location(ast.Call(ast.Name(helper, ast.Load()), [node.left, node.right], []), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        helper = _GUARDED_OPS.get(type(node.op))
        if helper is None or not isinstance(node.target, ast.Name | ast.Subscript | ast.Attribute):
            return node
        load = _as_load(node.target)
        call = ast.Call(ast.Name(helper, ast.Load()), [load, node.value], [])
        return ast.copy_location(ast.Assign([node.target], call), node)


def _as_load(target: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(target), mode="eval").body
    return copy


def guard_tree(tree: ast.AST) -> ast.AST:
    """Rewrite the bounded operations; `range` is replaced by name in the environment."""
    return ast.fix_missing_locations(_Guard().visit(tree))


@lru_cache(maxsize=2048)
def guarded_code(code: str, mode: str) -> types.CodeType:
    """The checked source, rewritten and compiled once (the caller checks it first)."""
    return compile(guard_tree(ast.parse(code, mode=mode)), SCRIPT_FILENAME, mode)


# --- the step budget --------------------------------------------------------------------

class Budget:
    """Loop turns left for the evaluation running now. The rewritten code's `_g_tick` finds
    the budget of its thread (the sealed helpers are shared by every environment)."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.deadline = 0.0

    def tick(self) -> None:
        """Called by the rewritten code at every loop turn and comprehension item."""
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise _limit(tr("код модели превысил лимит в %(limit)s шагов цикла (бесконечный цикл?)",
                            limit=self.limits.max_steps), "max_steps")
        if not self.steps & 255 and time.monotonic() > self.deadline:
            raise _limit(tr("код модели работал дольше %(limit)s с", limit=f"{self.limits.max_seconds:g}"),
                         "max_seconds")

    def run(self, run: Callable[[], Any]) -> Any:
        """Call `run` (an exec/eval of rewritten model code) with a fresh budget."""
        self.steps = 0
        self.deadline = time.monotonic() + self.limits.max_seconds
        outer = getattr(_ACTIVE, "budget", None)
        _ACTIVE.budget = self
        try:
            return run()
        except ScriptLimitExceeded as exc:
            raise ScriptLimitError(exc.args[0], exc.limit) from None
        finally:
            _ACTIVE.budget = outer


_ACTIVE = threading.local()


def _tick_active() -> None:
    _ACTIVE.budget.tick()
