"""Every reason a record import refuses a row for, in words: a transcripts file and a curricula file
refused for each reason there is, their import pages read in Russian and Kazakh with the page
walker's checks (no code, no snake_case, no ISO date, no untranslated text, no Russian on the
Kazakh page) and no Latin word in a reason but the file's own values; the API's report the same."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from server.auth import Actor
from server.jobs.inprocess import drain
from server.services.errors import msg_from_data
from server.services.record import import_jobs
from tests.integration.record_data import (
    ADMISSION,
    FIRST_YEAR,
    IIN_A,
    IIN_B,
    IIN_UNKNOWN,
    MAPPING,
    seed,
    transcript_csv,
)
from tests.integration.test_page_walker import offences, readable
from tests.integration.web import Staff

BAD_IIN = IIN_A[:-1] + str((int(IIN_A[-1]) + 1) % 10)  # the check digit wrong
# One refused row per reason (the first row of each pair of duplicates is accepted).
TRANSCRIPT = [
    ("", "MAT101", FIRST_YEAR, 1, 1, 80, "B"),  # ИИН missing (and every required field below)
    (IIN_A, "", FIRST_YEAR, 1, 1, 80, "B"),
    (IIN_A, "MAT101", "", 1, 1, 80, "B"),
    (IIN_A, "MAT101", FIRST_YEAR, "", 1, 80, "B"),
    (IIN_A, "MAT101", FIRST_YEAR, 1, 2, "", ""),
    (IIN_UNKNOWN, "MAT101", FIRST_YEAR, 1, 1, 80, "B"),  # not in the registry
    (BAD_IIN, "MAT101", FIRST_YEAR, 1, 1, 80, "B"),  # not a valid ИИН
    (IIN_A, "XYZ999", FIRST_YEAR, 1, 1, 80, "B"),  # no such discipline
    (IIN_A, "MAT101", "2025/26", 1, 1, 80, "B"),  # the academic year's form
    (IIN_A, "MAT101", FIRST_YEAR, 13, 2, 80, "B"),  # semester out of range
    (IIN_A, "MAT101", FIRST_YEAR, 1, 10, 80, "B"),  # attempt out of range
    (IIN_A, "MAT101", FIRST_YEAR, 1, 2, 120, ""),  # points out of range
    (IIN_A, "MAT101", FIRST_YEAR, 1, 2, 80, "A"),  # the letter against the scale
    (IIN_B, "PHY102", FIRST_YEAR, 1, 1, 70, "C+"),  # not in this semester of the plan
    (IIN_B, "HIS101", FIRST_YEAR, 1, 1, 70, "C+"),
    (IIN_B, "HIS101", FIRST_YEAR, 1, 1, 70, "C+"),  # the same attempt twice
    (IIN_A, "MAT101", FIRST_YEAR, 1, 1, 50, "D"),  # recorded already with other points
]
CURRICULUM = [
    f"6B06102,{ADMISSION},NEW101,Новая,Жаңа,New,5,exam,1,",  # the component missing
    "6B06102,1980,NEW102,Новая,Жаңа,New,99,exam,13,compulsory",  # year, credits, semester
    f"6B06102,{ADMISSION},NEW103,Новая,Жаңа,New,5,устно,1,вариативный",  # form, component
    f"6B06102,{ADMISSION},{'N' * 40},{'Н' * 301},Жаңа,New,5,экзамен,1,по выбору",  # too long
    f"6B06102,{ADMISSION},NEW104,Новая,Жаңа,New,5,емтихан,1,міндетті",
    f"6B06102,{ADMISSION},NEW104,Новая,Жаңа,New,5,exam,1,compulsory",  # the same line twice
]
# The curricula file's header in Russian, as the office's spreadsheet has it (a header of field
# codes would be listed, as the file's own column names, in the page's choice of columns).
CURRICULUM_HEADER = ("Шифр ОП,Год набора,Код дисциплины,Название,Атауы,Name,Кредиты,Форма контроля,Семестр,"
                     "Компонент")
CURRICULUM_MAPPING = dict(zip(("programme_code", "admission_year", "discipline_code", "name_ru", "name_kk",
                               "name_en", "credits", "control_form", "semester", "kind"),
                              CURRICULUM_HEADER.split(","), strict=True))
EXPECTED = {
    "transcripts": {"%(field)s: обязательное поле", "неизвестный обучающийся: ИИН %(iin)s нет в реестре",
                    "неизвестная дисциплина %(code)s", "учебный год в виде 2025-2026",
                    "семестр: номер от 1 до 12", "попытка: номер от 1 до 9",
                    "баллы — целое число от 0 до 100", "попытка %(attempt)s повторяет строку %(line)s",
                    "семестр %(term)s: в учебном плане %(programme)s набора %(year)s дисциплины %(code)s "
                    "в этом семестре нет",
                    "уже записано %(before)s баллов: изменить результат можно только корректировкой по делу"},
    "curricula": {"%(field)s: обязательное поле", "%(field)s: целое число от %(low)s до %(high)s",
                  "форма контроля: экзамен, зачёт, курсовая работа, практика или аттестация",
                  "компонент: обязательный или по выбору", "%(field)s: длиннее %(limit)s символов",
                  "дисциплина уже есть в строке %(line)s"},
}
LETTER = "буква %(letter)s не соответствует %(points)s баллам"
# Latin words a reason may show: the file's own values (disciplines' and programmes' codes, letters).
FILE_VALUES = {"B", "A", "C", "D", "N" * 40}


def _templates(data: Any) -> set[str]:
    """Every template of a stored reason (a joined reason: its parts' too)."""
    if not isinstance(data, dict):
        return set()
    found = {data.get("t", "")}
    for value in (data.get("p") or {}).values():
        found |= _templates(value)
    return found


def _queue(ctx, kind: str, content: bytes, mapping: dict[str, str] | None) -> int:
    import_id = import_jobs.queue_import(ctx, Actor.system(), kind, f"{kind}.csv", content, mapping=mapping,
                                         dry_run=True)
    drain(ctx)
    return import_id


@pytest.fixture
def refused(ctx, people) -> dict[str, int]:
    seed(ctx)
    curricula = ("\n".join([CURRICULUM_HEADER, *CURRICULUM]) + "\n").encode()
    return {"transcripts": _queue(ctx, "transcripts", transcript_csv(TRANSCRIPT), MAPPING),
            "curricula": _queue(ctx, "curricula", curricula, CURRICULUM_MAPPING)}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_reason_in_words_on_the_import_page(app, ctx, refused, client, people):
    for kind, import_id in refused.items():
        row = import_jobs.get_import(ctx, Actor.system(), import_id)
        assert row.status == "refused", (kind, import_jobs.error_text(row))
        templates = set().union(*(_templates(r["reason"]) for r in row.report if r["status"] == "refused"))
        missing = EXPECTED[kind] - templates
        assert not missing, f"{kind}: no row refused for {missing}"
        if kind == "transcripts":
            assert any(t.startswith(LETTER) for t in templates)
            assert any("ИИН" in t and "контрольн" in t for t in templates), templates  # the check digit
        for lang in ("ru", "kk"):
            page = Staff(app, "registrar", lang=lang).get(f"/app/record/imports/{import_id}")
            found = offences(readable(page), lang)
            assert not found, f"{kind} {lang}: {found[:5]}"
            cells = [html.unescape(c) for c in re.findall(r"<td>([^<]*)</td></tr>", page)]
            assert len(cells) == sum(r["status"] == "refused" for r in row.report), cells
            latin = {w for c in cells for w in re.findall(r"\b[A-Za-z]+\b", c)} - FILE_VALUES
            assert not latin, f"{kind} {lang}: {latin} in {cells}"
        for lang in ("ru", "kk"):
            r = client.get(f"/api/v1/record/imports/{import_id}", headers={
                **people["registrar"], "Accept-Language": lang})
            assert r.status_code == 200, r.json
            reasons = " ".join(x["reason"] or "" for x in r.json["rows"])
            assert not offences(reasons, lang), (lang, offences(reasons, lang)[:5])
            assert reasons == " ".join(_localized(x["reason"], lang) for x in row.report)


def _localized(data: Any, lang: str) -> str:
    from server.web.i18n import localized

    return localized(msg_from_data(data) or "", lang) or ""
