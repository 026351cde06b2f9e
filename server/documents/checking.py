"""The office's templates checked before they are used: each template base
(`order_transfer_in`) has its Russian and Kazakh .docx (`order_transfer_in_ru.docx`, `_kk.docx`)
and one example context (`order_transfer_in.example.json`) that both render with.

A template is refused when it uses a tag the example context does not provide (the tag is named),
when a tag is malformed (typically a `{{ tag }}` Word split or half-retyped: the reason and the
text around it are given), or when the file is not a .docx. The same check runs in
`regoffice check`, at deploy and when the office uploads a new version.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx

from server.documents.render import TemplateRenderError, render_docx, template_variables

TEMPLATE_LANGUAGES = ("ru", "kk")
# A template may have an English file too (the transcript): checked when it is there.
OPTIONAL_LANGUAGES = ("en",)
# Names every issue adds to a builder's context (the QR code is a picture, the link a string).
ISSUE_NAMES = frozenset({"qr", "verification_url"})


def _pixel_png() -> bytes:
    """A 1x1 white PNG: stands in for the QR code when a template is checked."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b""))


_PIXEL = _pixel_png()
_BROKEN_TAG = re.compile(r"\{\s+[{%]|[}%]\s+\}|\{\{[^}]*$|^[^{]*\}\}|\{%[^%]*$|^[^{]*%\}")


@dataclass(frozen=True)
class TemplateProblem:
    """Why a template cannot be used: ``kind`` is ``missing_tag``, ``malformed`` or ``unreadable``;
    ``tag`` is the missing name, ``detail`` the parser's reason or the text around the tag."""

    template: str
    kind: str
    tag: str = ""
    detail: str = ""


def example_path(templates_dir: Path, base: str) -> Path:
    return templates_dir / f"{base}.example.json"


def template_path(templates_dir: Path, base: str, language: str) -> Path:
    return templates_dir / f"{base}_{language}.docx"


def template_languages(templates_dir: Path, base: str) -> tuple[str, ...]:
    """Russian and Kazakh, and each optional language the base has a file in."""
    return TEMPLATE_LANGUAGES + tuple(lang for lang in OPTIONAL_LANGUAGES
                                      if template_path(templates_dir, base, lang).is_file())


def template_bases(templates_dir: Path) -> list[str]:
    """Every base with a .docx in templates/ (its example file may be missing: that is a problem
    the check reports)."""
    bases = {p.name.rsplit("_", 1)[0] for p in templates_dir.glob("*_*.docx")
             if p.stem.rsplit("_", 1)[-1] in TEMPLATE_LANGUAGES}
    return sorted(bases)


def example_context(templates_dir: Path, base: str) -> dict[str, Any]:
    """The documented example context of a base (a fresh copy on every call)."""
    return json.loads(example_path(templates_dir, base).read_text(encoding="utf-8"))


def tags_of(template: Path | bytes) -> list[str]:
    """The top-level names a template prints or loops over, sorted (`university`, `students`)."""
    try:
        return sorted(template_variables(template) - ISSUE_NAMES)
    except TemplateRenderError:
        return []


def _paragraph_texts(template: Path | bytes) -> list[str]:
    document = docx.Document(io.BytesIO(template) if isinstance(template, bytes) else template)
    paragraphs = list(document.paragraphs)
    paragraphs += [p for table in document.tables for row in table.rows for cell in row.cells
                   for p in cell.paragraphs]
    return [p.text for p in paragraphs]


def _broken_tags(name: str, template: Path | bytes) -> list[TemplateProblem]:
    """Tags broken across paragraphs or with a space typed inside the braces (`{ {`, `} }`)."""
    problems = []
    for text in _paragraph_texts(template):
        if ("{" in text or "}" in text) and _BROKEN_TAG.search(text):
            problems.append(TemplateProblem(name, "malformed", detail=text.strip()[:160]))
    return problems


def _near(reason: str) -> str:
    """The document's own text around a tag the parser rejected (its reason is in English)."""
    return reason.split(" near: ", 1)[1].strip() if " near: " in reason else ""


def check_template(name: str, template: Path | bytes, context: Mapping[str, Any]) -> list[TemplateProblem]:
    """Problems of one template rendered with ``context`` (empty when it renders)."""
    try:
        broken = _broken_tags(name, template)
    except Exception:  # anything unreadable is one answer: not a .docx
        return [TemplateProblem(name, "unreadable")]
    if broken:
        return broken
    provided = set(context) | ISSUE_NAMES
    try:
        missing = sorted(template_variables(template) - provided)
    except TemplateRenderError as exc:
        return [TemplateProblem(name, "malformed", detail=_near(exc.reason))]
    if missing:
        return [TemplateProblem(name, "missing_tag", tag=tag) for tag in missing]
    values = {"verification_url": "https://example.invalid/verify/EXAMPLE", **context}
    try:
        render_docx(template, values, images={"qr": _PIXEL})
    except TemplateRenderError as exc:
        if exc.variable:
            return [TemplateProblem(name, "missing_tag", tag=exc.variable)]
        return [TemplateProblem(name, "malformed", detail=_near(exc.reason))]
    return []


def check_folder(templates_dir: Path) -> list[TemplateProblem]:
    """Every shipped template rendered with its base's example context."""
    problems: list[TemplateProblem] = []
    for base in template_bases(templates_dir):
        if not example_path(templates_dir, base).is_file():
            problems.append(TemplateProblem(f"{base}.example.json", "no_example"))
            continue
        context = example_context(templates_dir, base)
        for language in template_languages(templates_dir, base):
            path = template_path(templates_dir, base, language)
            if not path.is_file():
                problems.append(TemplateProblem(path.name, "unreadable"))
                continue
            problems += check_template(path.name, path, context)
    return problems
