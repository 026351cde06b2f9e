"""Registers of issued documents: the order register and the journals of certificates and
duplicates — one row per issued number (the Russian and Kazakh files together), with filters
and an XLSX export for the registrar head."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from server.auth import Actor
from server.domain import labels
from server.models import Case, Document, User
from server.services.cases.filters import within_days
from server.services.context import AppContext
from server.services.documents.verification import holder_names
from server.services.documents.versions import SIGNED
from server.services.errors import Forbidden, Invalid, tr
from server.services.reports.xlsx_cells import append_row

READERS = frozenset({"registrar", "registrar_head", "vice_rector", "rector", "admin"})
REGISTERS = ("orders", "certificates", "duplicates", "letters")
# The registers' names, the documents' kinds and the statuses in words: server/domain/labels.py
# (kinds `register`, `document_kind`, `case_status`, `document_status`).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RegisterQuery:
    register: str | None = None
    year: int | None = None
    kind: str | None = None
    q: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    limit: int = 50
    offset: int = 0


@dataclass
class RegisterRow:
    register: str
    year: int
    seq: int
    number: str
    date: date
    kind: str
    kind_name: str  # in Russian (the API adds the client's language: serialize.py)
    languages: list[str]
    document_ids: list[int]
    case_id: int | None
    subject: str | None
    case_status: str | None
    signed_by: str | None  # only when this version is signed
    version: int = 1
    status: str = "draft"  # of this version: draft, signed, superseded, issued (versions.py)
    status_name: str = ""  # the status in Russian words (labels.py)
    holders: list[str] = field(default_factory=list)
    blank: str | None = None  # a duplicate's blank, «JB-D № 0004521»

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("holders")
        return data


def _check(actor: Actor, query: RegisterQuery) -> None:
    if not actor.has_any(READERS):
        raise Forbidden("Реестры документов доступны офису регистратора и руководству университета")
    if query.register is not None and query.register not in REGISTERS:
        allowed = tr("один из: %(values)s", values=", ".join(REGISTERS))
        raise Invalid("Неизвестный реестр", fields={"register": allowed})
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise Invalid("Начало периода позже конца", fields={"from": tr("позже, чем to")})


def _rows(ctx: AppContext, query: RegisterQuery) -> list[RegisterRow]:
    tz = ctx.tz
    stmt = (select(Document, Case).outerjoin(Case, Case.id == Document.case_id)
            .where(Document.register.is_not(None), Document.seq.is_not(None)))
    if query.register:
        stmt = stmt.where(Document.register == query.register)
    if query.year:
        stmt = stmt.where(Document.year == query.year)
    if query.kind:
        stmt = stmt.where(Document.kind == query.kind)
    stmt = stmt.where(*within_days(Document.created_at, ctx, query.date_from, query.date_to))
    with ctx.db.read() as session:
        pairs = session.execute(stmt.order_by(Document.year, Document.seq, Document.version,
                                              Document.language)).all()
        signer_ids = {d.signed_by for d, _c in pairs if d.signed_by is not None}
        signers: dict[int, str] = dict(session.execute(select(User.id, User.full_name).where(
            User.id.in_(signer_ids))).tuples().all()) if signer_ids else {}
    rows: dict[tuple[str, int, int], RegisterRow] = {}
    for doc, case in pairs:
        key = (doc.register or "", doc.year or 0, doc.seq or 0)
        row = rows.get(key)
        if row is None or doc.version > row.version:
            row = RegisterRow(
                register=key[0], year=key[1], seq=key[2], number=doc.number or "",
                date=doc.created_at.astimezone(tz).date(), kind=doc.kind,
                kind_name=labels.label("document_kind", doc.kind), languages=[], document_ids=[],
                case_id=doc.case_id, subject=case.subject_name if case else None,
                case_status=case.status if case else None,
                signed_by=signers.get(doc.signed_by) if doc.status == SIGNED and doc.signed_by else None,
                version=doc.version, status=doc.status,
                status_name=labels.label("document_status", doc.status),
                holders=holder_names(doc.context or {}), blank=_blank(doc.context or {}),
            )
            rows[key] = row
        if doc.version == row.version:
            row.languages.append(doc.language)
            row.document_ids.append(doc.id)
    result = list(rows.values())
    if query.q and query.q.strip():
        needle = query.q.strip().lower()
        result = [r for r in result if needle in " ".join(
            [r.number, r.subject or "", *r.holders]).lower()]
    result.sort(key=lambda r: (r.date, r.register, r.year, r.seq), reverse=True)
    return result


def _blank(context: dict[str, Any]) -> str | None:
    """The series and number of the blank a duplicate is printed on, as the journal records them."""
    blank = context.get("blank")
    if not isinstance(blank, dict) or not blank.get("number"):
        return None
    return f"{blank.get('series') or ''} № {blank['number']}".strip()


def list_register(ctx: AppContext, actor: Actor, query: RegisterQuery) -> tuple[list[RegisterRow], int]:
    _check(actor, query)
    rows = _rows(ctx, query)
    return rows[query.offset:query.offset + query.limit], len(rows)


HEADERS = ("Номер", "Дата", "Реестр", "Вид документа", "Обучающийся", "Языки", "Заявка №",
           "Статус заявки", "Статус документа", "Подписал", "Бланк (серия, номер)")
HEADERS_BY_LANG = {
    "ru": HEADERS,
    "kk": ("Нөмірі", "Күні", "Тізілім", "Құжат түрі", "Білім алушы", "Тілдері", "Өтінім №",
           "Өтінім мәртебесі", "Құжат мәртебесі", "Қол қойған", "Бланк (сериясы, нөмірі)"),
    "en": ("Number", "Date", "Register", "Document", "Student", "Languages", "Case №",
           "Case status", "Document status", "Signed by", "Blank (series, number)"),
}


def export_filename(query: RegisterQuery) -> str:
    return f"register_{query.register or 'all'}_{query.year or 'all'}.xlsx"


def export_xlsx(ctx: AppContext, actor: Actor, query: RegisterQuery, lang: str = "ru") -> bytes:
    """Every matching row (no paging), one per issued number: the column headers, kinds,
    statuses and languages in words of `lang`, dates as dd.mm.yyyy."""
    from openpyxl import Workbook
    from openpyxl.styles import Font


    _check(actor, query)
    rows = _rows(ctx, query)
    book = Workbook()
    sheet = book.active
    sheet.title = labels.label("register", query.register, lang) if query.register else {
        "kk": "Құжаттар", "en": "Documents"}.get(lang, "Документы")
    sheet.append(HEADERS_BY_LANG.get(lang, HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows:
        append_row(sheet, [r.number, r.date, labels.label("register", r.register, lang),
                           labels.label("document_kind", r.kind, lang),
                           r.subject or ", ".join(r.holders),
                           ", ".join(labels.label("language", x, lang) for x in r.languages), r.case_id,
                           labels.label("case_status", r.case_status, lang) if r.case_status else "",
                           labels.label("document_status", r.status, lang),
                           r.signed_by or "", r.blank or ""])
        sheet.cell(row=sheet.max_row, column=2).number_format = "DD.MM.YYYY"
    for column, width in zip("ABCDEFGHIJK", (12, 12, 16, 48, 36, 24, 10, 22, 26, 28, 20), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
