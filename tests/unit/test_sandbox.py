"""The script sandbox: known escapes are refused at deploy and at run time, and the callables
a script sees lead nowhere even when a walk is tried with the check out of the way."""

from __future__ import annotations

import types
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from server.config import Settings
from server.engine import scripting
from server.engine.budget import ScriptLimitError
from server.engine.scripting import RestrictedEnvironment, ScriptRejected, check_code
from server.services.context import AppContext

SECRET = "s3cret-key-that-must-never-leak"

# (id, mode, code, walk): `walk` marks the escapes that try an attribute walk only; those are
# also run with the run-time check switched off, to show the sealed callables give nothing.
ESCAPES = [
    ("format-self-settings", "exec", "leak = '{0.__self__.settings}'.format(working_days)", True),
    ("format-func-globals", "exec", "leak = '{0.__func__.__globals__}'.format(working_days)", True),
    ("format-globals", "exec", "leak = '{0.__globals__}'.format(working_days)", True),
    ("format-closure", "exec", "leak = '{0.__closure__[0].cell_contents}'.format(add_working_days)", True),
    ("format-wrapped", "exec", "leak = '{0.__wrapped__}'.format(migration_rules)", True),
    ("format-builtin-self", "exec", "leak = '{0.__self__.__loader__}'.format(len)", True),
    ("format-via-variable", "exec", "f = '{0.__globals__}'.format\nleak = f(step_deadline)", True),
    ("str-format-unbound", "exec", "leak = str.format('{0.__globals__}', working_days)", True),
    ("format-map", "exec", "leak = '{x.__globals__}'.format_map({'x': rank_applicants})", True),
    ("format-builtin", "exec", "leak = format(working_days)", True),
    ("fstring-repr", "exec", "leak = f'{working_days!r}'", True),
    ("fstring-attribute", "exec", "leak = f'{len.__self__}'", True),
    ("fstring-spec-walk", "exec", "leak = f'{amount:{len.__self__}}'", True),
    ("function-as-value", "exec", "f = working_days\nleak = [f]", True),
    ("condition-format", "eval", "'{0.__self__.settings}'.format(working_days) != ''", True),
    ("gi-frame-back", "exec", "g = (g.gi_frame.f_back for _ in [1])\nleak = next(g)", False),
    ("gi-frame-globals", "exec", "leak = (x for x in []).gi_frame.f_globals", False),
    ("gi-code", "exec", "leak = (x for x in []).gi_code.co_consts", False),
    ("traceback-frame", "exec",
     "try:\n    1 / 0\nexcept Exception as e:\n    leak = e.__traceback__.tb_frame", False),
    ("type-call", "exec", "leak = type(working_days)", True),
    ("type-as-value", "exec", "t = type\nleak = t(len)", True),
    ("tuple-class", "exec", "leak = ().__class__.__bases__[0].__subclasses__()", False),
    ("list-class", "exec", "leak = [].__class__", True),
    ("mro", "exec", "leak = str.mro()", True),
    ("getattr", "exec", "leak = getattr(working_days, '_' + '_self__')", True),
    ("vars", "exec", "leak = vars()", True),
    ("globals", "exec", "leak = globals()", True),
    ("dir", "exec", "leak = dir(working_days)", True),
    ("builtins-name", "exec", "leak = __builtins__", True),
    ("func-globals-py2", "exec", "leak = working_days.func_globals", True),
    # The names offered to scripts from other tools: print, now, datetime, timedelta.
    ("print-globals", "exec", "leak = '{0.__globals__}'.format(print)", True),
    ("print-self", "exec", "leak = f'{print.__self__}'", True),
    ("now-closure", "exec", "leak = '{0.__closure__}'.format(now)", True),
    ("datetime-class-dict", "exec", "leak = '{0.__class__.__dict__}'.format(datetime)", True),
    ("datetime-class-init", "exec", "leak = '{0.__class__.__init__.__globals__}'.format(datetime)", True),
    ("datetime-type-subclasses", "exec", "leak = datetime.date.__subclasses__()", False),
    ("timedelta-module", "exec", "leak = '{0.__module__}'.format(timedelta)", True),
    ("datetime-as-getattr", "eval", "getattr(datetime, 'date') is not None", True),
]


@pytest.fixture(scope="module")
def app_ctx(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    tmp = tmp_path_factory.mktemp("sandbox")
    settings = replace(Settings.from_env(), instance_dir=tmp, secret_key=SECRET,
                       database_url=f"sqlite:///{tmp / 'never-opened.db'}")
    return AppContext(settings, None)  # type: ignore[arg-type]  # scripts never reach the db


@pytest.fixture(scope="module")
def env(app_ctx: AppContext) -> RestrictedEnvironment:
    return RestrictedEnvironment(app_ctx.script_functions)


def _has_secret(value: Any) -> bool:
    text = repr(value)
    return SECRET in text or "Settings(" in text or "sqlite:" in text or "AppContext" in text


@pytest.mark.parametrize(("mode", "code", "walk"), [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_escape_is_refused_at_deploy(app_ctx: AppContext, mode: str, code: str, walk: bool) -> None:
    with pytest.raises(ScriptRejected):
        check_code(code, mode=mode, allowed_calls=app_ctx.script_functions.names)


@pytest.mark.parametrize(("mode", "code", "walk"), [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_escape_run_without_deploy_is_refused_and_leaks_nothing(env: RestrictedEnvironment, mode: str,
                                                                  code: str, walk: bool) -> None:
    """A model stored before a rule existed: the environment checks the code again."""
    data: dict[str, Any] = {"amount": 1}
    with pytest.raises(ScriptRejected):
        if mode == "exec":
            env.execute(code, data)
        else:
            env.evaluate(code, data)
    assert not _has_secret(data)


WALKS = [e for e in ESCAPES if e[3]]


@pytest.mark.parametrize(("mode", "code"), [e[1:3] for e in WALKS], ids=[e[0] for e in WALKS])
def test_attribute_walks_find_nothing_even_without_the_check(monkeypatch: pytest.MonkeyPatch,
                                                             env: RestrictedEnvironment, mode: str,
                                                             code: str) -> None:
    monkeypatch.setattr(scripting, "check_code", lambda *a, **k: None)
    scripting._checked.cache_clear()
    data: dict[str, Any] = {"amount": 1}
    try:
        result = env.execute(code, data) if mode == "exec" else env.evaluate(code, data)
    except (AttributeError, NameError, TypeError, KeyError, IndexError, ValueError) as exc:
        result = exc
    finally:
        scripting._checked.cache_clear()
    assert not _has_secret(result)
    assert not _has_secret(data)


def test_every_exposed_function_is_sealed(app_ctx: AppContext, env: RestrictedEnvironment) -> None:
    names = app_ctx.script_functions.names
    assert {"working_days", "step_deadline", "add_working_days", "migration_rules",
            "rank_applicants"} <= names
    for name in names:
        fn = env.globals[name]
        assert type(fn) is types.FunctionType, name
        assert set(fn.__globals__) == {"__builtins__", "_target"}, name
        assert fn.__globals__["__builtins__"] == {}, name
        assert fn.__closure__ is None and fn.__defaults__ is None and fn.__kwdefaults__ is None, name
        for attr in ("__self__", "__func__", "__wrapped__"):
            assert not hasattr(fn, attr), (name, attr)


def test_sealed_functions_still_work_and_return_plain_data(env: RestrictedEnvironment) -> None:
    data: dict[str, Any] = {}
    env.execute("d = add_working_days('2026-03-02', 3)\nr = migration_rules('2026-03-02')\n"
                "n = len([1, 2])\nm = max([3, 4])", data)
    assert data["d"] == "2026-03-05" and isinstance(data["r"], dict) and (data["n"], data["m"]) == (2, 4)


def _reachable(roots: dict[str, Any], depth: int) -> list[tuple[str, Any]]:
    """Everything a chain of attribute and item lookups (a format string's `{0.a[b]}`) reaches
    from `roots` in at most `depth` steps. Builtin types are not expanded (they are what every
    value leads to; without a call they reach no module and no instance)."""
    seen: set[int] = set()
    queue = deque((name, value, 0) for name, value in roots.items())
    found = []
    while queue:
        path, obj, level = queue.popleft()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append((path, obj))
        if level >= depth or isinstance(obj, str | bytes | int | float) or (
                isinstance(obj, type) and obj.__module__ == "builtins"):
            continue
        for attr in dir(obj):
            try:
                queue.append((f"{path}.{attr}", getattr(obj, attr), level + 1))
            except Exception:  # a descriptor that refuses is a dead end
                continue
        if isinstance(obj, dict | types.MappingProxyType):
            queue.extend((f"{path}[{k!r}]", v, level + 1) for k, v in list(obj.items()))
        elif isinstance(obj, list | tuple):
            queue.extend((f"{path}[{i}]", v, level + 1) for i, v in enumerate(obj))
    return found


def test_no_lookup_chain_from_the_script_globals_reaches_the_server(env: RestrictedEnvironment) -> None:
    forbidden = (types.ModuleType, types.FrameType, types.TracebackType, Settings,
                 AppContext, Path)
    for path, obj in _reachable(dict(env.globals), depth=3):
        assert not isinstance(obj, forbidden), path
        if isinstance(obj, types.FunctionType):
            assert set(obj.__globals__) <= {"__builtins__", "_target"}, path
        assert not (isinstance(obj, str) and SECRET in obj), path


@pytest.mark.parametrize("code", [
    "while True:\n    pass",
    "try:\n    while True:\n        pass\nexcept Exception:\n    caught = True",
    "x = sum(1 for a in range(10**5) for b in range(10**5))",
])
def test_loops_end_on_the_budget_and_except_exception_cannot_swallow_it(env: RestrictedEnvironment,
                                                                          code: str) -> None:
    data: dict[str, Any] = {}
    with pytest.raises(ScriptLimitError, match="шагов"):
        env.execute(code, data)
    assert "caught" not in data


@pytest.mark.parametrize("code", [
    "try:\n    x = 1\nfinally:\n    y = 2",
    "try:\n    x = 1\nexcept:\n    y = 2",
    "try:\n    x = 1\nexcept BaseException:\n    y = 2",
])
def test_handlers_that_could_outlive_the_budget_are_refused(app_ctx: AppContext, code: str) -> None:
    with pytest.raises(ScriptRejected):
        check_code(code, mode="exec", allowed_calls=app_ctx.script_functions.names)


@pytest.mark.parametrize("code", [
    "x = sum(range(10**12))",
    "x = 10**10**8",
    "x = 1 << 10**9",
    "x = 'x' * 10**10",
    "x = [0] * 10**9",
    "s = 'ab'\nfor i in range(40):\n    s = s + s",
    "s = [1]\nfor i in range(40):\n    s += s",
    "x = 'ab'.ljust(10**9)",
    "x = ''.join(s for s in ['x' * 10**6] * 5)",
    "x = 'x'.replace('', 'y' * 10**6)",
    "x = f'{1:>1000000000}'",
])
def test_one_operation_cannot_build_a_huge_value(env: RestrictedEnvironment, code: str) -> None:
    with pytest.raises(ScriptLimitError):
        env.execute(code, {})


def test_ordinary_code_still_works(env: RestrictedEnvironment) -> None:
    data: dict[str, Any] = {"amount": 5, "name": "Ив", "n": 5}
    env.execute("a = f'{amount!r:>6}|{amount:05d}|{name:>{n}}'\nx = '-'.join(str(i) for i in range(3))\n"
                "m = max([1, 5, 2], key=abs)\nsrt = sorted(['bb', 'a'], key=len)\nt = [1, 2]\nt += [3]\n"
                "d = {'k': 1}\nd['k'] *= 3\np = 2**10\n"
                "try:\n    int('x')\nexcept ValueError:\n    bad = True", data)
    assert data["a"] == "     5|00005|   Ив" and data["x"] == "0-1-2" and data["m"] == 5
    assert data["srt"] == ["a", "bb"] and data["t"] == [1, 2, 3] and data["d"] == {"k": 3}
    assert data["p"] == 1024 and data["bad"] is True
    assert env.evaluate("amount * 2 > 9 and len(name) == 2", data) is True


def test_names_from_other_tools_work_and_cannot_be_changed(env: RestrictedEnvironment) -> None:
    data: dict[str, Any] = {}
    env.execute("print('start', 3)\nd = datetime.date(2026, 9, 1) + timedelta(days=10)\n"
                "t = datetime.datetime(2026, 9, 1, 9) + datetime.timedelta(hours=3)\n"
                "late = now() > datetime.datetime(2000, 1, 1, tzinfo=now().tzinfo)\n"
                "days = (d - datetime.date(2026, 9, 1)).days", data)
    assert (str(data["d"]), str(data["t"]), data["late"], data["days"]) == \
        ("2026-09-11", "2026-09-01 12:00:00", True, 10)
    assert "datetime" not in data and "print" not in data
    for code in ("datetime.date = 1", "timedelta.days = 1", "datetime.now = 1"):
        with pytest.raises((AttributeError, TypeError)):
            env.execute(code, {})
    data = {}
    env.execute("x = datetime.date.today()\ns = datetime.date(2026, 9, 1).strftime('%d.%m.%Y')\n"
                "p = datetime.datetime.strptime('01.09.2026', '%d.%m.%Y')", data)
    assert type(data["x"]).__name__ == "date"
    assert (data["s"], data["p"].year) == ("01.09.2026", 2026)
    [log] = env.take_printed()
    assert log.lines == ["start 3"]
    assert env.take_printed() == []


def test_the_import_hook_for_datetime_gives_model_code_no_module(monkeypatch: pytest.MonkeyPatch,
                                                                 env: RestrictedEnvironment) -> None:
    """`datetime.date.today()` and `strftime` import `time` through the script's builtins:
    even with the code check out of the way, an import gives model code nothing."""
    for code in ("import time\nleak = time", "leak = __import__('time')", "import os"):
        with pytest.raises(ScriptRejected):
            env.execute(code, {})
    monkeypatch.setattr(scripting, "check_code", lambda *a, **k: None)
    scripting._checked.cache_clear()
    try:
        data: dict[str, Any] = {}
        env.execute("import time\nleak = time\nalso = __import__('_strptime')", data)
        assert data == {"time": None, "leak": None, "also": None}
        with pytest.raises(ImportError):
            env.execute("import os", {})
    finally:
        scripting._checked.cache_clear()
