"""Checks on documents as printed: LibreOffice turns the .docx into a PDF and poppler's
``pdftotext -bbox-layout`` gives its pages, lines and words, so a test can say what a reader
sees: a word broken across lines in a table cell, a signature alone on the next page, a
Russian word in a Kazakh document.

    pdf = to_pdf(docx_bytes)                    # skips the test when LibreOffice is missing
    assert_words_whole(pdf, ["Жаксылыкова Айгерим", "русский"])
    assert_same_page(pdf, "Основание:", "Ректор")
    assert not russian_words(docx_text(docx_bytes))
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.documents.pdf import PdfUnavailable, docx_to_pdf

__all__ = [
    "RUSSIAN_ONLY",
    "Page",
    "assert_same_page",
    "assert_words_whole",
    "docx_text",
    "page_of",
    "pdf_pages",
    "russian_words",
    "to_pdf",
]

_XHTML = "{http://www.w3.org/1999/xhtml}"
# punctuation a word may carry on either side in print («», (), quotes, commas, colons …)
_EDGE = "«»\"'“”„()[]{}.,;:!?…—–-/№"


@dataclass(frozen=True)
class Page:
    """One PDF page: its lines of text, top to bottom, each line a list of words."""

    number: int  # 1-based
    lines: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(words) for words in self.lines)


def to_pdf(docx: bytes) -> bytes:
    """The PDF LibreOffice prints for ``docx``; the calling test is skipped without LibreOffice."""
    try:
        return docx_to_pdf(docx)
    except PdfUnavailable as exc:
        pytest.skip(f"LibreOffice is not installed here ({exc}); the print checks need it")


def pdf_pages(pdf: bytes) -> list[Page]:
    """Pages, lines and words of ``pdf`` as poppler lays them out."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed here (Debian: poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="regoffice-doccheck-") as tmp:
        source = Path(tmp) / "document.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-bbox-layout", str(source), "-"],
                             check=True, capture_output=True, timeout=60).stdout
    root = ET.fromstring(out)
    pages: list[Page] = []
    for number, page in enumerate(root.iter(f"{_XHTML}page"), start=1):
        lines = tuple(
            tuple(word.text or "" for word in line.iter(f"{_XHTML}word"))
            for line in page.iter(f"{_XHTML}line"))
        pages.append(Page(number, lines))
    return pages


def _bare(word: str) -> str:
    return word.strip(_EDGE).casefold()


def _tokens(value: str) -> list[str]:
    return [t for t in (_bare(w) for w in value.split()) if t]


def assert_words_whole(pdf: bytes, values: Iterable[str]) -> None:
    """Every word of every value (the data put into table cells) is printed whole on one line.

    A word that LibreOffice broke across two lines («русски» / «й», «Жаксылыко-» / «ва») is
    then missing from the printed words; a word that appears n times in the values must be
    printed whole at least n times."""
    printed = Counter(_bare(w) for page in pdf_pages(pdf) for line in page.lines for w in line)
    wanted = Counter(t for value in values for t in _tokens(str(value)))
    broken = sorted(word for word, count in wanted.items() if printed[word] < count)
    assert not broken, f"words broken across lines (or missing) in the printed document: {broken}"


def page_of(pdf: bytes, snippet: str, *, last: bool = True) -> int:
    """The page (1-based) where ``snippet`` is printed (its last occurrence by default);
    a snippet may span lines, compared with spaces normalised."""
    wanted = " ".join(snippet.split()).casefold()
    found = [page.number for page in pdf_pages(pdf)
             if wanted in " ".join(page.text.split()).casefold()]
    assert found, f"{snippet!r} is not printed in the document"
    return found[-1] if last else found[0]


def assert_same_page(pdf: bytes, last_paragraph: str, signature: str) -> None:
    """The signature block is printed on the page of the last paragraph (not alone on the next)."""
    text_page, signature_page = page_of(pdf, last_paragraph), page_of(pdf, signature)
    assert text_page == signature_page, (
        f"{signature!r} is printed on page {signature_page}, apart from the last paragraph "
        f"{last_paragraph!r} on page {text_page}")


def docx_text(docx: bytes) -> str:
    """All text of a .docx (body, tables, headers and footers), paragraph per line."""
    from docx import Document  # python-docx, installed with the app

    document = Document(io.BytesIO(docx))
    parts: list[str] = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        for part in (section.header, section.footer):
            parts.extend(p.text for p in part.paragraphs)
    return "\n".join(parts)


# Cyrillic words that are Russian and never Kazakh: function words, Russian endings of the
# words documents print, and the Russian names of the values a Kazakh document must print in
# Kazakh. Words Kazakh shares with Russian («факультет», «университет», «ректор», «грант»,
# «экономика», «психология», «курс») are not here.
_RUSSIAN_ONLY_WORDS = """
в во и на с со от до о об по для из при за под над что как или но ни бы это
его её ее их ему ей год года году г гг
справка справку справки выдана выдан выдано дана является являлся являлась обучающимся
обучающейся обучающийся обучающегося обучающемуся обучался обучалась действительно
предоставления предоставление предъявления представления месту требования требованию
приказ приказа приказом приказе согласно соответствии основание основании согласовано
ректора руководитель офиса регистратора проректор проректора декан декана деканат юрист
очная очной очное заочная заочной дистанционная платная платной платное
русский русская русском казахский казахская английский язык языке обучения обучение
форме основа основе финансирования
информационные информационная системы вычислительная программное обеспечение
экономики финансы учёт учет психологии
факультета факультете университета университете института
зачислить зачислен зачислена отчислить отчислен отчислена перевести переведен переведена
восстановить восстановлен восстановлена предоставить отпуск отпуска академический
академического академическую разницу разница кредитов кредита срок сроком
военкомат военкомата военного управления отсрочки призыва воинскую службу
гражданин гражданка гражданства связи переводом личное личного дело дела заявление
заявления студента студентка курса группа группы специальность специальности
"""
RUSSIAN_ONLY = frozenset(_RUSSIAN_ONLY_WORDS.split())

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+")


def russian_words(text: str) -> list[str]:
    """Russian-only words found in ``text`` (lower case, in order, repeats kept).

    A capital letter followed by a full stop is an initial («С. Ахметов»), not the
    preposition «с»."""
    found: list[str] = []
    for match in _CYRILLIC_WORD.finditer(text):
        word = match.group(0)
        if len(word) == 1 and word.isupper() and text[match.end():match.end() + 1] == ".":
            continue
        if word.casefold() in RUSSIAN_ONLY:
            found.append(word.casefold())
    return found
