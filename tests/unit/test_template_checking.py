"""server.documents.checking: a template rendered with its example context names the tag the
context lacks, a tag Word broke, a file that is not a .docx; the shipped templates all pass."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from server.documents.checking import (
    check_folder,
    check_template,
    example_context,
    tags_of,
    template_bases,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SHIPPED = TEMPLATES / "cert_study_ru.docx"


def with_paragraphs(*paragraphs: str | tuple[str, ...]) -> bytes:
    """The shipped certificate with paragraphs added; a tuple is one paragraph in several runs
    (as Word stores a tag typed in pieces)."""
    document = docx.Document(SHIPPED)
    for paragraph in paragraphs:
        added = document.add_paragraph()
        for run in (paragraph,) if isinstance(paragraph, str) else paragraph:
            added.add_run(run)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_every_shipped_template_renders_with_its_example():
    assert len(template_bases(TEMPLATES)) >= 14
    assert check_folder(TEMPLATES) == []


def test_tags_are_the_top_level_names():
    tags = tags_of(SHIPPED)
    assert {"number", "student", "signatory", "university"} <= set(tags)
    assert "qr" not in tags and "verification_url" not in tags  # filled in at issue


@pytest.mark.parametrize(("paragraph", "tag"), [
    ("{{ stamp_text }}", "stamp_text"),
    ("{{ student.favourite_colour }}", "favourite_colour"),
])
def test_a_tag_the_context_lacks_is_named(paragraph, tag):
    example = example_context(TEMPLATES, "cert_study")
    [problem] = check_template("x_ru.docx", with_paragraphs(paragraph), example)
    assert (problem.kind, problem.tag, problem.template) == ("missing_tag", tag, "x_ru.docx")


def test_a_tag_in_pieces_of_one_paragraph_still_renders():
    """Word keeps a tag typed in one paragraph in several runs; docxtpl joins them."""
    content = with_paragraphs(("{{ num", "ber }}"))
    assert check_template("x_ru.docx", content, example_context(TEMPLATES, "cert_study")) == []


@pytest.mark.parametrize("paragraphs", [
    ("№ {{ number }",),
    ("{ { number }}",),
    ("{{ number", "}}"),  # a tag broken across two paragraphs
    ("{% if number %}",),  # a block never closed
])
def test_a_broken_tag_is_refused_with_the_text_around_it(paragraphs):
    example = example_context(TEMPLATES, "cert_study")
    problems = check_template("x_kk.docx", with_paragraphs(*paragraphs), example)
    assert problems and {p.kind for p in problems} == {"malformed"}


def test_not_a_docx():
    [problem] = check_template("x_ru.docx", b"not a zip", {})
    assert problem.kind == "unreadable"
