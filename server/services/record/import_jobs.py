"""A record import queued and run in the background, with its progress for others to read.

A large file does not fit one HTTP request (900,000 transcript rows take minutes): the file is
stored with its import row (`record_imports.content`, in the database like a case's scans) and
the `record/import` job runs it — in a Celery worker, or in the web process's own dispatcher
thread by default. The import's row is the progress others read: queued -> checking (every
row checked; progress committed every CHUNK rows in short transactions of its own, nothing
else written) -> writing -> done, or refused (any refused row: nothing written — nor would
be, for a dry run — the report says which rows and why) or failed (an error: nothing written).

Writing, the checked rows are first staged (`record_import_rows`, CHUNK rows and the progress
per short transaction: no write lock held for long, the progress visible at once on SQLite as
on PostgreSQL), then moved into `results` in one INSERT … SELECT, which also checks that no
attempt was recorded meanwhile. The record reads only `results`, so an import stopped
half-way (an error, a killed worker) is in nobody's record; its staged rows are removed when
it fails or when its job runs again.

Limits: the job kind is declared long (`JobKind(..., long=True)`, services/operators): under
Celery it runs as `regoffice.run_long_job` within REGOFFICE_LONG_JOB_TIME_LIMIT (an hour by
default; the short jobs keep their 180 s) and the sweeper does not send it again while it runs;
in the default mode it runs on the dispatcher's second thread, so the other background jobs
(notifications, documents) do not wait for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.models import OutboxJob, RecordImport, RecordImportRow
from server.services.cases.steps import enqueue
from server.services.context import AppContext
from server.services.errors import DomainError, Invalid, Msg, NotFound, msg_data, msg_from_data, tr
from server.services.record import imports
from server.services.record.access import require_keeper
from server.services.students.spreadsheets import Limits, read_table

log = logging.getLogger(__name__)

IMPORT_JOB = "record/import"
ACTIVE = ("queued", "checking", "writing")
FINISHED = ("done", "refused", "failed")
KINDS = ("transcripts", "curricula")
# A queued import takes a whole university's transcripts in one file (15,000 students x 60).
QUEUED_LIMITS = Limits(max_rows=1_000_000, max_bytes=160 * 1024 * 1024, max_unpacked=320 * 1024 * 1024)
# Above this size the API queues an import unless told otherwise (about 20,000 transcript rows,
# a few seconds' work synchronously).
ASYNC_BYTES = 1024 * 1024
CHUNK = 5_000
# The per-row report kept: every row of a file this small, else the first refused rows.
REPORT_CAP = 1_000

_MOVE = text(
    "INSERT INTO results (student_id, discipline_id, academic_year, term, attempt, points, letter, "
    "grade_points, recorded_by, import_id, created_at) "
    "SELECT student_id, discipline_id, academic_year, term, attempt, points, letter, grade_points, "
    ":user_id, import_id, :now FROM record_import_rows WHERE import_id = :import_id ORDER BY id")
# Attempts recorded since the rows were checked (a grade sheet locked meanwhile): all or nothing.
_RECORDED_MEANWHILE = text(
    "SELECT count(*) FROM record_import_rows s WHERE s.import_id = :import_id AND EXISTS ("
    "SELECT 1 FROM results r WHERE r.student_id = s.student_id AND r.discipline_id = s.discipline_id "
    "AND r.attempt = s.attempt AND r.term = s.term)")


def queue_import(ctx: AppContext, actor: Actor, kind: str, filename: str, content: bytes, *,
                 mapping: Mapping[str, str] | None = None, dry_run: bool = True) -> int:
    """Store the file and queue its import; the import's id. Checked here: who, the kind, the
    mapping's fields and the file's size; the rows are checked by the job."""
    require_keeper(actor)
    if kind not in KINDS:
        raise Invalid("Импорт не выполнен: укажите, что импортируется",
                      {"kind": tr("допустимо %(values)s", values=", ".join(KINDS))})
    imports.check_mapping(mapping, fields_of(kind))
    if not content:
        raise Invalid("Импорт не выполнен: файл пуст", {"file": tr("выберите файл CSV или XLSX")})
    if len(content) > QUEUED_LIMITS.max_bytes:
        raise Invalid("Импорт не выполнен: файл больше %(limit)s МБ", {"file": tr("разделите файл")},
                      limit=QUEUED_LIMITS.max_bytes // (1024 * 1024))
    with ctx.db.unit_of_work() as session:
        row = RecordImport(kind=kind, filename=(filename or "import.csv")[:200], rows=0, status="queued",
                           dry_run=dry_run, mapping=dict(mapping or {}), content=content,
                           created_by=actor.user_id)
        session.add(row)
        session.flush()
        enqueue(session, IMPORT_JOB, f"{IMPORT_JOB}:{row.id}", None, {"import_id": row.id})
        return row.id


def queue_again(ctx: AppContext, actor: Actor, import_id: int, *, mapping: Mapping[str, str] | None,
                dry_run: bool) -> int:
    """The same file once more (a real run after a dry run, or another column mapping)."""
    require_keeper(actor)
    with ctx.db.read() as session:
        row = session.get(RecordImport, import_id)
        content = session.scalar(select(RecordImport.content).where(RecordImport.id == import_id))
        if row is None or not content:
            raise NotFound("Файл этого импорта уже не хранится: загрузите его снова")
        kind, filename = row.kind, row.filename
    return queue_import(ctx, actor, kind, filename, content, mapping=mapping, dry_run=dry_run)


def get_import(ctx: AppContext, actor: Actor, import_id: int) -> RecordImport:
    require_keeper(actor)
    with ctx.db.read() as session:
        row = session.get(RecordImport, import_id)
        if row is None:
            raise NotFound("Импорт не найден", {"import_id": tr("Нет такого импорта")})
        return row


def recent_imports(ctx: AppContext, actor: Actor, limit: int = 50) -> list[RecordImport]:
    require_keeper(actor)
    with ctx.db.read() as session:
        return list(session.scalars(select(RecordImport).order_by(RecordImport.id.desc()).limit(limit)))


def percent(row: RecordImport) -> int:
    """How far the import's current phase is, 0-100 (100 when finished)."""
    if row.status in FINISHED:
        return 100
    total = (row.counts or {}).get("new", 0) if row.status == "writing" else row.rows
    return min(100, int(row.processed * 100 / total)) if total else 0


# --- the job -------------------------------------------------------------------------------------
def run_import(ctx: AppContext, payload: dict[str, Any]) -> None:
    """The `record/import` job's work, before (outside) the job's own transaction: it commits its
    progress as it goes. Idempotent: a finished import is left alone; one stopped half-way (its
    worker killed) starts again from its first row."""
    import_id = int(payload["import_id"])
    with ctx.db.unit_of_work() as session:
        row = session.get(RecordImport, import_id)
        if row is None or row.status in FINISHED:
            return
        session.execute(delete(RecordImportRow).where(RecordImportRow.import_id == import_id))
        row.status, row.processed, row.error, row.started_at = "checking", 0, None, utcnow()
        kind, filename, mapping, dry_run = row.kind, row.filename, row.mapping or {}, row.dry_run
        user_id = row.created_by
    try:
        content = _content(ctx, import_id)
        table = read_table(filename, content, QUEUED_LIMITS)
        header = list(table[0].keys()) if table else []
        rows = imports.mapped(table, fields_of(kind), mapping)
        del table
        _set(ctx, import_id, rows=len(rows), header=header)
        if kind == "curricula":
            _run_curricula(ctx, import_id, rows, dry_run)
        else:
            _run_transcripts(ctx, import_id, rows, dry_run, user_id)
    except DomainError as exc:  # the file cannot be read: its reason, translatable
        _fail(ctx, import_id, exc.message, exc.fields)
    except _Meanwhile as exc:
        _fail(ctx, import_id, tr("за время импорта записаны %(count)s из этих попыток (ведомостью или "
                                 "вручную): ничего не записано, запустите импорт снова", count=exc.count))
    except Exception as exc:
        if type(exc).__name__ == "SoftTimeLimitExceeded":  # Celery's soft limit (no import of it here)
            log.warning("record import %s stopped at the long jobs' time limit", import_id)
            _fail(ctx, import_id, tr("импорт не уложился в предел времени длинных фоновых заданий: ничего "
                                     "не записано; разделите файл или попросите администратора увеличить "
                                     "предел"))
            return
        log.exception("record import %s failed", import_id)
        _fail(ctx, import_id, tr("внутренняя ошибка сервера (%(error)s): ничего не записано",
                                 error=type(exc).__name__))


def finish_job(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """The job's own transaction: nothing left to do (`run_import` ran before it)."""


def _run_transcripts(ctx: AppContext, import_id: int, rows: list[dict[str, str | None]], dry_run: bool,
                     user_id: int | None) -> None:
    report = imports.ImportReport("transcripts", dry_run)
    with ctx.db.read() as session:
        new_rows = imports.check_transcripts(ctx, session, rows, report,
                                             lambda done, _total: _set(ctx, import_id, processed=done))
    if report.refused or dry_run or not new_rows:
        _finish(ctx, import_id, report, "refused" if report.refused else "done")
        return
    _set(ctx, import_id, status="writing", processed=0, counts=_counts(report))
    for start in range(0, len(new_rows), CHUNK):
        chunk = [{**r, "import_id": import_id} for r in new_rows[start:start + CHUNK]]
        with ctx.db.unit_of_work() as session:
            session.execute(insert(RecordImportRow), chunk)
            _progress(session, import_id, processed=start + len(chunk))
    del new_rows
    with ctx.db.unit_of_work() as session:
        meanwhile = session.scalar(_RECORDED_MEANWHILE, {"import_id": import_id})
        if meanwhile:
            raise _Meanwhile(meanwhile)
        session.execute(_MOVE, {"user_id": user_id, "now": ctx.now(), "import_id": import_id})
        session.execute(delete(RecordImportRow).where(RecordImportRow.import_id == import_id))
        _close(session, import_id, report, "done")


class _Meanwhile(Exception):
    def __init__(self, count: int) -> None:
        super().__init__(f"{count} attempts recorded meanwhile")
        self.count = count


def _run_curricula(ctx: AppContext, import_id: int, rows: list[dict[str, str | None]], dry_run: bool) -> None:
    """Curricula are small (a programme's plan): checked and written in one transaction."""
    report = imports.ImportReport("curricula", dry_run)
    with ctx.db.unit_of_work() as session:
        imports.apply_curricula(session, rows, report)
        if report.refused or dry_run:
            session.rollback()
        else:
            _close(session, import_id, report, "done")
            return
    _finish(ctx, import_id, report, "refused" if report.refused else "done")


def _counts(report: imports.ImportReport) -> dict[str, int]:
    counts = {"new": 0, "updated": 0, "unchanged": 0, "refused": 0}
    for r in report.rows:
        counts[r.status] += 1
    return counts


def _kept(report: imports.ImportReport) -> list[dict[str, Any]]:
    rows = report.rows if len(report.rows) <= REPORT_CAP else report.refused[:REPORT_CAP]
    return [{**asdict(r), "reason": msg_data(r.reason)} for r in rows]


def _close(session: Session, import_id: int, report: imports.ImportReport, status: str) -> None:
    row = session.get(RecordImport, import_id)
    assert row is not None
    row.status, row.counts, row.report, row.finished_at = status, _counts(report), _kept(report), utcnow()
    row.processed = row.rows if status != "done" or report.dry_run else (row.counts or {}).get("new", 0)
    if not report.dry_run:
        row.content = None  # a dry run keeps its file for the real run that follows it


def _finish(ctx: AppContext, import_id: int, report: imports.ImportReport, status: str) -> None:
    with ctx.db.unit_of_work() as session:
        _close(session, import_id, report, status)


def _fail(ctx: AppContext, import_id: int, reason: Msg, fields: Mapping[str, str] | None = None) -> None:
    """The import stopped: nothing of it stays (its staged rows removed), the reason kept."""
    with ctx.db.unit_of_work() as session:
        session.execute(delete(RecordImportRow).where(RecordImportRow.import_id == import_id))
        row = session.get(RecordImport, import_id)
        if row is None:
            return
        row.status, row.finished_at = "failed", utcnow()
        row.error = json.dumps(msg_data(reason), ensure_ascii=False)
        if fields:  # a file not read: its reasons by field, in the report's shape
            row.report = [{"row": 0, "iin": None, "discipline": None, "status": "refused",
                           "reason": msg_data(value)} for value in fields.values()]


def error_text(row: RecordImport) -> str | None:
    """Why the import failed, translatable (a `Msg`)."""
    if not row.error:
        return None
    try:
        return msg_from_data(json.loads(row.error))
    except ValueError:
        return row.error


def _content(ctx: AppContext, import_id: int) -> bytes:
    with ctx.db.read() as session:
        content = session.scalar(select(RecordImport.content).where(RecordImport.id == import_id))
    if not content:
        raise Invalid("Файл импорта не сохранился: загрузите его снова")
    return bytes(content)


def _progress(session: Session, import_id: int, **values: Any) -> None:
    """The writing phase's progress, in the transaction of the chunk it counts."""
    session.execute(update(RecordImport).where(RecordImport.id == import_id).values(**values))


def _set(ctx: AppContext, import_id: int, **values: Any) -> None:
    """Progress in a short transaction of its own: others read it at once."""
    with ctx.db.unit_of_work() as session:
        session.execute(update(RecordImport).where(RecordImport.id == import_id).values(**values))


def fields_of(kind: str) -> tuple[str, ...]:
    return imports.TRANSCRIPT_FIELDS if kind == "transcripts" else imports.CURRICULUM_FIELDS


def has_file(ctx: AppContext, import_id: int) -> bool:
    """Whether the import's file is still kept (after a dry run), so it can run again."""
    with ctx.db.read() as session:
        return bool(session.scalar(select(RecordImport.id).where(RecordImport.id == import_id,
                                                                 RecordImport.content.is_not(None))))


def staged_rows(ctx: AppContext, import_id: int) -> int:
    """Rows staged and not (yet) moved: 0 once an import is done or failed."""
    with ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(RecordImportRow)
                                  .where(RecordImportRow.import_id == import_id)) or 0)
