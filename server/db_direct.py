"""The step's statements, run on the driver directly.

A case's step (a start, a task's completion) is one transaction of a handful of one-row
statements. Through SQLAlchemy's execution layer each of them cost several times what the
driver itself spends (cache key, execution context, result object, the ORM's loading and unit
of work; figures in docs/performance.md). The statements here keep SQLAlchemy's compiler
and its types' bind and result processors (dates, JSON), so they write and read exactly what
the ORM would, and leave out the rest: they run on the DBAPI connection of the session's own
transaction, fire no execution events and build no result objects. A driver's error is turned
into SQLAlchemy's exception as its own execution turns it (IntegrityError, OperationalError...),
and a connection found dead is invalidated with its pool; the statements are logged at DEBUG by
this module's logger, since SQLAlchemy's echo does not see them.

The ORM objects they load or insert are put into the session as if a query had loaded them,
so the rest of the service works with them as usual.
"""

from __future__ import annotations

import functools
import logging
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Insert, Select, Update, bindparam, insert, inspect, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)  # DEBUG: each statement and its parameters (they bypass SQLAlchemy's echo)
_REQUIRED = object()


def _bind_value(params: Mapping[str, Any], name: str, processor: Callable[[Any], Any] | None,
                fixed: Any) -> Any:
    value = params.get(name, fixed)
    if value is _REQUIRED:
        raise KeyError(f"no value for the statement's parameter {name!r}")
    return processor(value) if processor is not None else value


@dataclass(frozen=True)
class _Compiled:
    sql: str
    convert: Callable[[Mapping[str, Any]], Any]  # parameters -> the driver's parameters
    results: tuple[Callable[[Any], Any] | None, ...]  # a result processor per returned column


class DirectStatement:
    """A Core statement compiled once per dialect and run straight on the DBAPI connection
    of the session's transaction. Every column of an INSERT is given by the caller: a
    Python-side default would need SQLAlchemy's execution context, so a statement that
    relies on one is refused when it is compiled."""

    executed = 0  # statements run this way in this process (the bench counts them as SQL)

    def __init__(self, statement: Insert | Update | Select[Any], keys: Sequence[str] | None = None) -> None:
        if isinstance(statement, Insert) and not statement._returning:
            statement = statement.inline()  # no implicit RETURNING of the key
        self.statement = statement
        self.keys = list(keys) if keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}
        self._record: Any = None

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.keys)
        if compiled.insert_prefetch or compiled.update_prefetch or getattr(compiled, "postfetch", None):
            raise ValueError(f"{self.statement}: every column must be given (defaults need SQLAlchemy's "
                             f"execution)")
        processors = compiled._bind_processors
        # (name, bind processor, fixed value): a value the caller must give has none
        plan = {name: (name, processors.get(name),
                       _REQUIRED if bind.required or bind.callable is not None else bind.value)
                for bind, name in compiled.bind_names.items()}
        convert: Callable[[Mapping[str, Any]], Any]
        if compiled.positional:
            order = tuple(plan[name] for name in compiled.positiontup or ())

            def convert(params: Mapping[str, Any]) -> Any:
                return tuple(_bind_value(params, *step) for step in order)
        else:
            escaped = compiled.escaped_bind_names
            named = tuple((escaped.get(name, name), step) for name, step in plan.items())

            def convert(params: Mapping[str, Any]) -> Any:
                return {key: _bind_value(params, *step) for key, step in named}
        results = tuple(column[3]._cached_result_processor(dialect, None)  # (name, key, objects, type)
                        for column in compiled._result_columns)
        done = _Compiled(compiled.string, convert, results)
        self._by_dialect[dialect.name] = done
        return done

    def _run(self, session: Session, params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
             fetch: bool) -> tuple[int, list[tuple[Any, ...]]]:
        connection = session.connection()
        compiled = self._by_dialect.get(connection.dialect.name) or self._compile(connection.dialect)
        driver_params = (compiled.convert(params) if isinstance(params, Mapping)
                         else [compiled.convert(row) for row in params])
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %r", compiled.sql, driver_params)
        cursor = connection.connection.cursor()
        try:
            if isinstance(params, Mapping):
                cursor.execute(compiled.sql, driver_params)
            else:
                cursor.executemany(compiled.sql, driver_params)
            DirectStatement.executed += 1
            if not fetch:
                return cursor.rowcount, []
            results = compiled.results
            return cursor.rowcount, [
                tuple(value if proc is None or value is None else proc(value)
                      for proc, value in zip(results, row, strict=True))
                for row in cursor.fetchall()]
        except connection.dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy's own execution does: the driver's error becomes its IntegrityError,
            # OperationalError..., and a connection found dead is invalidated with its pool.
            connection._handle_dbapi_exception(exc, compiled.sql, driver_params, cursor, None)
            raise  # not reached: the call above raises
        finally:
            cursor.close()

    def execute(self, session: Session, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> int:
        """Run with one set of values (or several, as executemany); return the rows matched."""
        return self._run(session, params, fetch=False)[0]

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT (or a statement with RETURNING); its rows, values processed by their
        columns' types as SQLAlchemy would."""
        return self._run(session, params, fetch=True)[1]

    def records(self, session: Session, params: Mapping[str, Any]) -> list[Any]:
        """Run a SELECT; its rows as named tuples, a field per selected column's key (read-only
        records for views: no ORM objects, no identity map)."""
        if self._record is None:
            assert isinstance(self.statement, Select), "records() reads a SELECT"
            self._record = namedtuple(  # type: ignore[misc]
                "Record", [c.key for c in self.statement.selected_columns])
        record = self._record
        return [record._make(row) for row in self._run(session, params, fetch=True)[1]]


# --------------------------------------------------------------------------- ORM objects
def attach_loaded(session: Session, cls: type[Any], values: Mapping[str, Any]) -> Any:
    """An object of the mapped `cls` holding these column values (all of them, by attribute
    key), put into the session as if a query had loaded it. If the session holds that row
    already, its object is refreshed with the values (as `populate_existing` does) unless it
    has changes not yet written, which would be lost: then the read is refused."""
    mapper = cls.__mapper__
    key = mapper.identity_key_from_primary_key(tuple(values[k] for k in _primary_keys(mapper)))
    existing = session.identity_map.get(key)
    if existing is not None:
        state = inspect(existing)
        if state.modified:
            raise RuntimeError(f"{mapper.local_table.name} {key[1]} has unwritten changes in this session")
        state.dict.update(values)
        state._commit_all(state.dict, session.identity_map)
        return existing
    obj = mapper.class_manager.new_instance()
    inspect(obj).dict.update(values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


@functools.lru_cache(maxsize=32)
def _primary_keys(mapper: Any) -> tuple[str, ...]:
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


def column_keys(cls: type[Any]) -> tuple[str, ...]:
    """The attribute key of each of the mapped class's table columns, in the table's order."""
    mapper = cls.__mapper__
    return tuple(mapper.get_property_by_column(column).key for column in mapper.local_table.columns)


def insert_loaded(session: Session, obj: Any) -> None:
    """INSERT a new object's row now and put the object in the session as if it had been
    loaded: what `session.add(obj); session.flush()` does for one row, without the unit of
    work (docs/performance.md: what that flush cost a start). Columns not set on the object take their
    column defaults; the version column starts at 1. For a table with an integer key the
    database assigns (its id is read back) and no relationships set on the object."""
    mapper = inspect(obj).mapper
    insert_row, pk_key, defaults = _direct_insert(mapper)
    values = {key: obj.__dict__[key] if key in obj.__dict__ else default() for key, default in defaults}
    if mapper.version_id_col is not None:
        values[_version_key(mapper)] = 1
    ((new_id,),) = insert_row.rows(session, values)
    state = inspect(obj)
    state.dict.update(values)
    state.dict[pk_key] = new_id
    make_transient_to_detached(obj)  # its values become the loaded ones
    session.add(obj)


@functools.lru_cache(maxsize=16)
def _direct_insert(mapper: Any) -> tuple[DirectStatement, str, tuple[tuple[str, Callable[[], Any]], ...]]:
    """The INSERT of a mapper's row (its key assigned by the database) and each other
    column's default (None when it has none)."""
    (pk,) = mapper.primary_key
    pk_key = mapper.get_property_by_column(pk).key
    defaults: list[tuple[str, Callable[[], Any]]] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column is pk:
            continue
        default = column.default
        if default is None:
            defaults.append((prop.key, _none))
        elif default.is_callable:
            defaults.append((prop.key, functools.partial(default.arg, None)))
        elif default.is_scalar:
            defaults.append((prop.key, functools.partial(_same, default.arg)))
        else:
            raise ValueError(f"{mapper.local_table.name}.{column.name}: a SQL default needs the unit of work")
    keys = [key for key, _ in defaults]
    statement = insert(mapper.local_table).returning(pk)
    return DirectStatement(statement, keys), pk_key, tuple(defaults)


def _none() -> None:
    return None


def _same(value: Any) -> Any:
    return value


def write_versioned(session: Session, obj: Any) -> None:
    """UPDATE a loaded row's changed columns now, guarded by its version column, and tell the
    session the values are stored: the statement the unit of work would issue at flush, without
    its bookkeeping (on the step's hot path that bookkeeping cost more than the SQL). A writer
    that changed the row since it was read makes it match no row: StaleDataError, as at flush.
    Changes this UPDATE does not cover (relationships) are left to the flush."""
    state = inspect(obj)
    if state.transient or state.pending:
        return  # not in the database yet: the session inserts it
    mapper = state.mapper
    # The attributes set since the row was read or last written (possibly to an equal value,
    # which is then written again: cheaper than comparing a 4 KB workflow state).
    modified = state.committed_state.keys()
    columns = mapper.columns
    values = {key: state.dict[key] for key in modified if key in columns}
    if not values:
        return
    version_key = _version_key(mapper)
    seen = state.dict[version_key]
    values[version_key] = seen + 1
    params = {f"new_{key}": value for key, value in values.items()}
    params["row_id"] = state.identity[0]
    params["seen_version"] = seen
    if _versioned_update(mapper, tuple(sorted(values))).execute(session, params) != 1:
        raise StaleDataError(f"{mapper.local_table.name} {state.identity[0]} was changed by another "
                             f"writer (version {seen})")
    if len(values) == len(modified) + (version_key not in modified):
        # Nothing is left to flush: mark the object clean as a flush would (its values are
        # the stored ones now), or the session visits it again at flush and at commit.
        state.dict[version_key] = seen + 1
        state._commit_all(state.dict, session.identity_map)
    else:
        for key, value in values.items():
            set_committed_value(obj, key, value)


@functools.lru_cache(maxsize=32)
def _version_key(mapper: Any) -> str:
    return str(mapper.get_property_by_column(mapper.version_id_col).key)


@functools.lru_cache(maxsize=128)
def _versioned_update(mapper: Any, keys: tuple[str, ...]) -> DirectStatement:
    """The version-guarded UPDATE of these attributes' columns, built once per set of them."""
    (pk,) = mapper.primary_key
    version = mapper.version_id_col
    return DirectStatement(
        update(mapper.local_table).where(pk == bindparam("row_id"), version == bindparam("seen_version"))
        .values({mapper.columns[key]: bindparam(f"new_{key}", type_=mapper.columns[key].type)
                 for key in keys}))
