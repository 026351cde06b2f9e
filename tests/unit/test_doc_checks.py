"""The print checks of tests/doc_checks.py catch what they promise, on real LibreOffice output."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.shared import Mm

from tests.doc_checks import (
    assert_same_page,
    assert_words_whole,
    docx_text,
    page_of,
    russian_words,
    to_pdf,
)


def _docx_with_narrow_cell(word: str, *, width_mm: float) -> bytes:
    document = Document()
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    for column, cell, mm in zip(table.columns, table.rows[0].cells, (width_mm, 100), strict=True):
        column.width = cell.width = Mm(mm)
    table.rows[0].cells[0].text = word
    table.rows[0].cells[1].text = "ИИН 040512300127"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_broken_in_a_narrow_cell_is_caught() -> None:
    name = "Жаксылыковааааааааа"
    assert_words_whole(to_pdf(_docx_with_narrow_cell(name, width_mm=60)), [name, "040512300127"])
    with pytest.raises(AssertionError, match="broken"):
        assert_words_whole(to_pdf(_docx_with_narrow_cell(name, width_mm=12)), [name])


def test_the_page_of_a_paragraph() -> None:
    document = Document()
    document.add_paragraph("Первая страница.")
    document.add_page_break()
    document.add_paragraph("Ректор А. Тулегенов")
    out = io.BytesIO()
    document.save(out)
    pdf = to_pdf(out.getvalue())
    assert page_of(pdf, "Первая страница") == 1
    assert page_of(pdf, "Ректор А. Тулегенов") == 2
    with pytest.raises(AssertionError, match="apart from the last paragraph"):
        assert_same_page(pdf, "Первая страница", "Ректор")
    assert "Ректор А. Тулегенов" in docx_text(out.getvalue())


def test_russian_words_in_kazakh_text() -> None:
    assert russian_words("Анықтама для предоставления в военкомат ұсыну үшін берілді") == [
        "для", "предоставления", "в", "военкомат"]
    # Kazakh, with initials and words both languages share
    assert russian_words("С. Ахметов, Экономика факультеті, 2 курс, грант, В. Ли") == []
