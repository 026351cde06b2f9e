"""Reading an uploaded list (CSV or XLSX) without letting the file decide the cost.

A spreadsheet is untrusted input whose size on the wire says little about the work it asks for:
a 1.5 KB XLSX may declare `<dimension ref="A1:XFD150000"/>` (openpyxl would pad every row to
16,384 cells and every sheet to 150,000 rows), a zip member may unpack a thousandfold, and a
400,000-row list used to be parsed whole before its length was checked. So, before and while
reading:

- the file's size is capped, and for an XLSX the unpacked size of its zip members too (read
  from the zip directory, before anything is decompressed; zipfile stops at the declared size);
- an XLSX is streamed (openpyxl's read-only mode) with its declared dimensions ignored, each
  row cut at MAX_COLUMNS, and reading stops at the first row beyond the limit ("more than N
  rows") or after `scan_rows` rows of any kind (blank ones included);
- a CSV is read row by row with the same limits; a field over csv's 128 KB limit, a file that
  is not UTF-8 or not a zip is refused naming the file and the reason.

Every refusal is an `Invalid` (422) whose `file` field says why; nothing is stored."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.services.errors import Invalid, Msg, tr

MAX_COLUMNS = 256  # a student list has 16; anything beyond is cut, never padded


@dataclass(frozen=True)
class Limits:
    max_rows: int  # data rows (the header not counted)
    max_bytes: int  # the file as uploaded
    max_unpacked: int = 32 * 1024 * 1024  # an XLSX's zip members together, unpacked

    @property
    def scan_rows(self) -> int:
        """Rows of any kind (blank, gaps) read before giving up: blank rows cost little but
        a declared row 1,048,576 must not mean a million iterations."""
        return 2 * self.max_rows + 10_000


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _refuse(filename: str, reason: Msg) -> Invalid:
    name = Path(filename.replace("\\", "/")).name[:200] or "file"
    return Invalid("Файл «%(name)s» не принят: %(reason)s", {"file": reason}, name=name, reason=reason)


def _too_many(filename: str, limits: Limits) -> Invalid:
    return _refuse(filename, tr("больше %(limit)s строк: разделите список", limit=limits.max_rows))


def read_table(filename: str, content: bytes, limits: Limits) -> list[dict[str, Any]]:
    """Rows of a CSV (comma, semicolon or tab; UTF-8) or XLSX file, keyed by lower-case header;
    blank rows skipped. At most `limits.max_rows` rows, else Invalid."""
    if len(content) > limits.max_bytes:
        raise _refuse(filename, tr("файл больше %(megabytes)s МБ", megabytes=_megabytes(limits.max_bytes)))
    if Path(filename).suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(filename, content, limits)
    else:
        rows = _csv_rows(filename, content, limits)
    return _keyed(filename, rows, limits)


def _keyed(filename: str, rows: Iterator[tuple[Any, ...]], limits: Limits) -> list[dict[str, Any]]:
    header: list[str] | None = None
    out: list[dict[str, Any]] = []
    for scanned, row in enumerate(rows, start=1):
        if scanned > limits.scan_rows:
            raise _refuse(filename, tr("больше %(limit)s строк вместе с пустыми: удалите пустые строки",
                                       limit=limits.scan_rows))
        if header is None:
            header = [str(h or "").strip().lower() for h in row]
            continue
        if row.count(None) + row.count("") == len(row):  # blank (C speed: gaps are many)
            continue
        if len(out) == limits.max_rows:
            raise _too_many(filename, limits)
        out.append(dict(zip(header, row, strict=False)))
    return out


# --- XLSX ------------------------------------------------------------------------------------
def _xlsx_rows(filename: str, content: bytes, limits: Limits) -> Iterator[tuple[Any, ...]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse(filename, tr("это не файл XLSX: сохраните список как XLSX или CSV (UTF-8)")) from None
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_unpacked or len(archive.infolist()) > 1000:
        raise _refuse(filename, tr("распакованное содержимое больше %(megabytes)s МБ",
                                   megabytes=_megabytes(limits.max_unpacked)))
    archive.close()
    return _stream_xlsx(filename, content)


def _stream_xlsx(filename: str, content: bytes) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    # openpyxl raises whatever its parsers raise on a malformed part (KeyError, ValueError,
    # XML and defusedxml errors, TypeError…): any of them means the file cannot be read.
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = book.active
            sheet.reset_dimensions()  # never trust the declared size
            yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        finally:
            book.close()
    except Invalid:
        raise
    except Exception:
        raise _refuse(filename, tr("файл XLSX повреждён или не читается: сохраните его заново")) from None


# --- CSV -------------------------------------------------------------------------------------
def _csv_rows(filename: str, content: bytes, limits: Limits) -> Iterator[tuple[Any, ...]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(filename, tr("текст не в кодировке UTF-8: сохраните список как CSV (UTF-8)")) from None
    if "\x00" in text:
        raise _refuse(filename, tr("содержит нулевой символ (NUL)"))
    try:
        dialect: Any = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel  # one column, or nothing to guess from: commas
    return _stream_csv(filename, csv.reader(io.StringIO(text), dialect=dialect))


def _stream_csv(filename: str, reader: Any) -> Iterator[tuple[Any, ...]]:
    try:
        for row in reader:
            yield tuple(row[:MAX_COLUMNS])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            reason = tr("строка %(line)s: поле длиннее %(kb)s КБ", line=reader.line_num,
                        kb=csv.field_size_limit() // 1024)
        else:
            reason = tr("строка %(line)s: CSV не прочитан", line=reader.line_num)
        raise _refuse(filename, reason) from None
