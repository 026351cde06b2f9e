"""Build the docxtpl order templates in templates/ from code (python-docx).

The .docx files are generated, never edited in Word: change this script, run it, commit both.
Every ``{{ tag }}`` is written as a run of its own, so Word cannot split a tag across runs.  The
output is byte-for-byte reproducible (fixed document properties and zip timestamps), so
``--check`` can tell whether the committed files match the script.

    python templates/build.py              # (re)write the templates
    python templates/build.py --check      # exit 1 if a committed template differs
    python templates/build.py --preview /tmp/out   # render EXAMPLE_CONTEXT into /tmp/out

Templates
---------
``order_transfer_in_ru.docx``  приказ «О зачислении в порядке перевода» (Russian)
``order_transfer_in_kk.docx``  бұйрық «Ауыстыру тәртібімен қабылдау туралы» (Kazakh)
``cert_study_ru.docx`` / ``cert_study_kk.docx``  справка / анықтама с места учёбы: a separate
    text block (CERT_RU / CERT_KK), builder (build_certificate) and example
    (CERT_EXAMPLE_CONTEXT); its context is documented in templates/README.md
``order_academic_leave_ru.docx`` / ``order_academic_leave_kk.docx``  приказ «О предоставлении
    академического отпуска» / бұйрық «Академиялық демалыс беру туралы»: LEAVE_RU / LEAVE_KK,
    build_leave_order, LEAVE_EXAMPLE_CONTEXT; context documented in templates/README.md
``order_reinstatement_ru.docx`` / ``order_reinstatement_kk.docx``  приказ «О восстановлении в
    число обучающихся» / бұйрық «Білім алушылар қатарына қайта қабылдау туралы»: REINSTATEMENT_RU /
    REINSTATEMENT_KK, built by build_order (the transfer order's layout and context),
    REINSTATEMENT_EXAMPLE_CONTEXT; context documented in templates/README.md
``order_transfer_out_*``, ``order_transfer_internal_*``, ``order_mobility_*``  приказы «Об отчислении
    в связи с переводом», «О переводе», «О направлении … академической мобильности»: build_order with
    the wording and one or two columns changed (TRANSFER_FAMILY_TEMPLATES);
    ``order_mobility_recredit_*`` «О перезачёте …»: build_recredit_order, a table of disciplines
    (RECREDIT_TEMPLATES); examples TRANSFER_FAMILY_EXAMPLES; contexts in templates/README.md
``cert_incomplete_*.docx``, ``duplicate_*.docx``, ``cert_military_*.docx``  справка лицам, не
    завершившим обучение (with the disciplines table), дубликат «ДУБЛИКАТ» and справка для органа
    военного управления: certificate layout (build_certificate), ISSUE3_TEMPLATES / ISSUE3_EXAMPLES;
    contexts documented in templates/README.md
``order_expulsion_*``, ``order_contingent_*``, ``order_vacant_grant_*``  приказы «Об отчислении»,
    по контингенту (зачисление, перевод на следующий курс, выпуск) and «О присуждении вакантного
    гранта»: the transfer layout (build_order) with their own name and last columns
    (_order_columns); EXPULSION_* / CONTINGENT_* / VACANT_GRANT_* and their example contexts

Both render from the same context (bilingual leaves carry ``_ru`` / ``_kk``); each template reads
only its language's fields.  Values are ``str`` unless stated; dates come preformatted
(``"15.08.2026"``).  Rendering uses StrictUndefined: every field is required, except
``difference.deadline`` when ``difference.credits`` is 0.  Values are XML-escaped.

    university: {name_ru, name_kk, city_ru, city_kk}   heading; place, e.g. "г. Алматы" / "Алматы қ."
    number: str             register number, e.g. format_number("orders", 2026, 125) -> "125-у"
    date: str               date of the order
    effective_date: str     date the students are enrolled from
    legal_basis_ru: str     follows «В соответствии с» (instrumental: «Типовыми правилами ...»)
    legal_basis_kk: str     precedes «сәйкес» (dative: «... үлгілік қағидаларына»)
    students: list, one table row each (numbered by loop.index), each:
        full_name: str          nominative «Фамилия Имя Отчество» (Kazakh order)
        full_name_acc: str      Russian accusative, decline_full_name(..., "accusative", sex)
        iin: str                12-digit ИИН / ЖСН
        year: int | str         course
        group: str
        programme: {code, name_ru, name_kk}     e.g. "6B06102", "Информационные системы"
        form_ru, form_kk: str           e.g. "очная" / "күндізгі"
        language_ru, language_kk: str   e.g. "русский" / "орыс"
        funding_ru, funding_kk: str     e.g. "грант" / "грант", "платная" / "ақылы"
        difference: {credits: int, deadline: str}   ECTS credits; 0 prints «нет» / «жоқ»
    basis: list of {name_ru, name_kk}       documents after «Основание:» / «Негіздеме:», joined by "; "
    visas: {dean, registrar_head, vice_rector, lawyer}, each {title_ru, title_kk, name}
    signatory: {title_ru, title_kk, name}   e.g. «Ректор», «А. Сериков»

The table has ten columns on portrait A4, so short values fit best («очная», «русский», «грант»,
«платная»).  Auto-hyphenation is on: Word hyphenates long Russian words, LibreOffice does so only
with its Russian hyphenation dictionary (Debian ``hyphen-ru``); Kazakh words that do not fit
break inside the word.  Column widths: COLUMN_WIDTHS_MM.  See EXAMPLE_CONTEXT below and
templates/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

TEMPLATES_DIR = Path(__file__).resolve().parent

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = Mm(30), Mm(10), Mm(20), Mm(20)
TEXT_WIDTH = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 170 mm
FIRST_LINE_INDENT = Mm(12.5)
FIXED_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

EXAMPLE_CONTEXT = {
    "university": {
        "name_ru": "НАО «Университет имени Абая»",
        "name_kk": "«Абай атындағы университет» КеАҚ",
        "city_ru": "г. Алматы",
        "city_kk": "Алматы қ.",
    },
    "number": "125-у",
    "date": "15.08.2026",
    "effective_date": "01.09.2026",
    "legal_basis_ru": (
        "Типовыми правилами деятельности организаций высшего и (или) послевузовского образования"
    ),
    "legal_basis_kk": (
        "Жоғары және (немесе) жоғары оқу орнынан кейінгі білім беру ұйымдары қызметінің үлгілік қағидаларына"
    ),
    "students": [
        {
            "full_name": "Иванов Пётр Сергеевич",
            "full_name_acc": "Иванова Петра Сергеевича",
            "iin": "040512300127",
            "year": 2,
            "group": "ИС-24-1",
            "programme": {
                "code": "6B06102",
                "name_ru": "Информационные системы",
                "name_kk": "Ақпараттық жүйелер",
            },
            "form_ru": "очная",
            "form_kk": "күндізгі",
            "language_ru": "русский",
            "language_kk": "орыс",
            "funding_ru": "платная",
            "funding_kk": "ақылы",
            "difference": {"credits": 10, "deadline": "30.12.2026"},
        },
        {
            "full_name": "Нурланова Айгерим Серикқызы",
            "full_name_acc": "Нурланову Айгерим Серикқызы",
            "iin": "050101400125",
            "year": 2,
            "group": "ИС-24-2",
            "programme": {
                "code": "6B06102",
                "name_ru": "Информационные системы",
                "name_kk": "Ақпараттық жүйелер",
            },
            "form_ru": "очная",
            "form_kk": "күндізгі",
            "language_ru": "казахский",
            "language_kk": "қазақ",
            "funding_ru": "грант",
            "funding_kk": "грант",
            "difference": {"credits": 0},
        },
    ],
    "basis": [
        {"name_ru": "личные заявления обучающихся", "name_kk": "білім алушылардың жеке өтініштері"},
        {
            "name_ru": "согласия организаций высшего образования на перевод",
            "name_kk": "жоғары білім беру ұйымдарының ауыстыруға келісімдері",
        },
        {"name_ru": "транскрипты", "name_kk": "транскрипттер"},
    ],
    "visas": {
        "dean": {
            "title_ru": "Декан факультета информационных технологий",
            "title_kk": "Ақпараттық технологиялар факультетінің деканы",
            "name": "Б. Ахметов",
        },
        "registrar_head": {
            "title_ru": "Руководитель офиса регистратора",
            "title_kk": "Тіркеуші кеңсесінің басшысы",
            "name": "Г. Садыкова",
        },
        "vice_rector": {
            "title_ru": "Проректор по академическим вопросам",
            "title_kk": "Академиялық мәселелер жөніндегі проректор",
            "name": "Е. Касымов",
        },
        "lawyer": {
            "title_ru": "Юрист",
            "title_kk": "Заңгер",
            "name": "Д. Омарова",
        },
    },
    "signatory": {"title_ru": "Ректор", "title_kk": "Ректор", "name": "А. Сериков"},
}


# --------------------------------------------------------------------------- texts per language


@dataclass(frozen=True)
class Column:
    header: str
    cell: tuple[str, ...]  # runs of the data cell; a "{{ ... }}" or "{% ... %}" is one run
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER


@dataclass(frozen=True)
class OrderText:
    lang: str  # w:lang of the text, for spelling and hyphenation
    title: str  # document property
    university: str
    city: str
    subject: str
    preamble: tuple[str, ...]
    command: str
    item_enrol: tuple[str, ...]
    items_after: tuple[str, ...]
    columns: tuple[Column, ...]
    basis_label: str
    basis_field: str
    visas_label: str
    title_field: str


HEADING = "БҰЙРЫҚ / ПРИКАЗ"
# Table columns (same in both languages): №, name, IIN, course, group, programme, form,
# language, funding, academic difference.  Widths in mm sum to TEXT_WIDTH (170 mm); headers of
# the narrow columns are rotated (read bottom to top) so the columns need only fit their data.
COLUMN_WIDTHS_MM = (6, 24, 27, 5.5, 16.5, 24.5, 16, 14.5, 14, 22)
ROTATED_HEADERS = (False, False, False, True, True, True, True, True, True, True)
HEADER_HEIGHT = Mm(38)
CELL_MARGIN_MM = 0.6  # left and right padding inside table cells
VISA_ROLES = ("dean", "registrar_head", "vice_rector", "lawyer")

RU = OrderText(
    lang="ru-RU",
    title="Приказ о зачислении в порядке перевода",
    university="{{ university.name_ru }}",
    city="{{ university.city_ru }}",
    subject="О зачислении в порядке перевода",
    preamble=(
        "В соответствии с ",
        "{{ legal_basis_ru }}",
        " и на основании личного заявления",
    ),
    command="ПРИКАЗЫВАЮ:",
    item_enrol=(
        "1. Зачислить в порядке перевода из других организаций высшего образования с ",
        "{{ effective_date }}",
        " следующих обучающихся:",
    ),
    items_after=(
        "2. Деканату обеспечить ликвидацию обучающимися академической разницы в указанные сроки.",
        "3. Офису регистратора в течение трёх рабочих дней запросить личные дела обучающихся "
        "из организаций образования, в которых они обучались.",
    ),
    columns=(
        Column("№", ("{{ loop.index }}",)),
        Column("Фамилия, имя, отчество", ("{{ s.full_name_acc }}",), WD_ALIGN_PARAGRAPH.LEFT),
        Column("ИИН", ("{{ s.iin }}",)),
        Column("Курс", ("{{ s.year }}",)),
        Column("Группа", ("{{ s.group }}",)),
        Column(
            "Образовательная программа",
            ("{{ s.programme.code }}", " ", "{{ s.programme.name_ru }}"),
            WD_ALIGN_PARAGRAPH.LEFT,
        ),
        Column("Форма обучения", ("{{ s.form_ru }}",)),
        Column("Язык обучения", ("{{ s.language_ru }}",)),
        Column("Основа обучения", ("{{ s.funding_ru }}",)),
        Column(
            "Академическая разница (ECTS), срок",
            (
                "{% if s.difference.credits %}",
                "{{ s.difference.credits }}",
                ", до ",
                "{{ s.difference.deadline }}",
                "{% else %}",
                "нет",
                "{% endif %}",
            ),
        ),
    ),
    basis_label="Основание: ",
    basis_field="name_ru",
    visas_label="Согласовано:",
    title_field="title_ru",
)

KK = OrderText(
    lang="kk-KZ",
    title="Ауыстыру тәртібімен қабылдау туралы бұйрық",
    university="{{ university.name_kk }}",
    city="{{ university.city_kk }}",
    subject="Ауыстыру тәртібімен қабылдау туралы",
    preamble=(
        "",
        "{{ legal_basis_kk }}",
        " сәйкес және жеке өтініші негізінде",
    ),
    command="БҰЙЫРАМЫН:",
    item_enrol=(
        "1. Төменде аталған білім алушылар басқа жоғары білім беру ұйымдарынан ауыстыру тәртібімен ",
        "{{ effective_date }}",
        " бастап қабылдансын:",
    ),
    items_after=(
        "2. Деканат білім алушылардың академиялық айырмашылықты көрсетілген мерзімде жоюын қамтамасыз етсін.",
        "3. Тіркеуші кеңсесі үш жұмыс күні ішінде білім алушылардың бұрын оқыған білім беру "
        "ұйымдарынан жеке істерін сұратсын.",
    ),
    columns=(
        Column("№", ("{{ loop.index }}",)),
        Column("Тегі, аты, әкесінің аты", ("{{ s.full_name }}",), WD_ALIGN_PARAGRAPH.LEFT),
        Column("ЖСН", ("{{ s.iin }}",)),
        Column("Курс", ("{{ s.year }}",)),
        Column("Тобы", ("{{ s.group }}",)),
        Column(
            "Білім беру бағдарламасы",
            ("{{ s.programme.code }}", " ", "{{ s.programme.name_kk }}"),
            WD_ALIGN_PARAGRAPH.LEFT,
        ),
        Column("Оқу нысаны", ("{{ s.form_kk }}",)),
        Column("Оқыту тілі", ("{{ s.language_kk }}",)),
        Column("Оқу негізі", ("{{ s.funding_kk }}",)),
        Column(
            "Академиялық айырмашылық (ECTS), мерзімі",
            (
                "{% if s.difference.credits %}",
                "{{ s.difference.credits }}",
                ", ",
                "{{ s.difference.deadline }}",
                " дейін",
                "{% else %}",
                "жоқ",
                "{% endif %}",
            ),
        ),
    ),
    basis_label="Негіздеме: ",
    basis_field="name_kk",
    visas_label="Келісілді:",
    title_field="title_kk",
)

TEMPLATES = {
    "order_transfer_in_ru.docx": RU,
    "order_transfer_in_kk.docx": KK,
}


# --------------------------------------------------------------------------- python-docx helpers


def _set_run_fonts(rpr, lang: str | None = None) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    if lang:
        lang_el = rpr.find(qn("w:lang"))
        if lang_el is None:
            lang_el = OxmlElement("w:lang")
            rpr.append(lang_el)
        lang_el.set(qn("w:val"), lang)
        lang_el.set(qn("w:eastAsia"), lang)
        lang_el.set(qn("w:bidi"), lang)


# w:pPr children that follow w:suppressAutoHyphens in the schema (ECMA-376 CT_PPrBase)
_AFTER_SUPPRESS_HYPHENS = (
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
    "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _hyphenation(p_pr, *, allowed: bool) -> None:
    element = OxmlElement("w:suppressAutoHyphens")
    if allowed:
        element.set(qn("w:val"), "0")
    p_pr.insert_element_before(element, *_AFTER_SUPPRESS_HYPHENS)


def _setup_document(text: OrderText | CertText) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_run_fonts(normal.element.get_or_add_rPr(), text.lang)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    _hyphenation(normal.element.get_or_add_pPr(), allowed=False)  # only the table hyphenates

    # hyphenate long words in the narrow table columns (Word; LibreOffice with hyphen-ru); the
    # Normal style switches it off for the text
    settings = doc.settings.element
    hyphenation = OxmlElement("w:autoHyphenation")
    tab_stop = settings.find(qn("w:defaultTabStop"))
    if tab_stop is not None:  # schema order: right after defaultTabStop
        tab_stop.addnext(hyphenation)
    else:
        settings.append(hyphenation)

    props = doc.core_properties
    props.title = text.title
    props.author = "regoffice templates/build.py"
    props.last_modified_by = "regoffice templates/build.py"
    props.comments = "Generated by templates/build.py; do not edit by hand."
    props.language = text.lang
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.revision = 1
    return doc


def _add_runs(
    paragraph: Paragraph,
    parts: tuple[str, ...] | list[str],
    *,
    bold: bool = False,
    size: int | None = None,
) -> None:
    """One run per part: a jinja tag is never split across runs."""
    for part in parts:
        if not part:
            continue
        run = paragraph.add_run(part)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)


def _para(
    container,
    parts: tuple[str, ...] | list[str] = (),
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    bold: bool = False,
    size: int | None = None,
    space_before: int = 0,
    space_after: int = 0,
    first_line_indent=None,
    keep_with_next: bool = False,
) -> Paragraph:
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if space_before:
        fmt.space_before = Pt(space_before)
    if space_after:
        fmt.space_after = Pt(space_after)
    if first_line_indent is not None:
        fmt.first_line_indent = first_line_indent
    if keep_with_next:
        fmt.keep_with_next = True
    _add_runs(paragraph, parts, bold=bold, size=size)
    return paragraph


def _cell_paragraph(
    cell: _Cell, parts: tuple[str, ...], align: WD_ALIGN_PARAGRAPH, *, bold: bool = False
) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    _hyphenation(paragraph._p.get_or_add_pPr(), allowed=True)
    _add_runs(paragraph, parts, bold=bold, size=TABLE_PT)


def _row_flags(row, *, header: bool = False) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _table_properties(table) -> None:
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(Mm(CELL_MARGIN_MM).twips)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)


def _rotate(cell: _Cell) -> None:
    direction = OxmlElement("w:textDirection")
    direction.set(qn("w:val"), "btLr")
    tc_pr = cell._tc.get_or_add_tcPr()
    v_align = tc_pr.find(qn("w:vAlign"))
    if v_align is not None:  # schema order: textDirection comes before vAlign
        v_align.addprevious(direction)
    else:
        tc_pr.append(direction)


def _add_students_table(doc: DocxDocument, text: OrderText) -> None:
    columns = text.columns
    assert len(columns) == len(COLUMN_WIDTHS_MM) == len(ROTATED_HEADERS)
    total = sum(COLUMN_WIDTHS_MM)
    assert abs(Mm(total) - TEXT_WIDTH) < Mm(0.5), f"columns are {total} mm wide"
    # header row, "{%tr for %}" row, data row, "{%tr endfor %}" row
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_properties(table)
    for i, width in enumerate(COLUMN_WIDTHS_MM):
        table.columns[i].width = Mm(width)
        for row in table.rows:
            row.cells[i].width = Mm(width)

    header, loop_start, data, loop_end = table.rows
    _row_flags(header, header=True)
    header.height = HEADER_HEIGHT
    header.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    for row in (loop_start, data, loop_end):
        _row_flags(row)
    for cell, column, rotated in zip(header.cells, columns, ROTATED_HEADERS, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_paragraph(cell, (column.header,), WD_ALIGN_PARAGRAPH.CENTER, bold=True)
        if rotated:
            _rotate(cell)
    # docxtpl removes the rows holding {%tr ... %} and repeats what lies between them; their
    # cells are merged so the tag reads on one line when the template is opened in Word
    for row, tag in ((loop_start, "{%tr for s in students %}"), (loop_end, "{%tr endfor %}")):
        merged = row.cells[0].merge(row.cells[-1])
        _cell_paragraph(merged, (tag,), WD_ALIGN_PARAGRAPH.LEFT)
    for cell, column in zip(data.cells, columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        _cell_paragraph(cell, column.cell, column.align)


def _signature_line(doc: DocxDocument, parts_left, parts_right, *, space_before=0, size=None, keep=False):
    paragraph = _para(doc, space_before=space_before, keep_with_next=keep)
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _add_runs(paragraph, parts_left, size=size)
    _add_runs(paragraph, ("\t",), size=size)
    _add_runs(paragraph, parts_right, size=size)
    return paragraph


def build_order(text: OrderText) -> DocxDocument:
    doc = _setup_document(text)
    _order_heading(doc, text)
    _para(
        doc,
        text.item_enrol,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        first_line_indent=FIRST_LINE_INDENT,
        space_after=6,
        keep_with_next=True,
    )
    _add_students_table(doc, text)
    _order_closing(doc, text)
    return doc


def _order_heading(doc: DocxDocument, text: OrderText) -> None:
    """University, БҰЙРЫҚ / ПРИКАЗ, date and number, city, subject, preamble, ПРИКАЗЫВАЮ."""
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    center = WD_ALIGN_PARAGRAPH.CENTER

    _para(doc, (text.university,), align=center, bold=True)
    _para(doc, (HEADING,), align=center, bold=True, space_before=12, space_after=6)

    date_line = _para(doc)
    date_line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _add_runs(date_line, ("{{ date }}", "\t", "№ ", "{{ number }}"))
    _para(doc, (text.city,), align=center, space_after=12)

    _para(doc, (text.subject,), bold=True, space_after=12)
    _para(doc, text.preamble, align=justify, first_line_indent=FIRST_LINE_INDENT)
    _para(doc, (text.command,), bold=True, space_before=6, space_after=6)


def _order_closing(doc: DocxDocument, text: OrderText) -> None:
    """The items after the table, «Основание:», the rector's signature and the visas."""
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    for i, item in enumerate(text.items_after):
        _para(
            doc,
            (item,),
            align=justify,
            first_line_indent=FIRST_LINE_INDENT,
            space_before=6 if i == 0 else 0,
        )
    _para(
        doc,
        (
            text.basis_label,
            "{% for d in basis %}",
            f"{{{{ d.{text.basis_field} }}}}",
            "{% if not loop.last %}",
            "; ",
            "{% endif %}",
            "{% endfor %}",
        ),
        align=justify,
        space_before=12,
        keep_with_next=True,  # never leave the signature alone on a page
    )

    _signature_line(
        doc,
        (f"{{{{ signatory.{text.title_field} }}}}",),
        ("{{ signatory.name }}",),
        space_before=30,
    )

    _para(doc, (text.visas_label,), size=TABLE_PT, space_before=30, keep_with_next=True)
    for role in VISA_ROLES:
        _signature_line(
            doc,
            (f"{{{{ visas.{role}.{text.title_field} }}}}",),
            ("{{ visas." + role + ".name }}",),
            space_before=8,
            size=TABLE_PT,
            keep=role != VISA_ROLES[-1],
        )


# --------------------------------------------------------------------------- certificate (справка)

CERT_EXAMPLE_CONTEXT = {
    "university": {
        "name_ru": "НАО «Университет имени Абая»",
        "name_kk": "«Абай атындағы университет» КеАҚ",
        "city_ru": "г. Алматы",
        "city_kk": "Алматы қ.",
    },
    "number": "7-с",
    "date": "15.10.2026",
    "student": {
        "full_name": "Иванов Пётр Сергеевич",
        "full_name_dat": "Иванову Петру Сергеевичу",
        "status_ru": "он действительно является обучающимся",
        "iin": "040512300127",
        "year": 2,
        "programme": {
            "code": "6B06102",
            "name_ru": "Информационные системы",
            "name_kk": "Ақпараттық жүйелер",
        },
        "faculty_ru": "Факультет информационных технологий",
        "faculty_kk": "Ақпараттық технологиялар факультеті",
        "form_ru": "очная",
        "form_kk": "күндізгі",
        "language_ru": "русский",
        "language_kk": "орыс",
        "funding_ru": "грант",
        "funding_kk": "грант",
    },
    "enrolment_order": {"number": "125-у", "date": "15.08.2025"},
    "study_period": {"start": "01.09.2025", "end": "30.06.2029"},
    "purpose_ru": "по месту требования",
    "purpose_kk": "талап етілген жерге",
    "valid_until": "15.04.2027",
    "signatory": {
        "title_ru": "Руководитель офиса регистратора",
        "title_kk": "Тіркеуші кеңсесінің басшысы",
        "name": "Г. Садыкова",
    },
    "verification_url": "https://regoffice.example.kz/verify/7-с",
}


@dataclass(frozen=True)
class CertText:
    lang: str  # w:lang of the text
    title: str  # document property
    university: str
    city: str
    heading: str
    number_line: tuple[str, ...]
    opening: tuple[str, ...]  # «Дана … в том, что …»
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (label, value runs), one paragraph each
    purpose: tuple[str, ...]
    validity: tuple[str, ...]
    signatory_field: str
    verification: tuple[str, ...]
    # optional table after the fields (a row per item of the list `table_loop` names, e.g. the
    # disciplines of a certificate for those who did not complete studies); empty: no table
    table_title: tuple[str, ...] = ()
    table: tuple[Column, ...] = ()
    table_widths_mm: tuple[float, ...] = ()
    table_loop: str = ""
    after_table: tuple[str, ...] = ()


CERT_RU = CertText(
    lang="ru-RU",
    title="Справка с места учёбы",
    university="{{ university.name_ru }}",
    city="{{ university.city_ru }}",
    heading="СПРАВКА",
    number_line=("№ ", "{{ number }}", " от ", "{{ date }}"),
    opening=(
        "Дана ",
        "{{ student.full_name_dat }}",
        ", ИИН ",
        "{{ student.iin }}",
        ", в том, что ",
        "{{ student.status_ru }}",
        " университета:",
    ),
    fields=(
        ("Курс: ", ("{{ student.year }}",)),
        ("Форма обучения: ", ("{{ student.form_ru }}",)),
        ("Образовательная программа: ",
         ("{{ student.programme.code }}", " ", "{{ student.programme.name_ru }}")),
        ("Факультет: ", ("{{ student.faculty_ru }}",)),
        ("Язык обучения: ", ("{{ student.language_ru }}",)),
        ("Основа обучения: ", ("{{ student.funding_ru }}",)),
        ("Приказ о зачислении: ",
         ("№ ", "{{ enrolment_order.number }}", " от ", "{{ enrolment_order.date }}")),
        ("Период обучения: ", ("с ", "{{ study_period.start }}", " по ", "{{ study_period.end }}")),
    ),
    purpose=("Справка выдана для предъявления ", "{{ purpose_ru }}", "."),
    validity=("Справка действительна до ", "{{ valid_until }}", "."),
    signatory_field="title_ru",
    verification=("Проверить подлинность справки: ", "{{ verification_url }}"),
)

CERT_KK = CertText(
    lang="kk-KZ",
    title="Оқу орнынан анықтама",
    university="{{ university.name_kk }}",
    city="{{ university.city_kk }}",
    heading="АНЫҚТАМА",
    number_line=("{{ date }}", " № ", "{{ number }}"),
    opening=(
        "Осы анықтама ",
        "{{ student.full_name }}",
        " (ЖСН ",
        "{{ student.iin }}",
        ") шынымен де университеттің білім алушысы екендігі туралы берілді:",
    ),
    fields=(
        ("Курс: ", ("{{ student.year }}",)),
        ("Оқу нысаны: ", ("{{ student.form_kk }}",)),
        ("Білім беру бағдарламасы: ",
         ("{{ student.programme.code }}", " ", "{{ student.programme.name_kk }}")),
        ("Факультет: ", ("{{ student.faculty_kk }}",)),
        ("Оқыту тілі: ", ("{{ student.language_kk }}",)),
        ("Оқу негізі: ", ("{{ student.funding_kk }}",)),
        ("Қабылдау туралы бұйрық: ",
         ("{{ enrolment_order.date }}", " № ", "{{ enrolment_order.number }}")),
        ("Оқу кезеңі: ", ("{{ study_period.start }}", " – ", "{{ study_period.end }}")),
    ),
    purpose=("Анықтама ", "{{ purpose_kk }}", " ұсыну үшін берілді."),
    validity=("Анықтама ", "{{ valid_until }}", " дейін жарамды."),
    signatory_field="title_kk",
    verification=("Анықтаманың түпнұсқалығын тексеру: ", "{{ verification_url }}"),
)

CERT_TEMPLATES = {
    "cert_study_ru.docx": CERT_RU,
    "cert_study_kk.docx": CERT_KK,
}


def _add_loop_table(doc: DocxDocument, columns: tuple[Column, ...], widths_mm: tuple[float, ...],
                    loop: str) -> None:
    """A plain grid: a bold header row, then one row per item of the list `loop` (``r``)."""
    assert len(columns) == len(widths_mm)
    assert abs(Mm(sum(widths_mm)) - TEXT_WIDTH) < Mm(0.5), f"columns are {sum(widths_mm)} mm wide"
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_properties(table)
    for i, width in enumerate(widths_mm):
        table.columns[i].width = Mm(width)
        for row in table.rows:
            row.cells[i].width = Mm(width)
    header, loop_start, data, loop_end = table.rows
    _row_flags(header, header=True)
    for row in (loop_start, data, loop_end):
        _row_flags(row)
    for cell, column in zip(header.cells, columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_paragraph(cell, (column.header,), WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    for row, tag in ((loop_start, f"{{%tr for r in {loop} %}}"), (loop_end, "{%tr endfor %}")):
        merged = row.cells[0].merge(row.cells[-1])
        _cell_paragraph(merged, (tag,), WD_ALIGN_PARAGRAPH.LEFT)
    for cell, column in zip(data.cells, columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        _cell_paragraph(cell, column.cell, column.align)


def build_certificate(text: CertText) -> DocxDocument:
    doc = _setup_document(text)
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    center = WD_ALIGN_PARAGRAPH.CENTER

    _para(doc, (text.university,), align=center, bold=True)
    _para(doc, (text.city,), align=center, space_after=12)
    _para(doc, text.number_line, space_after=12)
    _para(doc, (text.heading,), align=center, bold=True, space_after=12)
    _para(doc, text.opening, align=justify, first_line_indent=FIRST_LINE_INDENT, space_after=6)
    for label, value in text.fields:
        _para(doc, (label, *value), first_line_indent=FIRST_LINE_INDENT)
    if text.table:
        _para(doc, text.table_title, bold=True, space_before=12, space_after=6, keep_with_next=True)
        _add_loop_table(doc, text.table, text.table_widths_mm, text.table_loop)
        _para(doc, text.after_table, align=justify, space_before=6)
    _para(doc, text.purpose, align=justify, first_line_indent=FIRST_LINE_INDENT, space_before=12)
    _para(doc, text.validity, align=justify, first_line_indent=FIRST_LINE_INDENT,
          keep_with_next=True)
    _signature_line(
        doc,
        (f"{{{{ signatory.{text.signatory_field} }}}}",),
        ("{{ signatory.name }}",),
        space_before=30,
    )
    # The QR code of the verification link: an image the render job passes as `qr`.
    _para(doc, ("{{ qr }}",), space_before=24)
    _para(doc, text.verification, size=TABLE_PT)
    return doc


# --------------------------------------------------------------------------- academic leave order

LEAVE_EXAMPLE_CONTEXT = {
    "university": CERT_EXAMPLE_CONTEXT["university"],
    "number": "12-у",
    "date": "15.10.2026",
    "legal_basis_ru": "Правилами предоставления академического отпуска обучающимся в организациях "
    "образования, утверждёнными приказом Министра образования и науки Республики Казахстан "
    "от 4 декабря 2014 года № 506",
    "legal_basis_kk": "Қазақстан Республикасы Білім және ғылым министрінің 2014 жылғы 4 желтоқсандағы "
    "№ 506 бұйрығымен бекітілген Білім беру ұйымдарында білім алушыларға академиялық демалыс беру "
    "қағидаларына",
    "student": {
        "full_name": "Иванов Пётр Сергеевич",
        "full_name_dat": "Иванову Петру Сергеевичу",
        "learner_ru": "обучающемуся",
        "iin": "040512300127",
        "year": 2,
        "group": "ИС-24-1",
        "programme": {
            "code": "6B06102",
            "name_ru": "Информационные системы",
            "name_kk": "Ақпараттық жүйелер",
        },
        "faculty_ru": "Факультет информационных технологий",
        "faculty_kk": "Ақпараттық технологиялар факультеті",
        "form_ru": "очная",
        "form_kk": "күндізгі",
        "funding_ru": "грант",
        "funding_kk": "грант",
    },
    "ground_ru": "по болезни на основании заключения врачебно-консультационной комиссии",
    "ground_kk": "дәрігерлік-консультациялық комиссияның қорытындысы негізінде ауруына байланысты",
    "leave": {"start": "01.11.2026", "end": "31.10.2027", "months": 12},
    "basis": [
        {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"},
        {"name_ru": "заключение врачебно-консультационной комиссии",
         "name_kk": "дәрігерлік-консультациялық комиссияның қорытындысы"},
    ],
    "visas": EXAMPLE_CONTEXT["visas"],
    "signatory": EXAMPLE_CONTEXT["signatory"],
}


@dataclass(frozen=True)
class LeaveText:
    lang: str  # w:lang of the text
    title: str  # document property
    university: str
    city: str
    subject: str
    preamble: tuple[str, ...]
    command: str
    item_grant: tuple[str, ...]  # «1. Предоставить академический отпуск … Иванову Петру …»
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # (label, value runs), one paragraph each
    items_after: tuple[str, ...]
    basis_label: str
    basis_field: str
    visas_label: str
    title_field: str


LEAVE_RU = LeaveText(
    lang="ru-RU",
    title="Приказ о предоставлении академического отпуска",
    university="{{ university.name_ru }}",
    city="{{ university.city_ru }}",
    subject="О предоставлении академического отпуска",
    preamble=("В соответствии с ", "{{ legal_basis_ru }}", " и на основании личного заявления"),
    command="ПРИКАЗЫВАЮ:",
    item_grant=(
        "1. Предоставить академический отпуск с ",
        "{{ leave.start }}",
        " по ",
        "{{ leave.end }}",
        " ",
        "{{ ground_ru }}",
        " ",
        "{{ student.learner_ru }}",
        " ",
        "{{ student.full_name_dat }}",
        ", ИИН ",
        "{{ student.iin }}",
        ":",
    ),
    fields=(
        ("Курс: ", ("{{ student.year }}",)),
        ("Группа: ", ("{{ student.group }}",)),
        ("Образовательная программа: ",
         ("{{ student.programme.code }}", " ", "{{ student.programme.name_ru }}")),
        ("Факультет: ", ("{{ student.faculty_ru }}",)),
        ("Форма обучения: ", ("{{ student.form_ru }}",)),
        ("Основа обучения: ", ("{{ student.funding_ru }}",)),
    ),
    items_after=(
        "2. Офису регистратора внести сведения об академическом отпуске в информационную систему, "
        "для обучающихся по государственному образовательному гранту направить копию приказа "
        "в уполномоченный орган.",
        "3. Контроль за исполнением приказа возложить на декана факультета.",
    ),
    basis_label="Основание: ",
    basis_field="name_ru",
    visas_label="Согласовано:",
    title_field="title_ru",
)

LEAVE_KK = LeaveText(
    lang="kk-KZ",
    title="Академиялық демалыс беру туралы бұйрық",
    university="{{ university.name_kk }}",
    city="{{ university.city_kk }}",
    subject="Академиялық демалыс беру туралы",
    preamble=("", "{{ legal_basis_kk }}", " сәйкес және жеке өтініші негізінде"),
    command="БҰЙЫРАМЫН:",
    item_grant=(
        "1. ",
        "{{ student.full_name }}",
        " (ЖСН ",
        "{{ student.iin }}",
        ") ",
        "{{ leave.start }}",
        " бастап ",
        "{{ leave.end }}",
        " дейін ",
        "{{ ground_kk }}",
        " академиялық демалыс берілсін:",
    ),
    fields=(
        ("Курс: ", ("{{ student.year }}",)),
        ("Тобы: ", ("{{ student.group }}",)),
        ("Білім беру бағдарламасы: ",
         ("{{ student.programme.code }}", " ", "{{ student.programme.name_kk }}")),
        ("Факультет: ", ("{{ student.faculty_kk }}",)),
        ("Оқу нысаны: ", ("{{ student.form_kk }}",)),
        ("Оқу негізі: ", ("{{ student.funding_kk }}",)),
    ),
    items_after=(
        "2. Тіркеуші кеңсесі академиялық демалыс туралы мәліметтерді ақпараттық жүйеге енгізсін, "
        "мемлекеттік білім беру гранты бойынша білім алушылар үшін бұйрықтың көшірмесін "
        "уәкілетті органға жіберсін.",
        "3. Бұйрықтың орындалуын бақылау факультет деканына жүктелсін.",
    ),
    basis_label="Негіздеме: ",
    basis_field="name_kk",
    visas_label="Келісілді:",
    title_field="title_kk",
)

LEAVE_TEMPLATES = {
    "order_academic_leave_ru.docx": LEAVE_RU,
    "order_academic_leave_kk.docx": LEAVE_KK,
}


def build_leave_order(text: LeaveText) -> DocxDocument:
    doc = _setup_document(text)  # type: ignore[arg-type]
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    center = WD_ALIGN_PARAGRAPH.CENTER

    _para(doc, (text.university,), align=center, bold=True)
    _para(doc, (HEADING,), align=center, bold=True, space_before=12, space_after=6)
    date_line = _para(doc)
    date_line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _add_runs(date_line, ("{{ date }}", "\t", "№ ", "{{ number }}"))
    _para(doc, (text.city,), align=center, space_after=12)

    _para(doc, (text.subject,), bold=True, space_after=12)
    _para(doc, text.preamble, align=justify, first_line_indent=FIRST_LINE_INDENT)
    _para(doc, (text.command,), bold=True, space_before=6, space_after=6)
    _para(doc, text.item_grant, align=justify, first_line_indent=FIRST_LINE_INDENT, space_after=6,
          keep_with_next=True)
    for label, value in text.fields:
        _para(doc, (label, *value), first_line_indent=FIRST_LINE_INDENT)
    for i, item in enumerate(text.items_after):
        _para(doc, (item,), align=justify, first_line_indent=FIRST_LINE_INDENT,
              space_before=6 if i == 0 else 0)
    _para(
        doc,
        (
            text.basis_label,
            "{% for d in basis %}",
            f"{{{{ d.{text.basis_field} }}}}",
            "{% if not loop.last %}",
            "; ",
            "{% endif %}",
            "{% endfor %}",
        ),
        align=justify,
        space_before=12,
        keep_with_next=True,
    )
    _signature_line(
        doc,
        (f"{{{{ signatory.{text.title_field} }}}}",),
        ("{{ signatory.name }}",),
        space_before=30,
    )
    _para(doc, (text.visas_label,), size=TABLE_PT, space_before=30, keep_with_next=True)
    for role in VISA_ROLES:
        _signature_line(
            doc,
            (f"{{{{ visas.{role}.{text.title_field} }}}}",),
            ("{{ visas." + role + ".name }}",),
            space_before=8,
            size=TABLE_PT,
            keep=role != VISA_ROLES[-1],
        )
    return doc


# --------------------------------------------------------------------------- reinstatement order
# Same layout, table and context as the transfer order (build_order); only the wording differs.

REINSTATEMENT_EXAMPLE_CONTEXT = {
    "university": EXAMPLE_CONTEXT["university"],
    "number": "131-у",
    "date": "20.08.2026",
    "effective_date": "20.08.2026",
    "legal_basis_ru": EXAMPLE_CONTEXT["legal_basis_ru"],
    "legal_basis_kk": EXAMPLE_CONTEXT["legal_basis_kk"],
    "students": [
        {
            "full_name": "Иванов Пётр Сергеевич",
            "full_name_acc": "Иванова Петра Сергеевича",
            "iin": "040512300127",
            "year": 2,
            "group": "—",
            "programme": {
                "code": "6B06102",
                "name_ru": "Информационные системы",
                "name_kk": "Ақпараттық жүйелер",
            },
            "form_ru": "очная",
            "form_kk": "күндізгі",
            "language_ru": "русский",
            "language_kk": "орыс",
            "funding_ru": "платная",
            "funding_kk": "ақылы",
            "difference": {"credits": 6, "deadline": "25.12.2026"},
        },
    ],
    "basis": [
        {"name_ru": "личное заявление", "name_kk": "жеке өтініш"},
        {"name_ru": "транскрипт", "name_kk": "транскрипт"},
        {
            "name_ru": "приказ об отчислении № 77-у от 01.02.2025",
            "name_kk": "оқудан шығару туралы 01.02.2025 № 77-у бұйрық",
        },
    ],
    "visas": EXAMPLE_CONTEXT["visas"],
    "signatory": EXAMPLE_CONTEXT["signatory"],
}

REINSTATEMENT_RU = OrderText(
    lang="ru-RU",
    title="Приказ о восстановлении в число обучающихся",
    university=RU.university,
    city=RU.city,
    subject="О восстановлении в число обучающихся",
    preamble=RU.preamble,
    command=RU.command,
    item_enrol=(
        "1. Восстановить в число обучающихся с ",
        "{{ effective_date }}",
        " следующих лиц, ранее отчисленных из университета:",
    ),
    items_after=(
        "2. Деканату обеспечить ликвидацию обучающимися академической разницы в указанные сроки, "
        "в пределах одного семестра.",
        "3. Офису регистратора внести сведения о восстановлении в информационную систему.",
    ),
    columns=RU.columns,
    basis_label=RU.basis_label,
    basis_field=RU.basis_field,
    visas_label=RU.visas_label,
    title_field=RU.title_field,
)

REINSTATEMENT_KK = OrderText(
    lang="kk-KZ",
    title="Білім алушылар қатарына қайта қабылдау туралы бұйрық",
    university=KK.university,
    city=KK.city,
    subject="Білім алушылар қатарына қайта қабылдау туралы",
    preamble=KK.preamble,
    command=KK.command,
    item_enrol=(
        "1. Бұрын университеттен оқудан шығарылған төменде аталған тұлғалар ",
        "{{ effective_date }}",
        " бастап білім алушылар қатарына қайта қабылдансын:",
    ),
    items_after=(
        "2. Деканат білім алушылардың академиялық айырмашылықты көрсетілген мерзімде, бір семестр "
        "ішінде жоюын қамтамасыз етсін.",
        "3. Тіркеуші кеңсесі қайта қабылдау туралы мәліметтерді ақпараттық жүйеге енгізсін.",
    ),
    columns=KK.columns,
    basis_label=KK.basis_label,
    basis_field=KK.basis_field,
    visas_label=KK.visas_label,
    title_field=KK.title_field,
)

REINSTATEMENT_TEMPLATES = {
    "order_reinstatement_ru.docx": REINSTATEMENT_RU,
    "order_reinstatement_kk.docx": REINSTATEMENT_KK,
}


# --------------------------------------------------------------------------- transfer out, internal transfer
# Orders of procedures 2 and 12 in the transfer order's layout (build_order): the wording and the
# last column (or two) of the table change, the rest of the context is the transfer order's.

TRANSFER_OUT_EXAMPLE_CONTEXT = {
    **REINSTATEMENT_EXAMPLE_CONTEXT,
    "number": "140-у",
    "receiving_university": "Карагандинский университет имени академика Е. А. Букетова",
    "students": [
        {
            **REINSTATEMENT_EXAMPLE_CONTEXT["students"][0],
            "group": "ПИ-23-1",
            "receiving_order": {"number": "512-П", "date": "18.08.2026"},
        },
    ],
    "basis": [
        {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"},
        {
            "name_ru": "приказ принимающей организации № 512-П от 18.08.2026",
            "name_kk": "қабылдаушы ұйымның 18.08.2026 № 512-П бұйрығы",
        },
    ],
}


def _columns_with(base: OrderText, replaced: dict[int, Column]) -> tuple[Column, ...]:
    """The transfer order's ten columns with some replaced (same widths)."""
    return tuple(replaced.get(i, column) for i, column in enumerate(base.columns))


def _order_text(base: OrderText, **changes: object) -> OrderText:
    """An order in the transfer order's layout: only the wording (and columns) differ."""
    from dataclasses import replace

    return replace(base, **changes)


TRANSFER_OUT_RU = _order_text(
    RU,
    title="Приказ об отчислении в связи с переводом",
    subject="Об отчислении в связи с переводом в другую организацию высшего образования",
    item_enrol=(
        "1. Отчислить из числа обучающихся в связи с переводом в организацию высшего образования «",
        "{{ receiving_university }}",
        "» с ",
        "{{ effective_date }}",
        " следующих обучающихся:",
    ),
    items_after=(
        "2. Офису регистратора в течение трёх рабочих дней со дня приказа принимающей организации "
        "о зачислении направить в неё личные дела обучающихся, оставив в университете копии "
        "транскриптов и описи личных дел.",
        "3. Контроль за исполнением приказа возложить на декана факультета.",
    ),
    columns=_columns_with(RU, {9: Column(
        "Приказ принимающей организации",
        ("№ ", "{{ s.receiving_order.number }}", " от ", "{{ s.receiving_order.date }}"),
    )}),
)

TRANSFER_OUT_KK = _order_text(
    KK,
    title="Ауысуына байланысты оқудан шығару туралы бұйрық",
    subject="Басқа жоғары білім беру ұйымына ауысуына байланысты оқудан шығару туралы",
    item_enrol=(
        "1. Төменде аталған білім алушылар «",
        "{{ receiving_university }}",
        "» жоғары білім беру ұйымына ауысуына байланысты ",
        "{{ effective_date }}",
        " бастап білім алушылар қатарынан шығарылсын:",
    ),
    items_after=(
        "2. Тіркеуші кеңсесі қабылдаушы ұйымның қабылдау туралы бұйрығы шыққан күннен бастап үш жұмыс "
        "күні ішінде білім алушылардың жеке істерін оған жіберсін, университетте транскрипттердің "
        "көшірмелері мен жеке істердің тізімдемелерін қалдырсын.",
        "3. Бұйрықтың орындалуын бақылау факультет деканына жүктелсін.",
    ),
    columns=_columns_with(KK, {9: Column(
        "Қабылдаушы ұйымның бұйрығы",
        ("{{ s.receiving_order.date }}", " № ", "{{ s.receiving_order.number }}"),
    )}),
)

TRANSFER_INTERNAL_EXAMPLE_CONTEXT = {
    **REINSTATEMENT_EXAMPLE_CONTEXT,
    "number": "141-у",
    "students": [
        {
            **REINSTATEMENT_EXAMPLE_CONTEXT["students"][0],
            "previous_programme": "6B06102",
            "programme": {
                "code": "6B06101",
                "name_ru": "Информационные системы",
                "name_kk": "Ақпараттық жүйелер",
            },
        },
    ],
    "basis": [
        {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"},
        {"name_ru": "договор об оказании платных образовательных услуг № 77/2026",
         "name_kk": "ақылы білім беру қызметтерін көрсету туралы № 77/2026 шарт"},
    ],
}

TRANSFER_INTERNAL_RU = _order_text(
    RU,
    title="Приказ о переводе",
    subject="О переводе",
    item_enrol=(
        "1. Перевести с ",
        "{{ effective_date }}",
        " следующих обучающихся на указанные образовательную программу, форму и язык обучения:",
    ),
    items_after=(
        "2. Деканату обеспечить ликвидацию обучающимися академической разницы в указанные сроки.",
        "3. Офису регистратора внести изменения в информационную систему и личные дела обучающихся.",
    ),
    columns=_columns_with(RU, {4: Column("Прежняя программа", ("{{ s.previous_programme }}",)),
                               5: Column("Образовательная программа после перевода",
                                         RU.columns[5].cell, WD_ALIGN_PARAGRAPH.LEFT)}),
)

TRANSFER_INTERNAL_KK = _order_text(
    KK,
    title="Ауыстыру туралы бұйрық",
    subject="Ауыстыру туралы",
    item_enrol=(
        "1. Төменде аталған білім алушылар ",
        "{{ effective_date }}",
        " бастап көрсетілген білім беру бағдарламасына, оқу нысанына және оқыту тіліне ауыстырылсын:",
    ),
    items_after=(
        "2. Деканат білім алушылардың академиялық айырмашылықты көрсетілген мерзімде жоюын қамтамасыз етсін.",
        "3. Тіркеуші кеңсесі ақпараттық жүйеге және білім алушылардың жеке істеріне өзгерістер енгізсін.",
    ),
    columns=_columns_with(KK, {4: Column("Бұрынғы бағдарлама", ("{{ s.previous_programme }}",)),
                               5: Column("Ауыстырылғаннан кейінгі білім беру бағдарламасы",
                                         KK.columns[5].cell, WD_ALIGN_PARAGRAPH.LEFT)}),
)

# --------------------------------------------------------------------------- mobility: sending order

MOBILITY_EXAMPLE_CONTEXT = {
    **REINSTATEMENT_EXAMPLE_CONTEXT,
    "number": "150-у",
    "legal_basis_ru": "Правилами организации учебного процесса по кредитной технологии обучения",
    "legal_basis_kk": "Кредиттік оқыту технологиясы бойынша оқу процесін ұйымдастыру қағидаларына",
    "partner_university": "Евразийский национальный университет имени Л. Н. Гумилёва",
    "period": {"start": "01.02.2027", "end": "30.06.2027"},
    "students": [
        {**REINSTATEMENT_EXAMPLE_CONTEXT["students"][0], "group": "ПИ-24-1", "mobility_credits": 30},
    ],
    "basis": [
        {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"},
        {"name_ru": "договор о сотрудничестве № 15-АМ от 10.01.2026",
         "name_kk": "10.01.2026 № 15-АМ ынтымақтастық туралы шарт"},
    ],
}

MOBILITY_RU = _order_text(
    RU,
    title="Приказ о направлении на обучение по программе академической мобильности",
    subject="О направлении на обучение по программе внутренней академической мобильности",
    item_enrol=(
        "1. Направить для обучения по программе внутренней академической мобильности в «",
        "{{ partner_university }}",
        "» с ",
        "{{ period.start }}",
        " по ",
        "{{ period.end }}",
        " следующих обучающихся:",
    ),
    items_after=(
        "2. Сохранить за обучающимися место и основу обучения на период академической мобильности.",
        "3. Обучающимся по возвращении представить в офис регистратора транскрипт вуза-партнёра "
        "для перезачёта результатов обучения.",
    ),
    columns=_columns_with(RU, {9: Column("Кредиты ECTS по соглашению об обучении",
                                         ("{{ s.mobility_credits }}",))}),
)

MOBILITY_KK = _order_text(
    KK,
    title="Академиялық ұтқырлық бағдарламасы бойынша оқуға жіберу туралы бұйрық",
    subject="Ішкі академиялық ұтқырлық бағдарламасы бойынша оқуға жіберу туралы",
    item_enrol=(
        "1. Төменде аталған білім алушылар ішкі академиялық ұтқырлық бағдарламасы бойынша оқу үшін «",
        "{{ partner_university }}",
        "» ",
        "{{ period.start }}",
        " бастап ",
        "{{ period.end }}",
        " дейін жіберілсін:",
    ),
    items_after=(
        "2. Академиялық ұтқырлық кезеңінде білім алушылардың орны мен оқу негізі сақталсын.",
        "3. Білім алушылар оралғаннан кейін оқу нәтижелерін қайта есепке алу үшін серіктес ЖОО-ның "
        "транскриптін тіркеуші кеңсесіне ұсынсын.",
    ),
    columns=_columns_with(KK, {9: Column("Оқу келісімі бойынша ECTS кредиттері",
                                         ("{{ s.mobility_credits }}",))}),
)

TRANSFER_FAMILY_TEMPLATES = {
    "order_transfer_out_ru.docx": TRANSFER_OUT_RU,
    "order_transfer_out_kk.docx": TRANSFER_OUT_KK,
    "order_transfer_internal_ru.docx": TRANSFER_INTERNAL_RU,
    "order_transfer_internal_kk.docx": TRANSFER_INTERNAL_KK,
    "order_mobility_ru.docx": MOBILITY_RU,
    "order_mobility_kk.docx": MOBILITY_KK,
}

# --------------------------------------------------------------------------- mobility: re-crediting order
# One student, a table of disciplines: what was studied at the partner university and what it is
# re-credited as in the student's plan (the dean's decision).

RECREDIT_EXAMPLE_CONTEXT = {
    **{k: MOBILITY_EXAMPLE_CONTEXT[k] for k in ("university", "legal_basis_ru", "legal_basis_kk",
                                                 "partner_university", "period", "visas", "signatory")},
    "number": "210-у",
    "date": "15.07.2027",
    "student": {
        "full_name": "Иванов Пётр Сергеевич",
        "full_name_dat": "Иванову Петру Сергеевичу",
        "learner_ru": "обучающемуся",
        "iin": "040512300127",
        "year": 2,
        "programme": {
            "code": "6B06102",
            "name_ru": "Программная инженерия",
            "name_kk": "Бағдарламалық инженерия",
        },
    },
    "disciplines": [
        {"partner": "Алгоритмы и структуры данных", "credits": 5, "grade": "A-", "plan": "Алгоритмы",
         "recredited": 5},
        {"partner": "Веб-программирование", "credits": 6, "grade": "B+", "plan": "Веб-технологии",
         "recredited": 5},
    ],
    "recredited_total": 10,
    "basis": [
        {"name_ru": "транскрипт вуза-партнёра", "name_kk": "серіктес ЖОО транскрипті"},
        {"name_ru": "решение декана о перезачёте", "name_kk": "деканның қайта есепке алу туралы шешімі"},
    ],
}


@dataclass(frozen=True)
class RecreditText(OrderText):
    """The order's wording; `item_enrol` introduces the disciplines table, `total` follows it."""

    total: tuple[str, ...] = ()


RECREDIT_WIDTHS_MM = (8, 52, 18, 16, 52, 24)

RECREDIT_CELLS = (
    ("{{ loop.index }}",), ("{{ d.partner }}",), ("{{ d.credits }}",), ("{{ d.grade }}",),
    ("{{ d.plan }}",), ("{{ d.recredited }}",),
)
RECREDIT_LEFT = (1, 4)  # the discipline names are left-aligned


def _recredit_text(base: OrderText, headers: tuple[str, ...], **wording: object) -> RecreditText:
    """The re-crediting order in the language of `base` (heading, preamble, labels)."""
    columns = tuple(
        Column(header, cell, WD_ALIGN_PARAGRAPH.LEFT if i in RECREDIT_LEFT else WD_ALIGN_PARAGRAPH.CENTER)
        for i, (header, cell) in enumerate(zip(headers, RECREDIT_CELLS, strict=True))
    )
    return RecreditText(
        lang=base.lang, university=base.university, city=base.city, preamble=base.preamble,
        command=base.command, columns=columns, basis_label=base.basis_label,
        basis_field=base.basis_field, visas_label=base.visas_label, title_field=base.title_field,
        **wording,  # type: ignore[arg-type]
    )


RECREDIT_RU = _recredit_text(
    RU,
    ("№", "Дисциплина вуза-партнёра", "Кредиты ECTS", "Оценка", "Дисциплина учебного плана",
     "Перезачтено кредитов ECTS"),
    title="Приказ о перезачёте результатов академической мобильности",
    subject="О перезачёте результатов обучения по программе внутренней академической мобильности",
    item_enrol=(
        "1. Перезачесть ",
        "{{ student.learner_ru }}",
        " ",
        "{{ student.full_name_dat }}",
        " (ИИН ",
        "{{ student.iin }}",
        "), ",
        "{{ student.year }}",
        " курс, образовательная программа ",
        "{{ student.programme.code }}",
        " ",
        "{{ student.programme.name_ru }}",
        ", результаты обучения в «",
        "{{ partner_university }}",
        "» с ",
        "{{ period.start }}",
        " по ",
        "{{ period.end }}",
        " по следующим дисциплинам:",
    ),
    total=("Всего перезачтено кредитов ECTS: ", "{{ recredited_total }}", "."),
    items_after=(
        "2. Офису регистратора внести перезачтённые дисциплины в транскрипт обучающегося.",
        "3. Контроль за исполнением приказа возложить на декана факультета.",
    ),
)

RECREDIT_KK = _recredit_text(
    KK,
    ("№", "Серіктес ЖОО пәні", "ECTS кредиттері", "Бағасы", "Оқу жоспарының пәні",
     "Қайта есепке алынған ECTS кредиттері"),
    title="Академиялық ұтқырлық нәтижелерін қайта есепке алу туралы бұйрық",
    subject="Ішкі академиялық ұтқырлық бағдарламасы бойынша оқу нәтижелерін қайта есепке алу туралы",
    item_enrol=(
        "1. Білім алушы ",
        "{{ student.full_name }}",
        " (ЖСН ",
        "{{ student.iin }}",
        "), ",
        "{{ student.year }}",
        " курс, ",
        "{{ student.programme.code }}",
        " ",
        "{{ student.programme.name_kk }}",
        " білім беру бағдарламасы, «",
        "{{ partner_university }}",
        "» ",
        "{{ period.start }}",
        " – ",
        "{{ period.end }}",
        " кезеңінде алған оқу нәтижелері келесі пәндер бойынша қайта есепке алынсын:",
    ),
    total=("Барлығы қайта есепке алынған ECTS кредиттері: ", "{{ recredited_total }}", "."),
    items_after=(
        "2. Тіркеуші кеңсесі қайта есепке алынған пәндерді білім алушының транскриптіне енгізсін.",
        "3. Бұйрықтың орындалуын бақылау факультет деканына жүктелсін.",
    ),
)

RECREDIT_TEMPLATES = {
    "order_mobility_recredit_ru.docx": RECREDIT_RU,
    "order_mobility_recredit_kk.docx": RECREDIT_KK,
}
TRANSFER_FAMILY_EXAMPLES = {
    **dict.fromkeys(("order_transfer_out_ru.docx", "order_transfer_out_kk.docx"),
                    TRANSFER_OUT_EXAMPLE_CONTEXT),
    **dict.fromkeys(("order_transfer_internal_ru.docx", "order_transfer_internal_kk.docx"),
                    TRANSFER_INTERNAL_EXAMPLE_CONTEXT),
    **dict.fromkeys(("order_mobility_ru.docx", "order_mobility_kk.docx"), MOBILITY_EXAMPLE_CONTEXT),
    **dict.fromkeys(RECREDIT_TEMPLATES, RECREDIT_EXAMPLE_CONTEXT),
}


def _add_disciplines_table(doc: DocxDocument, text: RecreditText) -> None:
    """Header row, then a `{%tr for d in disciplines %}` … `{%tr endfor %}` loop around one row."""
    assert len(text.columns) == len(RECREDIT_WIDTHS_MM)
    assert abs(Mm(sum(RECREDIT_WIDTHS_MM)) - TEXT_WIDTH) < Mm(0.5)
    table = doc.add_table(rows=4, cols=len(text.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_properties(table)
    for i, width in enumerate(RECREDIT_WIDTHS_MM):
        table.columns[i].width = Mm(width)
        for row in table.rows:
            row.cells[i].width = Mm(width)
    header, loop_start, data, loop_end = table.rows
    _row_flags(header, header=True)
    for row in (loop_start, data, loop_end):
        _row_flags(row)
    for cell, column in zip(header.cells, text.columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_paragraph(cell, (column.header,), WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    for row, tag in ((loop_start, "{%tr for d in disciplines %}"), (loop_end, "{%tr endfor %}")):
        _cell_paragraph(row.cells[0].merge(row.cells[-1]), (tag,), WD_ALIGN_PARAGRAPH.LEFT)
    for cell, column in zip(data.cells, text.columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        _cell_paragraph(cell, column.cell, column.align)


def build_recredit_order(text: RecreditText) -> DocxDocument:
    doc = _setup_document(text)
    _order_heading(doc, text)
    _para(doc, text.item_enrol, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
          first_line_indent=FIRST_LINE_INDENT, space_after=6, keep_with_next=True)
    _add_disciplines_table(doc, text)
    _para(doc, text.total, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_indent=FIRST_LINE_INDENT,
          space_before=6)
    _order_closing(doc, text)
    return doc


# --------------------------------------------------------------------------- certificates of issue 3
# Certificate for those who did not complete studies (with the disciplines table), the duplicate
# of a diploma / supplement / transcript, and the certificate for the military office: all in the
# certificate layout (build_certificate); contexts documented in templates/README.md.

INCOMPLETE_EXAMPLE_CONTEXT = {
    **CERT_EXAMPLE_CONTEXT,
    "number": "9-с",
    "student": {
        **CERT_EXAMPLE_CONTEXT["student"],
        "studied_ru": "он действительно обучался",
    },
    "left_ru": "отчислен приказом № 77-у от 01.02.2026 в связи с переводом в НАО «Другой университет»",
    "left_kk": (
        "01.02.2026 № 77-у бұйрықпен басқа білім беру ұйымына (НАО «Другой университет») "
        "ауыстырылуына байланысты оқудан шығарылды"
    ),
    "study_period": {"start": "01.09.2024", "end": "01.02.2026"},
    "disciplines": [
        {"n": 1, "semester": 1, "name": "Математика", "credits": 5, "hours": 150, "grade": "B+",
         "points": "87"},
        {"n": 2, "semester": 1, "name": "История Казахстана", "credits": 5, "hours": 150, "grade": "A",
         "points": "95"},
    ],
    "totals": {"disciplines": 2, "credits": 10, "hours": 300},
}

_DISCIPLINE_WIDTHS_MM = (8, 16, 70, 20, 18, 20, 18)


def _discipline_columns(headers: tuple[str, ...]) -> tuple[Column, ...]:
    cells = (("{{ r.n }}",), ("{{ r.semester }}",), ("{{ r.name }}",), ("{{ r.credits }}",),
             ("{{ r.hours }}",), ("{{ r.grade }}",), ("{{ r.points }}",))
    return tuple(Column(h, c, WD_ALIGN_PARAGRAPH.LEFT if i == 2 else WD_ALIGN_PARAGRAPH.CENTER)
                 for i, (h, c) in enumerate(zip(headers, cells, strict=True)))


INCOMPLETE_RU = CertText(
    lang="ru-RU",
    title="Справка лицам, не завершившим обучение",
    university=CERT_RU.university,
    city=CERT_RU.city,
    heading="СПРАВКА",
    number_line=CERT_RU.number_line,
    opening=(
        "Дана ",
        "{{ student.full_name_dat }}",
        ", ИИН ",
        "{{ student.iin }}",
        ", в том, что ",
        "{{ student.studied_ru }}",
        " в университете с ",
        "{{ study_period.start }}",
        " по ",
        "{{ study_period.end }}",
        " и ",
        "{{ left_ru }}",
        ", не завершив обучение:",
    ),
    fields=(
        ("Образовательная программа: ",
         ("{{ student.programme.code }}", " ", "{{ student.programme.name_ru }}")),
        ("Факультет: ", ("{{ student.faculty_ru }}",)),
        ("Форма обучения: ", ("{{ student.form_ru }}",)),
        ("Язык обучения: ", ("{{ student.language_ru }}",)),
        ("Основа обучения: ", ("{{ student.funding_ru }}",)),
        ("Приказ о зачислении: ",
         ("№ ", "{{ enrolment_order.number }}", " от ", "{{ enrolment_order.date }}")),
    ),
    purpose=("Справка выдана для предъявления ", "{{ purpose_ru }}", "."),
    validity=("Справка действительна без ограничения срока.",),
    signatory_field="title_ru",
    verification=("Проверить подлинность справки: ", "{{ verification_url }}"),
    table_title=("Изученные дисциплины и итоговые оценки:",),
    table=_discipline_columns(("№", "Семестр", "Дисциплина", "Кредиты ECTS", "Часы", "Оценка",
                               "Баллы")),
    table_widths_mm=_DISCIPLINE_WIDTHS_MM,
    table_loop="disciplines",
    after_table=("Всего дисциплин: ", "{{ totals.disciplines }}", "; кредитов ECTS: ",
                 "{{ totals.credits }}", "; часов: ", "{{ totals.hours }}", "."),
)

INCOMPLETE_KK = CertText(
    lang="kk-KZ",
    title="Білім беруді аяқтамаған адамдарға анықтама",
    university=CERT_KK.university,
    city=CERT_KK.city,
    heading="АНЫҚТАМА",
    number_line=CERT_KK.number_line,
    opening=(
        "Осы анықтама ",
        "{{ student.full_name }}",
        " (ЖСН ",
        "{{ student.iin }}",
        ") университетте ",
        "{{ study_period.start }}",
        " бастап ",
        "{{ study_period.end }}",
        " дейін оқығаны және оқуды аяқтамай ",
        "{{ left_kk }}",
        " туралы берілді:",
    ),
    fields=(
        ("Білім беру бағдарламасы: ",
         ("{{ student.programme.code }}", " ", "{{ student.programme.name_kk }}")),
        ("Факультет: ", ("{{ student.faculty_kk }}",)),
        ("Оқу нысаны: ", ("{{ student.form_kk }}",)),
        ("Оқыту тілі: ", ("{{ student.language_kk }}",)),
        ("Оқу негізі: ", ("{{ student.funding_kk }}",)),
        ("Қабылдау туралы бұйрық: ",
         ("{{ enrolment_order.date }}", " № ", "{{ enrolment_order.number }}")),
    ),
    purpose=("Анықтама ", "{{ purpose_kk }}", " ұсыну үшін берілді."),
    validity=("Анықтама мерзімсіз жарамды.",),
    signatory_field="title_kk",
    verification=CERT_KK.verification,
    table_title=("Оқылған пәндер және қорытынды бағалар:",),
    table=_discipline_columns(("№", "Семестр", "Пән", "ECTS кредиттері", "Сағат", "Баға", "Балл")),
    table_widths_mm=_DISCIPLINE_WIDTHS_MM,
    table_loop="disciplines",
    after_table=("Барлық пәндер: ", "{{ totals.disciplines }}", "; ECTS кредиттері: ",
                 "{{ totals.credits }}", "; сағаттар: ", "{{ totals.hours }}", "."),
)

DUPLICATE_EXAMPLE_CONTEXT = {
    "university": CERT_EXAMPLE_CONTEXT["university"],
    "number": "3-д",
    "date": "15.10.2026",
    "student": {
        "full_name": "Иванова Анна Сергеевна",
        "full_name_dat": "Ивановой Анне Сергеевне",
        "iin": "000512400123",
    },
    "document": {"name_ru": "диплом о высшем образовании", "name_gen_ru": "диплома",
                 "name_kk": "жоғары білім туралы диплом"},
    "original": {"series": "JB-B", "number": "0012345", "date": "30.06.2022"},
    "reason_ru": "утерянного",
    "reason_kk": "жоғалған",
    "trigger_ru": "утеря оригинала",
    "trigger_kk": "түпнұсқаның жоғалуы",
    "programme": {"code": "6B06102", "name_ru": "Информационные системы",
                  "name_kk": "Ақпараттық жүйелер"},
    "qualification_ru": "бакалавр в области информационно-коммуникационных технологий",
    "qualification_kk": "ақпараттық-коммуникациялық технологиялар саласындағы бакалавр",
    "graduation_year": 2022,
    "signatory": EXAMPLE_CONTEXT["signatory"],
    "verification_url": "https://regoffice.example.kz/verify/3-д",
}

DUPLICATE_RU = CertText(
    lang="ru-RU",
    title="Дубликат документа об образовании",
    university=CERT_RU.university,
    city=CERT_RU.city,
    heading="ДУБЛИКАТ",
    number_line=("Регистрационный № ", "{{ number }}", " от ", "{{ date }}"),
    opening=(
        "Дубликат ",
        "{{ document.name_gen_ru }}",
        " выдан ",
        "{{ student.full_name_dat }}",
        ", ИИН ",
        "{{ student.iin }}",
        ", взамен ",
        "{{ reason_ru }}",
        " оригинала:",
    ),
    fields=(
        ("Вид документа: ", ("{{ document.name_ru }}",)),
        ("Оригинал: ", ("серия ", "{{ original.series }}", " № ", "{{ original.number }}", " от ",
                        "{{ original.date }}")),
        ("Образовательная программа: ",
         ("{{ programme.code }}", " ", "{{ programme.name_ru }}")),
        ("Присуждённая степень (квалификация): ", ("{{ qualification_ru }}",)),
        ("Год окончания: ", ("{{ graduation_year }}",)),
        ("Основание выдачи дубликата: ", ("{{ trigger_ru }}",)),
    ),
    purpose=("Дубликат выдан бесплатно на основании личного заявления и сведений архива университета; "
             "запись внесена в журнал регистрации выданных дубликатов.",),
    validity=("Оригинал ", "{{ document.name_gen_ru }}", " серии ", "{{ original.series }}", " № ",
              "{{ original.number }}", " считается недействительным."),
    signatory_field="title_ru",
    verification=("Проверить подлинность дубликата: ", "{{ verification_url }}"),
)

DUPLICATE_KK = CertText(
    lang="kk-KZ",
    title="Білім туралы құжаттың телнұсқасы",
    university=CERT_KK.university,
    city=CERT_KK.city,
    heading="ТЕЛНҰСҚА (ДУБЛИКАТ)",
    number_line=("{{ date }}", " тіркеу № ", "{{ number }}"),
    opening=(
        "Телнұсқа ",
        "{{ student.full_name }}",
        " (ЖСН ",
        "{{ student.iin }}",
        ") атына ",
        "{{ reason_kk }}",
        " түпнұсқаның орнына берілді:",
    ),
    fields=(
        ("Құжат түрі: ", ("{{ document.name_kk }}",)),
        ("Түпнұсқа: ", ("{{ original.date }}", " сериясы ", "{{ original.series }}", " № ",
                        "{{ original.number }}")),
        ("Білім беру бағдарламасы: ", ("{{ programme.code }}", " ", "{{ programme.name_kk }}")),
        ("Берілген дәреже (біліктілік): ", ("{{ qualification_kk }}",)),
        ("Бітірген жылы: ", ("{{ graduation_year }}",)),
        ("Телнұсқа беру негізі: ", ("{{ trigger_kk }}",)),
    ),
    purpose=("Телнұсқа жеке өтініш және университет мұрағатының мәліметтері негізінде тегін берілді; "
             "жазба берілген телнұсқаларды тіркеу журналына енгізілді.",),
    validity=("Сериясы ", "{{ original.series }}", " № ", "{{ original.number }}",
              " түпнұсқа жарамсыз деп есептеледі."),
    signatory_field="title_kk",
    verification=("Телнұсқаның түпнұсқалығын тексеру: ", "{{ verification_url }}"),
)

MILITARY_EXAMPLE_CONTEXT = {
    **CERT_EXAMPLE_CONTEXT,
    "number": "11-с",
    "military_office_ru": "Управление по делам обороны Бостандыкского района г. Алматы",
    "military_office_kk": "Алматы қ. Бостандық ауданының қорғаныс істері жөніндегі басқармасы",
}

MILITARY_RU = CertText(
    lang="ru-RU",
    title="Справка для органа военного управления",
    university=CERT_RU.university,
    city=CERT_RU.city,
    heading="СПРАВКА",
    number_line=CERT_RU.number_line,
    opening=CERT_RU.opening,
    fields=CERT_RU.fields,
    purpose=("Справка выдана для представления в ", "{{ military_office_ru }}",
             " для предоставления отсрочки от призыва на воинскую службу на период обучения (до ",
             "{{ study_period.end }}", ")."),
    validity=CERT_RU.validity,
    signatory_field="title_ru",
    verification=CERT_RU.verification,
)

MILITARY_KK = CertText(
    lang="kk-KZ",
    title="Әскери басқару органына анықтама",
    university=CERT_KK.university,
    city=CERT_KK.city,
    heading="АНЫҚТАМА",
    number_line=CERT_KK.number_line,
    opening=CERT_KK.opening,
    fields=CERT_KK.fields,
    purpose=("Анықтама оқу кезеңіне (", "{{ study_period.end }}",
             " дейін) әскери қызметке шақыруды кейінге қалдыру үшін ", "{{ military_office_kk }}",
             " ұсыну үшін берілді."),
    validity=CERT_KK.validity,
    signatory_field="title_kk",
    verification=CERT_KK.verification,
)

ISSUE3_TEMPLATES = {
    "cert_incomplete_ru.docx": INCOMPLETE_RU,
    "cert_incomplete_kk.docx": INCOMPLETE_KK,
    "duplicate_ru.docx": DUPLICATE_RU,
    "duplicate_kk.docx": DUPLICATE_KK,
    "cert_military_ru.docx": MILITARY_RU,
    "cert_military_kk.docx": MILITARY_KK,
}
ISSUE3_EXAMPLES = {
    "cert_incomplete": INCOMPLETE_EXAMPLE_CONTEXT,
    "duplicate": DUPLICATE_EXAMPLE_CONTEXT,
    "cert_military": MILITARY_EXAMPLE_CONTEXT,
}


# --------------------------------------------------------------------------- expulsion, contingent
# and vacant-grant orders: the transfer order's layout (build_order) with the name column and the
# last column of each family; the wording comes from RU / KK with the differences replaced.


def _order_columns(base: OrderText, name_cell: str, last: Column) -> tuple[Column, ...]:
    """The base table with another name field (case) and another last column."""
    name = Column(base.columns[1].header, (name_cell,), WD_ALIGN_PARAGRAPH.LEFT)
    return (base.columns[0], name, *base.columns[2:-1], last)


_EXAMPLE_ROW = {key: value for key, value in EXAMPLE_CONTEXT["students"][0].items() if key != "difference"}

EXPULSION_EXAMPLE_CONTEXT = {
    "university": EXAMPLE_CONTEXT["university"],
    "number": "140-у",
    "date": "02.09.2026",
    "effective_date": "01.09.2026",
    "legal_basis_ru": EXAMPLE_CONTEXT["legal_basis_ru"],
    "legal_basis_kk": EXAMPLE_CONTEXT["legal_basis_kk"],
    "students": [{**_EXAMPLE_ROW, "ground_ru": "академическая неуспеваемость",
                  "ground_kk": "академиялық үлгермеушілік"}],
    "basis": [{"name_ru": "представление декана факультета", "name_kk": "факультет деканының ұсынысы"}],
    "visas": EXAMPLE_CONTEXT["visas"],
    "signatory": EXAMPLE_CONTEXT["signatory"],
}

EXPULSION_RU = replace(
    RU,
    title="Приказ об отчислении",
    subject="Об отчислении",
    preamble=("В соответствии с ", "{{ legal_basis_ru }}", " и на основании представления декана факультета"),
    item_enrol=("1. Отчислить из числа обучающихся с ", "{{ effective_date }}", " следующих обучающихся:"),
    items_after=(
        "2. Бухгалтерии прекратить выплату стипендии обучающимся по государственному образовательному "
        "гранту и произвести окончательные расчёты.",
        "3. Офису регистратора внести сведения в информационную систему, снять иностранных обучающихся "
        "с миграционного учёта и по заявлению выдать справку лицам, не завершившим обучение.",
    ),
    columns=_order_columns(
        RU, "{{ s.full_name_acc }}", Column("Основание отчисления", ("{{ s.ground_ru }}",))
    ),
)

EXPULSION_KK = replace(
    KK,
    title="Оқудан шығару туралы бұйрық",
    subject="Оқудан шығару туралы",
    preamble=("", "{{ legal_basis_kk }}", " сәйкес және факультет деканының ұсынысы негізінде"),
    item_enrol=("1. Төменде аталған білім алушылар ", "{{ effective_date }}", " бастап білім алушылар "
                "қатарынан шығарылсын:"),
    items_after=(
        "2. Бухгалтерия мемлекеттік білім беру гранты бойынша білім алушыларға шәкіртақы төлеуді "
        "тоқтатсын және түпкілікті есеп айырысу жүргізсін.",
        "3. Тіркеуші кеңсесі мәліметтерді ақпараттық жүйеге енгізсін, шетелдік білім алушыларды көші-қон "
        "есебінен шығарсын және өтініш бойынша білім беруді аяқтамаған адамдарға анықтама берсін.",
    ),
    columns=_order_columns(
        KK, "{{ s.full_name }}", Column("Оқудан шығару негізі", ("{{ s.ground_kk }}",))
    ),
)

EXPULSION_TEMPLATES = {
    "order_expulsion_ru.docx": EXPULSION_RU,
    "order_expulsion_kk.docx": EXPULSION_KK,
}

CONTINGENT_EXAMPLE_CONTEXT = {
    **EXPULSION_EXAMPLE_CONTEXT,
    "number": "150-у",
    "subject_ru": "О переводе обучающихся на следующий курс",
    "subject_kk": "Білім алушыларды келесі курсқа көшіру туралы",
    "item_ru": "Перевести на следующий курс",
    "item_kk": "келесі курсқа көшірілсін",
    "students": [{**_EXAMPLE_ROW, "note_ru": "на 3 курс", "note_kk": "3 курсқа"}],
    "basis": [{"name_ru": "итоги летней экзаменационной сессии",
               "name_kk": "жазғы емтихан сессиясының қорытындылары"}],
}

CONTINGENT_RU = replace(
    RU,
    title="Приказ по контингенту обучающихся",
    subject="{{ subject_ru }}",
    preamble=("В соответствии с ", "{{ legal_basis_ru }}"),
    item_enrol=("1. ", "{{ item_ru }}", " с ", "{{ effective_date }}", " следующих обучающихся:"),
    items_after=(
        "2. Офису регистратора внести сведения в информационную систему.",
        "3. Контроль за исполнением приказа возложить на проректора по академическим вопросам.",
    ),
    columns=_order_columns(RU, "{{ s.full_name_acc }}", Column("Примечание", ("{{ s.note_ru }}",))),
)

CONTINGENT_KK = replace(
    KK,
    title="Білім алушылар контингенті бойынша бұйрық",
    subject="{{ subject_kk }}",
    preamble=("", "{{ legal_basis_kk }}", " сәйкес"),
    item_enrol=(
        "1. Төменде аталған білім алушылар ", "{{ effective_date }}", " бастап ", "{{ item_kk }}", ":"
    ),
    items_after=(
        "2. Тіркеуші кеңсесі мәліметтерді ақпараттық жүйеге енгізсін.",
        "3. Бұйрықтың орындалуын бақылау академиялық мәселелер жөніндегі проректорға жүктелсін.",
    ),
    columns=_order_columns(KK, "{{ s.full_name }}", Column("Ескерту", ("{{ s.note_kk }}",))),
)

CONTINGENT_TEMPLATES = {
    "order_contingent_ru.docx": CONTINGENT_RU,
    "order_contingent_kk.docx": CONTINGENT_KK,
}

VACANT_GRANT_EXAMPLE_CONTEXT = {
    **EXPULSION_EXAMPLE_CONTEXT,
    "number": "160-у",
    "legal_basis_ru": "Правилами присуждения образовательного гранта для оплаты высшего образования",
    "legal_basis_kk": "Жоғары білімге ақы төлеу үшін білім беру грантын беру қағидаларына",
    "group": {"code": "B057", "name": "Информационные технологии"},
    "protocol": {"number": "3", "date": "25.08.2026"},
    "students": [{**_EXAMPLE_ROW, "gpa": "3.67"}],
    "basis": [{"name_ru": "протокол заседания конкурсной комиссии",
               "name_kk": "конкурстық комиссия отырысының хаттамасы"}],
}

VACANT_GRANT_RU = replace(
    RU,
    title="Приказ о присуждении вакантного государственного образовательного гранта",
    subject="О присуждении вакантного государственного образовательного гранта",
    preamble=("В соответствии с ", "{{ legal_basis_ru }}", " и на основании решения конкурсной комиссии "
              "(протокол № ", "{{ protocol.number }}", " от ", "{{ protocol.date }}", ")"),
    item_enrol=("1. Присудить вакантный государственный образовательный грант по группе образовательных "
                "программ ", "{{ group.code }}", " «", "{{ group.name }}", "» с ", "{{ effective_date }}",
                " следующим обучающимся:"),
    items_after=(
        "2. Офису регистратора перевести указанных обучающихся на обучение по государственному "
        "образовательному гранту и направить документы в уполномоченный орган.",
        "3. Бухгалтерии прекратить начисление оплаты за обучение с указанной даты.",
    ),
    columns=_order_columns(RU, "{{ s.full_name }}", Column("GPA", ("{{ s.gpa }}",))),
)

VACANT_GRANT_KK = replace(
    KK,
    title="Бос мемлекеттік білім беру грантын беру туралы бұйрық",
    subject="Бос мемлекеттік білім беру грантын беру туралы",
    preamble=("", "{{ legal_basis_kk }}", " сәйкес және конкурстық комиссияның шешімі (",
              "{{ protocol.date }}", " № ", "{{ protocol.number }}", " хаттама) негізінде"),
    item_enrol=("1. ", "{{ group.code }}", " «", "{{ group.name }}", "» білім беру бағдарламалары тобы "
                "бойынша бос мемлекеттік білім беру гранты төменде аталған білім алушыларға ",
                "{{ effective_date }}", " бастап берілсін:"),
    items_after=(
        "2. Тіркеуші кеңсесі аталған білім алушыларды мемлекеттік білім беру гранты бойынша оқуға ауыстырсын "
        "және құжаттарды уәкілетті органға жіберсін.",
        "3. Бухгалтерия көрсетілген күннен бастап оқу ақысын есептеуді тоқтатсын.",
    ),
    columns=_order_columns(KK, "{{ s.full_name }}", Column("GPA", ("{{ s.gpa }}",))),
)

VACANT_GRANT_TEMPLATES = {
    "order_vacant_grant_ru.docx": VACANT_GRANT_RU,
    "order_vacant_grant_kk.docx": VACANT_GRANT_KK,
}


# --------------------------------------------------------------------------- output


def _reproducible(docx_bytes: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps so an unchanged template is byte-identical."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_bytes)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _build(templates: dict, builder) -> dict[str, bytes]:
    """Each template of a family built by its layout function, reproducibly."""
    built = {}
    for name, text in templates.items():
        buffer = io.BytesIO()
        builder(text).save(buffer)
        built[name] = _reproducible(buffer.getvalue())
    return built


def build_all() -> dict[str, bytes]:
    """The order templates (TEMPLATES)."""
    return _build(TEMPLATES, build_order)


def build_certificates() -> dict[str, bytes]:
    """The certificate templates (CERT_TEMPLATES)."""
    return _build(CERT_TEMPLATES, build_certificate)


def build_leave_orders() -> dict[str, bytes]:
    """The academic leave order templates (LEAVE_TEMPLATES)."""
    return _build(LEAVE_TEMPLATES, build_leave_order)


def build_reinstatement_orders() -> dict[str, bytes]:
    """The reinstatement order templates (REINSTATEMENT_TEMPLATES), in the transfer order's layout."""
    return _build(REINSTATEMENT_TEMPLATES, build_order)


def build_transfer_family_orders() -> dict[str, bytes]:
    """transfer_out, transfer_internal and mobility orders (the transfer order's layout) and the
    mobility re-crediting order (a table of disciplines)."""
    return {**_build(TRANSFER_FAMILY_TEMPLATES, build_order),
            **_build(RECREDIT_TEMPLATES, build_recredit_order)}
def build_issue3_certificates() -> dict[str, bytes]:
    """Certificate for incomplete studies, duplicate, military certificate (ISSUE3_TEMPLATES)."""
    return _build(ISSUE3_TEMPLATES, build_certificate)


def build_p3_orders() -> dict[str, bytes]:
    """Expulsion, contingent and vacant-grant orders, in the transfer order's layout."""
    return _build({**EXPULSION_TEMPLATES, **CONTINGENT_TEMPLATES, **VACANT_GRANT_TEMPLATES}, build_order)


def build_everything() -> dict[str, bytes]:
    return {**build_all(), **build_certificates(), **build_leave_orders(), **build_reinstatement_orders(),
            **build_transfer_family_orders(), **build_issue3_certificates(), **build_p3_orders()}


def example_for(name: str) -> dict:
    if name in ISSUE3_TEMPLATES:
        return ISSUE3_EXAMPLES[name.rsplit("_", 1)[0]]
    if name in LEAVE_TEMPLATES:
        return LEAVE_EXAMPLE_CONTEXT
    if name in REINSTATEMENT_TEMPLATES:
        return REINSTATEMENT_EXAMPLE_CONTEXT
    if name in TRANSFER_FAMILY_EXAMPLES:
        return TRANSFER_FAMILY_EXAMPLES[name]
    if name in EXPULSION_TEMPLATES:
        return EXPULSION_EXAMPLE_CONTEXT
    if name in CONTINGENT_TEMPLATES:
        return CONTINGENT_EXAMPLE_CONTEXT
    if name in VACANT_GRANT_TEMPLATES:
        return VACANT_GRANT_EXAMPLE_CONTEXT
    return CERT_EXAMPLE_CONTEXT if name in CERT_TEMPLATES else EXAMPLE_CONTEXT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a template is stale")
    parser.add_argument("--preview", type=Path, help="render EXAMPLE_CONTEXT into this folder")
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR, help="where to write")
    args = parser.parse_args(argv)

    built = build_everything()
    if args.check:
        stale = [
            name
            for name, data in built.items()
            if not (args.out / name).is_file() or (args.out / name).read_bytes() != data
        ]
        for name in stale:
            print(f"stale: {args.out / name} (run python templates/build.py)", file=sys.stderr)
        return 1 if stale else 0
    for name, data in built.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name}")
    if args.preview:
        sys.path.insert(0, str(TEMPLATES_DIR.parent))
        from server.documents.render import render_docx

        args.preview.mkdir(parents=True, exist_ok=True)
        for name in built:
            target = args.preview / name.replace(".docx", "_example.docx")
            images = {}
            if name in CERT_TEMPLATES or name in ISSUE3_TEMPLATES:
                from server.services.documents.verification import qr_png

                images["qr"] = qr_png(CERT_EXAMPLE_CONTEXT["verification_url"])
            target.write_bytes(render_docx(args.out / name, example_for(name), images=images))
            print(f"rendered {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
