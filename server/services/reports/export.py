"""Printable files of the reports: the public-service report as XLSX (with a bar chart of on time
vs late) and DOCX (server/services/reports/printed.py); the contingent movement and the
student body on a date as XLSX. Rendered from the report's data only, so a
stored snapshot always gives the same files."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from server.services.context import AppContext
from server.services.documents.office import university_now
from server.services.reports import movement
from server.services.reports.labels import pick
from server.services.reports.printed import TITLE_KK, TITLE_RU, registry_code
from server.services.reports.printed import public_services_docx as public_services_docx
from server.services.reports.xlsx_cells import append_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# (row key, Russian heading, Kazakh heading): the columns of the report, in order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("registry_code", "Код услуги в реестре", "Тізілімдегі коды"),
    ("name_ru", "Наименование услуги", "Қызмет атауы (орыс.)"),
    ("name_kk", "Атауы (на казахском)", "Қызмет атауы"),
    ("received", "Поступило всего", "Барлығы түсті"),
    ("received_egov", "через портал egov.kz", "egov.kz порталы арқылы"),
    ("received_state_corporation", "через Госкорпорацию", "Мемлекеттік корпорация арқылы"),
    ("received_direct", "непосредственно в вуз", "ЖОО-ға тікелей"),
    ("rendered", "Оказано всего", "Барлығы көрсетілді"),
    ("positive", "с положительным результатом", "оң нәтижемен"),
    ("refused", "мотивированный отказ", "дәлелді бас тарту"),
    ("on_time", "в срок", "мерзімінде"),
    ("late", "с нарушением срока", "мерзімі бұзылып"),
    ("days_overdue", "дней просрочки (всего)", "кешіктірілген күндер (барлығы)"),
    ("max_days_overdue", "наибольшая просрочка, дней", "ең ұзақ кешіктіру, күн"),
    ("results_electronic", "результат в электронной форме", "электронды нысандағы нәтиже"),
    ("results_paper", "результат в бумажной форме", "қағаз нысанындағы нәтиже"),
    ("complaints", "Жалобы", "Шағымдар"),
    ("in_progress", "В работе на конец периода", "Кезең соңында орындалуда"),
)
NUMERIC = tuple(key for key, _ru, _kk in COLUMNS[3:])


def _period_line(report: dict[str, Any]) -> str:
    first = datetime.fromisoformat(report["from"]).strftime("%d.%m.%Y")
    last = datetime.fromisoformat(report["to"]).strftime("%d.%m.%Y")
    return f"Период / Кезең: {first} — {last}"


def _generated_line(ctx: AppContext, report: dict[str, Any]) -> str:
    at = datetime.fromisoformat(report["generated_at"]).astimezone(ctx.tz)
    return f"Сформирован / Құрылды: {at:%d.%m.%Y %H:%M}"


def _cell(row: dict[str, Any], key: str) -> Any:
    """A cell's value; a service without its register code reads «код не присвоен» (ru / kk); a
    figure a report stored before it was counted reads «нет данных»."""
    value = row.get(key)
    if key == "registry_code":
        return value or f"{registry_code(None, 'ru')} / {registry_code(None, 'kk')}"
    return "нет данных / деректер жоқ" if value is None else value


def _refusal_lines(report: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """(service name, ground ru, ground kk, count) for every refusal ground used."""
    names = report.get("grounds") or {}
    lines = []
    for row in report["rows"]:
        for code, n in row["refusals"].items():
            name = names.get(code, {"ru": code, "kk": code})
            lines.append((row["name_ru"], name["ru"], name["kk"], n))
    return lines


# -- XLSX ------------------------------------------------------------------------------------


def public_services_xlsx(ctx: AppContext, report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Госуслуги"
    uni = university_now(ctx)
    for line in (f"{TITLE_RU} / {TITLE_KK}", uni["name_ru"], _period_line(report),
                 _generated_line(ctx, report)):
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(["№", *(f"{ru}\n{kk}" for _k, ru, kk in COLUMNS)])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(report["rows"], 1):
        append_row(sheet, [i, *(_cell(row, key) for key, _ru, _kk in COLUMNS)])
    totals = report["totals"]
    sheet.append(["", "", "Итого / Барлығы", "", *(totals[key] for key in NUMERIC)])
    last_row = sheet.max_row
    for cell in sheet[last_row]:
        cell.font = Font(bold=True)
    widths = {"A": 5, "B": 14, "C": 44, "D": 44}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for index in range(5, 5 + len(NUMERIC)):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 14
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=4)
    _xlsx_refusals(sheet, report)
    _xlsx_footnotes(sheet, report)
    if report["rows"]:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        chart.title = "Оказано в срок и с нарушением срока"
        on_time = [k for k, _r, _kk in COLUMNS].index("on_time") + 2
        data = Reference(sheet, min_col=on_time, max_col=on_time + 1, min_row=header_row,
                         max_row=last_row - 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=3, min_row=header_row + 1, max_row=last_row - 1))
        chart.height, chart.width = 9, 24
        sheet.add_chart(chart, f"C{sheet.max_row + 2}")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_refusals(sheet: Any, report: dict[str, Any]) -> None:
    from openpyxl.styles import Font

    sheet.append([])
    sheet.append(["", "", "Мотивированные отказы по основаниям / Бас тарту негіздері бойынша"])
    sheet.cell(row=sheet.max_row, column=3).font = Font(bold=True)
    lines = _refusal_lines(report)
    for service, ru, kk, n in lines:
        sheet.append(["", "", service, f"{ru} / {kk}", n])
    if not lines:
        sheet.append(["", "", "Отказов нет / Бас тарту жоқ"])


def _xlsx_footnotes(sheet: Any, report: dict[str, Any]) -> None:
    sheet.append([])
    sheet.append(["", "", "Примечания (определения показателей):"])
    for i, text in enumerate(report["definitions"], 1):
        sheet.append(["", "", f"{i}. {text}"])


def contingent_xlsx(ctx: AppContext, report: dict[str, Any], lang: str = "ru") -> bytes:
    """The movement report: a row per line with its words, a subtotal per faculty, the total;
    opening + movements = closing on every row (the last column says whether it holds)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Движение контингента"
    sheet.append(["Движение контингента обучающихся / Білім алушылар контингентінің қозғалысы"])
    sheet.append([university_now(ctx)["name_ru"]])
    sheet.append([_period_line(report)])
    sheet.append([_generated_line(ctx, report)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    categories = report["categories"]
    dims = ["Факультет / Факультет", "Код ОП / ББ коды",
            "Образовательная программа / Білім беру бағдарламасы",
            "Форма обучения / Оқу нысаны", "Основа обучения / Оқу негізі", "Гражданство / Азаматтығы"]
    headings = [*dims, *(f"{categories[c]['ru']} / {categories[c]['kk']}" for c in movement.COUNTS),
                "Отчислено по основаниям / Шығару негіздері",
                "Переведено внутри вуза: причины / ЖОО ішінде ауысу себептері",
                "Сходится / Сәйкес"]
    sheet.append(headings)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    grounds, reasons = report["grounds"], report["reasons"]

    def tail(row: dict[str, Any]) -> list[Any]:
        by_ground = row["expelled_by_ground"].items()
        by_reason = row["internal_by_reason"].items()
        return [*(row[c] for c in movement.COUNTS),
                "; ".join(f"{pick(grounds.get(g), lang) or g}: {n}" for g, n in by_ground),
                "; ".join(f"{pick(reasons.get(r), lang) or r}: {n}" for r, n in by_reason),
                "да / иә" if row["balanced"] else "НЕТ / ЖОҚ"]

    for faculty in report["faculties"]:
        for row in (r for r in report["rows"] if r["faculty_code"] == faculty["faculty_code"]):
            append_row(sheet, [pick(row["faculty"], lang), row["programme_code"],
                               pick(row["programme"], lang), pick(row["form_name"], lang),
                               pick(row["funding_name"], lang), pick(row["citizenship_name"], lang),
                               *tail(row)])
        subtotal = f"Итого по факультету / Факультет бойынша барлығы: {pick(faculty['faculty'], lang)}"
        append_row(sheet, [subtotal, "", "", "", "", "", *tail(faculty)])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.append(["Итого / Барлығы", "", "", "", "", "", *tail(report["totals"])])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, width in enumerate((30, 10, 36, 14, 12, 16), start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def student_body_xlsx(ctx: AppContext, report: dict[str, Any], lang: str = "ru") -> bytes:
    """The counts on a date: one table per dimension (course, form, language, funding,
    citizenship, sex, age, ...), then courses per faculty; headings in Russian and Kazakh."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Численность"
    on = datetime.fromisoformat(report["on"]).strftime("%d.%m.%Y")
    sheet.append([f"Численность обучающихся на {on} / {on} жағдай бойынша білім алушылар саны"])
    sheet.append([university_now(ctx)["name_ru"]])
    sheet.append([_generated_line(ctx, report)])
    sheet.append([BASIS[report["basis"]]])
    sheet["A1"].font = Font(bold=True, size=13)
    columns = report["columns"]
    for table in report["tables"]:
        sheet.append([])
        sheet.append([f"{table['title']['ru']} / {table['title']['kk']}",
                      *(f"{w['ru']} / {w['kk']}" for w in columns.values())])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table["rows"]:
            append_row(sheet, [pick(row["name"], lang), *(row[c] for c in columns)])
        sheet.append(["Итого / Барлығы", *(report["totals"][c] for c in columns)])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.append([])
    names = report["year_names"]
    sheet.append(["Факультет / Факультет", *(f"{names[y]['ru']} / {names[y]['kk']}" for y in report["years"]),
                  "Всего / Барлығы"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in report["by_faculty"]:
        append_row(sheet, [pick(row["faculty"], lang), *(row["years"][y] for y in report["years"]),
                           row["total"]])
    sheet.column_dimensions["A"].width = 40
    for index in range(2, 2 + max(len(columns), len(report["years"]) + 1)):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BASIS = {
    "registry": "По реестру обучающихся на сегодня / Бүгінгі білім алушылар тізілімі бойынша",
    "registry_and_changes": "По реестру, приведённому к этой дате по изменениям, внесённым подписанными "
                            "приказами / Қол қойылған бұйрықтар енгізген өзгерістер бойынша осы күнге "
                            "келтірілген тізілім бойынша",
}
