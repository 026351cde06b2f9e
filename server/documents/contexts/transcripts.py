"""The transcript (транскрипт): the student's record by term in Russian, Kazakh and English.

The case's data carries the record as the `record/transcript` step took it on the day of issue
(`transcript_record`: terms with their lines and standings, the cumulative standing, the
disciplines in academic debt, the grade scale); nothing here computes a grade. One context
serves the three files: each value a language prints differently comes in each language
(`_ru`, `_kk`, `_en`), numbers with the decimal comma in Russian and Kazakh and the point in
English.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from server.documents.contexts.common import builder, person_names
from server.domain.labels import decimal_text, label
from server.domain.vocabulary import MissingName, faculty_name, programme_name

NON_BREAKING_HYPHEN = "\u2011"
# The signatory's position in English, by its Russian wording (the office's settings have
# Russian and Kazakh only).
TITLES_EN = {"Ректор": "Rector", "Руководитель офиса регистратора": "Head of the Registrar's Office",
             "Проректор по академическим вопросам": "Vice-Rector for Academic Affairs"}
EN_DASH = "\u2013"
NBSP = "\u00a0"
WORD_JOINER = "\u2060"

# Cyrillic (Russian and Kazakh letters) -> Latin, as Kazakhstan's passports write names
# (ICAO 9303): the English transcript's name when the registry has no Latin spelling.
_LATIN = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
                  ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o",
                   "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e",
                   "iu", "ia", "a", "g", "k", "n", "o", "u", "u", "h", "i"], strict=True))


def latin(text: str) -> str:
    """«Ахметов Ерлан» -> «Akhmetov Erlan»; Latin letters and other signs stay as they are."""
    out = []
    for char in text:
        lower = char.lower()
        if lower in _LATIN:
            value = _LATIN[lower]
            out.append(value.capitalize() if char != lower else value)
        else:
            out.append(char)
    return "".join(out)


def number(value: Any, lang: str, digits: int = 2) -> str:
    """3.5 -> «3,50» (ru, kk) or «3.50» (en); a credit count as a whole number; «—» for none."""
    if digits == 0 and value is not None and value != "":
        return str(round(float(value)))
    return decimal_text(value, lang, digits)


def _unbroken(name: Any) -> str:
    """A table cell's compound words with non-breaking hyphens: a line breaks between words."""
    return str(name or "").replace("-", NON_BREAKING_HYPHEN)


def _in_langs(value: Any, digits: int = 2) -> dict[str, str]:
    return {lang: number(value, lang, digits) for lang in ("ru", "kk", "en")}


def _line(n: int, line: dict[str, Any]) -> dict[str, Any]:
    grade_points = _in_langs(line.get("grade_points"))
    return {"n": n, "code": _unbroken(line.get("code")), "name_ru": _unbroken(line.get("name_ru")),
            "name_kk": _unbroken(line.get("name_kk") or line.get("name_ru")),
            "name_en": _unbroken(line.get("name_en") or line.get("name_ru")),
            "credits": number(line.get("credits"), "ru", 0), "points": line.get("points", ""),
            "letter": _unbroken(line.get("letter")), "grade_points": grade_points["ru"],
            "grade_points_en": grade_points["en"], "debt": bool(line.get("debt"))}


def _term(term: dict[str, Any], start: int) -> dict[str, Any]:
    year = str(term.get("academic_year") or "").replace("-", EN_DASH)
    n = term.get("term", "")
    gpa = _in_langs(term.get("gpa"))
    cumulative = _in_langs(term.get("cumulative_gpa"))
    return {
        "term": n,
        "title_ru": f"{n} семестр" + (f", {year} учебный год" if year else ""),
        "title_kk": f"{n}-семестр" + (f", {year} оқу жылы" if year else ""),
        "title_en": f"Semester {n}" + (f", academic year {year}" if year else ""),
        "lines": [_line(start + i, x) for i, x in enumerate(term.get("lines") or [])],
        "gpa": gpa["ru"], "gpa_en": gpa["en"],
        "cumulative_gpa": cumulative["ru"], "cumulative_gpa_en": cumulative["en"],
        "credits_graded": number(term.get("credits_graded"), "ru", 0),
        "credits_earned": number(term.get("credits_earned"), "ru", 0),
    }


def _scale(bands: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The legend's items, «A — 95–100 (4,00)», each printed whole on one line (non-breaking
    spaces and hyphen, word joiners around the dash of the range)."""
    items = []
    for b in bands:
        letter = _unbroken(b.get("letter"))
        span = f"{b.get('min')}{WORD_JOINER}{EN_DASH}{WORD_JOINER}{b.get('max')}"
        items.append({lang: f"{letter}{NBSP}—{NBSP}{span}{NBSP}({number(b.get('points'), lang)})"
                      for lang in ("ru", "en")})
    return [{"item": x["ru"], "item_en": x["en"]} for x in items]


def _english_programme(code: Any, ru: Any) -> str:
    """The registry's English name of the programme; without one, the code alone (an English
    transcript prints no Russian words)."""
    try:
        return programme_name(code, "en", ru=ru) or str(code or "")
    except MissingName:
        return str(code or "")


def _english_faculty(code: Any, ru: Any) -> str:
    try:
        return faculty_name(code, "en", ru=ru)
    except MissingName:
        return ""


def _student(person: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    last, first, middle, _sex = person_names(person)
    full = " ".join(p for p in (last, first, middle) if p) or str(person.get("full_name") or "")
    code, ru = person.get("programme_code"), person.get("programme_name")
    faculty_code, faculty_ru = person.get("faculty_code"), person.get("faculty_name")
    form, language = person.get("form") or "full_time", person.get("language") or "ru"
    return {
        "full_name": full,
        "full_name_en": str(record.get("latin_name") or person.get("latin_name") or "") or latin(full),
        "iin": person.get("iin", ""), "year": person.get("year", ""),
        "programme": {"code": str(code or ""), "name_ru": programme_name(code, "ru", ru=ru),
                      "name_kk": programme_name(code, "kk", ru=ru, kk=person.get("programme_name_kk")),
                      "name_en": _english_programme(code, ru)},
        "faculty_ru": faculty_name(faculty_code, "ru", ru=faculty_ru),
        "faculty_kk": faculty_name(faculty_code, "kk", ru=faculty_ru, kk=person.get("faculty_name_kk")),
        "faculty_en": _english_faculty(faculty_code, faculty_ru),
        "form_ru": label("form", form, "ru"), "form_kk": label("form", form, "kk"),
        "form_en": label("form", form, "en"),
        "language_ru": label("language", language, "ru"), "language_kk": label("language", language, "kk"),
        "language_en": label("language", language, "en"),
    }


@builder("transcript")
def transcript(data: dict[str, Any], uni: dict[str, Any], number_: str, today: date) -> dict[str, Any]:
    """The transcript of `data["transcript_record"]` (server/services/record/transcripts.py)."""
    record = data.get("transcript_record") or {}
    person = data.get("student") or {}
    terms, start = [], 1
    for term in record.get("terms") or []:
        terms.append(_term(term, start))
        start += len(term.get("lines") or [])
    gpa = _in_langs(record.get("gpa"))
    signatory = ((uni.get("signatories") or {}).get("certificates")
                 or (uni.get("visas") or {}).get("registrar_head") or uni["signatory"])
    return {
        "university": {**uni, "name_en": uni.get("name_en") or "", "city_en": uni.get("city_en") or ""},
        "number": number_, "date": today.strftime("%d.%m.%Y"),
        "student": _student(person, record),
        "terms": terms,
        "totals": {"disciplines": start - 1, "gpa": gpa["ru"], "gpa_en": gpa["en"],
                   "credits_graded": number(record.get("credits_graded"), "ru", 0),
                   "credits_earned": number(record.get("credits_earned"), "ru", 0)},
        "debts": [{"code": d.get("code", ""), "term": d.get("term", ""), "letter": d.get("letter", ""),
                   "name_ru": d.get("name_ru", ""), "name_kk": d.get("name_kk") or d.get("name_ru", ""),
                   "name_en": d.get("name_en") or d.get("name_ru", "")}
                  for d in record.get("debts") or []],
        "scale": _scale(record.get("scale") or []),
        "signatory": {"title_ru": signatory["title_ru"], "title_kk": signatory["title_kk"],
                      "title_en": TITLES_EN.get(str(signatory["title_ru"]).strip(), "Authorised signatory"),
                      "name": signatory["name"], "name_en": latin(str(signatory["name"]))},
        "verification_url": "",
    }
