"""Rows of the XLSX exports written as data, never as formulas.

openpyxl stores any string that starts with "=" as a formula, so a name typed as
`=HYPERLINK(...)` would run when the register is opened (CSV/formula injection). Such strings
are written as text cells with Excel's quote prefix — the apostrophe OWASP recommends, kept
in the cell's style rather than in its value, so the text reads exactly as it was typed and
stays text even when the cell is edited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# What spreadsheet programs may read as the start of a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """`sheet.append(values)`, with every string that could start a formula kept as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True
