"""Spreadsheet bombs: small uploads that ask for a lot of work. Each file is built here with
zipfile (a few kilobytes to a few hundred), uploaded as a contingent order's list over the API,
and must be refused with 422 naming the file and the reason, within a CPU budget (generous: the
fixed reader needs a fraction of it; before it, these files took 15-60 s of CPU in the web
thread). The same reader serves `regoffice students import` (the CLI), checked too.

No page of the staff UI parses a spreadsheet: its uploads are scans (PDF and images), refused
by type before any parsing."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import Case
from server.services.errors import Invalid
from server.services.students import imports as students
from tests.integration.procs import deploy_all

CPU_BUDGET = 5.0  # seconds of this process's CPU per upload
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ("iin", "last_name", "first_name", "faculty_code", "programme_code", "programme_name", "year")


def _cell(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def xlsx(sheet_rows: str, *, dimension: str | None = "A1:G2", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook (inline strings, no styles) whose one sheet holds `sheet_rows`."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
        'application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
        'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{RELS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {NS} xmlns:r="{RELS}"><sheets>'
        '<sheet name="list" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{RELS}/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {NS}>'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{sheet_rows}</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


HEADER_ROW = "<row>" + "".join(_cell(h) for h in HEADER) + "</row>"


def dimension_bomb() -> bytes:
    """1.5 KB declaring 16,384 columns by 150,000 rows; it holds a header and an empty row
    12,000 (an empty cell): every row between would be padded to the declared width."""
    return xlsx(HEADER_ROW + '<row r="12000"><c r="A12000"/></row>', dimension="A1:XFD150000")


def far_cell_bomb() -> bytes:
    """One cell in the last column of the last row: no declared size, but the same padding."""
    return xlsx(HEADER_ROW + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension=None)


def many_rows(count: int = 400_000) -> bytes:
    """400,000 one-cell rows (10 MB of XML, 40 KB zipped): far beyond the 2,000-row limit."""
    return xlsx(HEADER_ROW + "<row><c><v>1</v></c></row>" * count, dimension=f"A1:A{count + 1}")


def zip_bomb(megabytes: int = 64) -> bytes:
    """A part that unpacks to 64 MB of zeros (64 KB zipped)."""
    return xlsx(HEADER_ROW, extra={"xl/media/blob.bin": bytes(megabytes * 1024 * 1024)})


def huge_field_csv() -> bytes:
    return (",".join(HEADER) + "\n" + "x" * (200 * 1024) + ",a,b,IT,6B06102,p,2\n").encode()


BOMBS: dict[str, tuple[str, Any, str]] = {
    # name: (file name, content, the reason's words in the answer)
    "dimension": ("list.xlsx", dimension_bomb, "Нет строк"),
    "far_cell": ("list.xlsx", far_cell_bomb, "вместе с пустыми"),
    "rows": ("list.xlsx", many_rows, "больше 2000 строк"),
    "zip": ("list.xlsx", zip_bomb, "распакованное содержимое больше"),
    "not_zip": ("list.xlsx", lambda: b"iin;last_name\n" * 50, "это не файл XLSX"),
    "corrupt": ("list.xlsx", lambda: xlsx("<row><c><v>1</v></c>"), "повреждён"),
    "csv_field": ("list.csv", huge_field_csv, "поле длиннее 128 КБ"),
    "too_large": ("list.csv", lambda: b"a" * (5 * 1024 * 1024 + 10), "файл больше 5 МБ"),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_spreadsheet_bomb_is_refused_quickly_over_the_api(app, ctx, client, people, bomb):
    deploy_all(ctx)
    filename, make, reason = BOMBS[bomb]
    content = make()
    assert len(content) <= 5 * 1024 * 1024 + 10
    started = time.process_time()
    r = client.post("/api/v1/contingent-orders", headers=people["registrar"], data={
        "order_kind": "promotion", "effective_date": "2030-09-01",
        "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    spent = time.process_time() - started
    assert spent < CPU_BUDGET, f"{bomb}: {spent:.1f} s of CPU before the answer"
    assert r.status_code == 422, (r.status_code, r.get_data(as_text=True)[:500])
    assert filename in r.json["message"] and reason in r.json["fields"]["file"] + r.json["message"], r.json
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    kk = client.post("/api/v1/contingent-orders", headers={**people["registrar"], "Accept-Language": "kk"},
                     data={"order_kind": "promotion", "effective_date": "2030-09-01",
                           "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    assert kk.status_code == 422 and kk.json["fields"]["file"] != r.json["fields"]["file"], kk.json


IMPORT_REASONS = {"far_cell": "вместе с пустыми", "zip": "распакованное", "not_zip": "это не файл XLSX",
                  "csv_field": "поле длиннее 128 КБ"}


@pytest.mark.parametrize("bomb", sorted(IMPORT_REASONS))
def test_students_import_refuses_the_bomb(ctx, tmp_path: Path, bomb):
    """`regoffice students import`: the same reader (its limit is the whole university,
    100,000 rows, 128 MB unpacked), an error naming the file and the reason, nothing written."""
    filename, make, _reason = BOMBS[bomb]
    path = tmp_path / filename
    path.write_bytes(zip_bomb(200) if bomb == "zip" else make())
    started = time.process_time()
    with pytest.raises(Invalid) as caught:
        students.import_students(ctx, path)
    assert time.process_time() - started < CPU_BUDGET
    assert filename in str(caught.value) and IMPORT_REASONS[bomb] in caught.value.fields["file"], \
        (str(caught.value), caught.value.fields)


def test_students_import_ignores_declared_dimensions(ctx, tmp_path: Path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(dimension_bomb())
    started = time.process_time()
    result = students.import_students(ctx, path)
    assert time.process_time() - started < CPU_BUDGET
    assert (result.created, result.updated, result.errors) == (0, 0, [])
