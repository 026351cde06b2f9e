"""The order templates of transfer_out, transfer_internal and mobility: each renders its
documented example (templates/<base>.example.json), and every tag is a run of its own."""

from __future__ import annotations

import io

import docx
import pytest

from server.documents import render_docx, template_variables
from server.documents.checking import example_context
from server.services.documents.verification import qr_png
from tests.unit.test_render import TEMPLATES

NAMES = sorted(f"{base}_{lang}.docx" for base in ("order_transfer_out", "order_transfer_internal",
                                                  "order_mobility", "order_mobility_recredit")
               for lang in ("ru", "kk"))


def example_for(name: str) -> dict:
    return example_context(TEMPLATES, name.rsplit("_", 1)[0])


def _render(name: str) -> bytes:
    """The template rendered with its example and the QR code the render job passes."""
    example = example_for(name)
    return render_docx(TEMPLATES / name, example, images={"qr": qr_png(example["verification_url"])})


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("name", NAMES)
def test_example_renders_without_leftover_tags(name):
    text = _text(_render(name))
    assert "{{" not in text and "{%" not in text
    assert example_for(name)["number"] in text
    assert template_variables(TEMPLATES / name) <= set(example_for(name)) | {"qr"}


@pytest.mark.parametrize(("name", "expected"), [
    ("order_transfer_out_ru.docx", ["Об отчислении в связи с переводом", "№ 512-П от 18.08.2026",
                                    "«Карагандинский университет имени академика Е. А. Букетова»"]),
    ("order_transfer_out_kk.docx", ["ауысуына байланысты оқудан шығару туралы", "18.08.2026 № 512-П"]),
    ("order_transfer_internal_ru.docx", ["О переводе", "Прежняя программа",
                                         "6B06101 Информационные системы"]),
    ("order_transfer_internal_kk.docx", ["Ауыстыру туралы", "Бұрынғы бағдарлама"]),
    ("order_mobility_ru.docx", ["внутренней академической мобильности", "с 01.02.2027 по 30.06.2027"]),
    ("order_mobility_kk.docx", ["Ішкі академиялық ұтқырлық", "01.02.2027 бастап 30.06.2027 дейін"]),
    ("order_mobility_recredit_ru.docx", ["Перезачесть обучающемуся Иванову Петру Сергеевичу",
                                         "Веб-технологии", "Всего перезачтено кредитов ECTS: 10."]),
    ("order_mobility_recredit_kk.docx", ["Білім алушы Иванов Пётр Сергеевичтің", "Оқу жоспарының пәні"]),
])
def test_example_wording(name, expected):
    text = _text(_render(name))
    for fragment in expected:
        assert fragment in text


@pytest.mark.parametrize("name", NAMES)
def test_every_tag_is_whole_in_its_run(name):
    document = docx.Document(TEMPLATES / name)
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for paragraph in paragraphs:
        for run in paragraph.runs:
            assert run.text.count("{{") == run.text.count("}}"), run.text
            assert run.text.count("{%") == run.text.count("%}"), run.text
