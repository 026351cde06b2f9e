"""The monthly public-service report as a printable DOCX, in Russian or Kazakh: a landscape
table whose columns keep their widths (a long service name wraps by words; headings break at
soft hyphens), its heading repeated on each page, refusals by ground, on time vs late as bars,
the definitions and the office head's signature. Rendered from the report's data only, so a
stored snapshot always gives the same file."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from server.services.context import AppContext
from server.services.documents.office import university_now
from server.services.reports.labels import NO_REGISTRY_CODE, pick

TITLE_RU = "Отчёт об оказании государственных услуг"
TITLE_KK = "Мемлекеттік қызметтерді көрсету туралы есеп"


# -- DOCX ------------------------------------------------------------------------------------

# The DOCX table, in its language: (row key, heading, width in cm), under group headings.
# Long words carry soft hyphens (U+00AD) so a narrow column breaks them at a syllable, never
# letter by letter; the widths add up to the landscape page's 27.7 cm between 1 cm margins.
SHY = "\u00ad"
HEADING_PT = 7.5  # the table's headings; its figures and names are in the document's 9 pt
CELL_PADDING_TWIPS = 57  # 1 mm each side
DOCX_GROUPS: dict[str, tuple[tuple[str, tuple[tuple[str, str, float], ...]], ...]] = {
    "ru": (
        ("", (("n", "№", 0.7), ("registry_code", "Код услуги в реестре", 1.9),
              ("name", "Наименование государственной услуги", 5.6))),
        ("Поступило заявлений", (("received", "всего", 1.35),
                                 ("received_egov", f"через пор{SHY}тал egov.kz", 1.35),
                                 ("received_state_corporation", f"через Гос{SHY}корпо{SHY}рацию", 1.35),
                                 ("received_direct", f"в вуз напря{SHY}мую", 1.35))),
        ("Оказано услуг", (("rendered", "всего", 1.35),
                           ("positive", f"с поло{SHY}жи{SHY}тельным резуль{SHY}татом", 1.35),
                           ("refused", f"моти{SHY}виро{SHY}ванный отказ", 1.35))),
        ("Сроки", (("on_time", "в срок", 1.35), ("late", f"с нару{SHY}шением срока", 1.35),
                   ("days_overdue", f"дней про{SHY}сроч{SHY}ки", 1.35))),
        ("Результат", (("results_electronic", f"в элек{SHY}трон{SHY}ной форме", 1.35),
                       ("results_paper", f"в бу{SHY}маж{SHY}ной форме", 1.35))),
        ("", (("complaints", "Жалобы", 1.35), ("in_progress", f"В работе на конец пери{SHY}ода", 1.5))),
    ),
    "kk": (
        ("", (("n", "№", 0.7), ("registry_code", f"Тізілім{SHY}дегі коды", 1.9),
              ("name", "Мемлекеттік қызметтің атауы", 5.6))),
        ("Түскен өтініштер", (("received", "барлығы", 1.35),
                              ("received_egov", "egov.kz порталы арқылы", 1.35),
                              ("received_state_corporation",
                               f"Мемле{SHY}кеттік корпо{SHY}рация арқылы", 1.35),
                              ("received_direct", "ЖОО-ға тікелей", 1.35))),
        ("Көрсетілген қызметтер", (("rendered", "барлығы", 1.35),
                                   ("positive", f"оң нәти{SHY}жемен", 1.35),
                                   ("refused", "дәлелді бас тарту", 1.35))),
        ("Мерзімдер", (("on_time", f"мерзі{SHY}мінде", 1.35), ("late", f"мерзімі бұзы{SHY}лып", 1.35),
                       ("days_overdue", f"кешік{SHY}тіріл{SHY}ген күндер", 1.35))),
        ("Нәтиже", (("results_electronic", f"элек{SHY}тронды ны{SHY}санда", 1.35),
                    ("results_paper", f"қағаз ны{SHY}са{SHY}нын{SHY}да", 1.35))),
        ("", (("complaints", f"Шағым{SHY}дар", 1.35),
              ("in_progress", f"Кезең соңында орын{SHY}далуда", 1.5))),
    ),
}
DOCX_TEXT = {
    "ru": {"title": TITLE_RU, "period": "Отчётный период", "generated": "Сформирован",
           "total": "Итого", "refusals": "Мотивированные отказы по основаниям", "no_refusals": "Отказов нет",
           "service": "Государственная услуга", "ground": "Основание отказа", "count": "Количество",
           "bars": "Оказано в срок и с нарушением срока", "on_time": "В срок", "late": "С нарушением срока",
           "chart": "Диаграмма (█ в срок, ░ с нарушением)", "notes": "Примечания", "date": "Дата"},
    "kk": {"title": TITLE_KK, "period": "Есепті кезең", "generated": "Құрылды",
           "total": "Барлығы", "refusals": "Дәлелді бас тартулар негіздері бойынша",
           "no_refusals": "Бас тарту жоқ",
           "service": "Мемлекеттік қызмет", "ground": "Бас тарту негізі", "count": "Саны",
           "bars": "Мерзімінде және мерзімі бұзылып көрсетілгені", "on_time": "Мерзімінде",
           "late": "Мерзімі бұзылып", "chart": "Диаграмма (█ мерзімінде, ░ мерзімі бұзылып)",
           "notes": "Ескертпелер", "date": "Күні"},
}
DEFINITIONS_KK = (
    "Түскені — өтініштің тіркелген күні есепті кезеңге түседі (университеттің "
    "жергілікті уақыты бойынша).",
    "Көрсетілгені — түпкілікті шешім (қызмет көрсетілді немесе дәлелді бас тарту) есепті кезеңде "
    "қабылданды; күші жойылған және кері қайтарылған өтініштер есепке алынбайды.",
    "Мерзімінде — шешім Қазақстан Республикасының күнтізбесі бойынша жұмыс күндерімен есептелген "
    "мерзімнен кешіктірілмей қабылданды; Мемлекеттік корпорация арқылы берілгенде қабылдау күні "
    "есептелмейді. Мерзімі белгіленбеген қызметтер бойынша шешім мерзімінде қабылданған болып саналады.",
    "Мерзімі бұзылып — шешім мерзім өткеннен кейін қабылданды; кешіктірілген күндер — мерзімнің "
    "соңғы күнінен шешім күніне дейінгі жұмыс күндері.",
    "Кезең соңында орындалуда — өтініш кезең аяқталғанға дейін түсті, бірақ кезең соңына дейін "
    "ол бойынша шешім қабылданбады.",
    "Электронды нысандағы нәтиже — egov.kz порталы арқылы берілген өтініштер бойынша (нәтиже жеке "
    "кабинетке жіберіледі); қағаз нысанында — қалғандары бойынша.",
    "Шағымдар — есепті кезеңде түсіп, тіркеуші кеңсесі тіркеген қызмет көрсетуге қатысты шағымдар.",
)


def definitions(report: dict[str, Any], lang: str) -> list[str]:
    """The report's footnotes in Kazakh, or as stored (Russian) for any other language."""
    if lang == "kk":
        return list(DEFINITIONS_KK[:len(report["definitions"])])
    return list(report["definitions"])


def public_services_docx(ctx: AppContext, report: dict[str, Any], lang: str = "ru") -> bytes:
    """The report as a printable landscape document in one language (ru or kk): the table with
    fixed column widths and its heading repeated on every page, refusals by ground, on time vs
    late as bars, the definitions, and the office head's signature."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    lang = lang if lang in DOCX_GROUPS else "ru"
    text = DOCX_TEXT[lang]
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.0))
    document.styles["Normal"].font.name = "Times New Roman"
    document.styles["Normal"].font.size = Pt(9)
    uni = university_now(ctx)
    document.add_heading(text["title"], level=1)
    first = datetime.fromisoformat(report["from"]).strftime("%d.%m.%Y")
    last = datetime.fromisoformat(report["to"]).strftime("%d.%m.%Y")
    at = datetime.fromisoformat(report["generated_at"]).astimezone(ctx.tz)
    for line in (uni[f"name_{lang}"], f"{text['period']}: {first} — {last}",
                 f"{text['generated']}: {at:%d.%m.%Y %H:%M}"):
        document.add_paragraph(line)
    _main_table(document, report, lang)
    document.add_heading(text["refusals"], level=2)
    names = report.get("grounds") or {}
    refusals = [[pick_name(r, lang), pick(names.get(code), lang) or code, str(n)]
                for r in report["rows"] for code, n in r["refusals"].items()]
    if refusals:
        _table(document, [text["service"], text["ground"], text["count"]], refusals, (9.0, 15.0, 2.5))
    else:
        document.add_paragraph(text["no_refusals"])
    document.add_heading(text["bars"], level=2)
    _table(document, [text["service"], text["on_time"], text["late"], text["chart"]],
           _bar_rows(report, lang), (9.0, 2.2, 2.2, 13.0))
    document.add_heading(text["notes"], level=2)
    for i, line in enumerate(definitions(report, lang), 1):
        document.add_paragraph(f"{i}. {line}")
    _signature(document, uni, lang)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pick_name(row: dict[str, Any], lang: str) -> str:
    return str(row.get(f"name_{lang}") or row.get("name_ru") or "")


def _main_table(document: Any, report: dict[str, Any], lang: str) -> None:
    groups = DOCX_GROUPS[lang]
    columns = [c for _g, cols in groups for c in cols]
    table = _new_table(document, 2, [w for _k, _h, w in columns])
    top, sub = table.rows[0].cells, table.rows[1].cells
    index = 0
    for group, cols in groups:
        if group:
            merged = top[index].merge(top[index + len(cols) - 1])
            _write(merged, group, bold=True, size=HEADING_PT)
            for offset, (_k, heading, _w) in enumerate(cols):
                _write(sub[index + offset], heading, bold=True, size=HEADING_PT)
        else:
            for offset, (_k, heading, _w) in enumerate(cols):
                _write(top[index + offset].merge(sub[index + offset]), heading, bold=True, size=HEADING_PT)
        index += len(cols)
    for row in table.rows[:2]:
        _repeat_heading(row)
    for n, r in enumerate(report["rows"], 1):
        values = {"n": str(n), "name": pick_name(r, lang),
                  "registry_code": registry_code(r.get("registry_code"), lang)}
        _add_row(table, [values.get(k) or _number(r.get(k)) for k, _h, _w in columns])
    totals = report["totals"]
    _add_row(table, ["", "", DOCX_TEXT[lang]["total"],
                     *(_number(totals.get(k)) for k, _h, _w in columns[3:])], bold=True)


def _number(value: Any) -> str:
    return "—" if value is None else str(value)


def registry_code(code: str | None, lang: str) -> str:
    """The service's code in the register, or «код не присвоен» in the document's language."""
    return code or NO_REGISTRY_CODE[lang]


def _signature(document: Any, uni: dict[str, Any], lang: str) -> None:
    """The office head's signature: position, a line to sign on, the name; then the date."""
    from docx.shared import Pt

    head = (uni.get("visas") or {}).get("registrar_head") or {}
    document.add_paragraph()
    table = _new_table(document, 1, (12.0, 7.0, 7.0), grid=False)
    cells = table.rows[0].cells
    _write(cells[0], str(head.get(f"title_{lang}") or head.get("title_ru") or ""))
    _write(cells[1], "_" * 28)
    _write(cells[2], str(head.get("name") or ""))
    paragraph = document.add_paragraph(f"{DOCX_TEXT[lang]['date']}: «___» ____________ 20___")
    paragraph.paragraph_format.space_before = Pt(12)


def _bar_rows(report: dict[str, Any], lang: str) -> list[list[str]]:
    """The chart of on time vs late as text bars (█ on time, ░ late), scaled to 40 marks."""
    top = max([1, *(r["on_time"] + r["late"] for r in report["rows"])])
    rows = []
    for r in report["rows"]:
        on, late = (round(40 * r[k] / top) for k in ("on_time", "late"))
        rows.append([pick_name(r, lang), str(r["on_time"]), str(r["late"]), "█" * on + "░" * late])
    return rows


def _new_table(document: Any, rows: int, widths: Any, grid: bool = True) -> Any:
    """A table of fixed layout: each column as wide as given (cm), whatever its text."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = document.add_table(rows=rows, cols=len(widths))
    if grid:
        table.style = "Table Grid"
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    margins = OxmlElement("w:tblCellMar")  # narrow cell padding: the text gets the column's width
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_PADDING_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def _write(cell: Any, value: str, bold: bool = False, size: float | None = None) -> None:
    from docx.shared import Pt

    cell.text = value
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            run.bold = bold
            if size:
                run.font.size = Pt(size)


def _add_row(table: Any, values: list[str], bold: bool = False) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    row = table.add_row()
    for cell, width, value in zip(row.cells, table.columns, values, strict=True):
        cell.width = width.width
        _write(cell, value, bold)
    cant_split = OxmlElement("w:cantSplit")
    row._tr.get_or_add_trPr().append(cant_split)
    cant_split.set(qn("w:val"), "true")


def _repeat_heading(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _table(document: Any, headings: list[str], rows: list[list[str]], widths: Any) -> None:
    table = _new_table(document, 1, widths)
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        _write(cell, text, bold=True)
    _repeat_heading(table.rows[0])
    for values in rows:
        _add_row(table, values)
