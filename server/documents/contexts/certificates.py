"""Certificates: of study (and for the military office), of incomplete studies, and the
cover note of a duplicate."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from server.documents.contexts.common import FORMS, FUNDING, LANGUAGES, builder, ddmmyyyy, pair
from server.documents.kazakh import decline_full_name_kk, decline_phrase_kk
from server.documents.render import decline_full_name
from server.domain.vocabulary import faculty_name, programme_names, typed_name

CERT_VALIDITY_MONTHS = 6  # [assumed] validity of a certificate from place of study

# Where a certificate is presented when the application names no place: the Russian words
# complete «Справка выдана для предъявления …», the Kazakh ones (dative) precede «ұсыну үшін».
DEFAULT_PURPOSE = ("по месту требования", "талап етілген жерге")
# «для предоставления в банк» typed into the purpose repeats the template's own words
_PURPOSE_LEAD_RU = re.compile(r"^(?:справка\s+)?(?:выдана\s+)?для\s+(?:предъявления|представления|"
                              r"предоставления)\s+", re.IGNORECASE)
_PURPOSE_TAIL_KK = re.compile(r"\s+(?:ұсыну\s+үшін|ұсынуға)(?:\s+берілді)?$", re.IGNORECASE)
NON_BREAKING_HYPHEN = "\u2011"
FAILED_GRADES = frozenset({"FX", "F"})  # listed on the certificate, their credits not earned

_STATUS_RU = {"M": "он действительно является обучающимся",
              "F": "она действительно является обучающейся"}


def purpose(data: dict[str, Any]) -> tuple[str, str]:
    """(ru, kk) wording of where the certificate is presented: a purpose from the form's list
    comes with its Kazakh wording (`purpose_kk`), a typed one is typed in both languages. A
    case from before the Kazakh field (no `purpose_kk`) prints the general «талап етілген
    жерге» rather than Russian words in the Kazakh certificate."""
    ru = _PURPOSE_LEAD_RU.sub("", str(data.get("purpose") or "").strip()).rstrip(". ")
    kk = _PURPOSE_TAIL_KK.sub("", str(data.get("purpose_kk") or "").strip().rstrip(". "))
    if not ru:
        return DEFAULT_PURPOSE
    return ru, kk or DEFAULT_PURPOSE[1]


def kazakh_dative(person: dict[str, Any], full: str) -> str:
    """The holder's name in the Kazakh dative («Иванов Пётр Сергеевичке»)."""
    parts = (person.get("last_name") or "", person.get("first_name") or "", person.get("middle_name"))
    try:
        if any(parts[:2]):
            return decline_full_name_kk(*parts, "dative")
    except ValueError:  # a name with no letters to decline is printed as written
        return person.get("full_name") or full
    return phrase_dative_kk(str(person.get("full_name") or full))


def phrase_dative_kk(phrase: str) -> str:
    """A Kazakh noun phrase in the dative; one with no word to decline («№ 5») as written."""
    try:
        return decline_phrase_kk(phrase, "dative") if phrase.strip() else ""
    except ValueError:
        return phrase


def _add_months(day: date, months: int) -> date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@builder("cert_study")
def cert_study(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Certificate from place of study (procedure 5): the student record + the registrar's check.

    ``verification_url`` is filled in by the render job (with the QR image ``qr``), which
    generates the document's verification code. Validity: 6 months
    from issue, but not after the end of studies."""
    person = data.get("student") or data.get("applicant") or {}
    form = pair(FORMS, person.get("form"))
    lang = pair(LANGUAGES, person.get("language"))
    funding = pair(FUNDING, person.get("funding"))
    full = " ".join(p for p in (person.get("last_name"), person.get("first_name"),
                                person.get("middle_name")) if p)
    sex = person.get("sex")
    valid_until = _add_months(today, CERT_VALIDITY_MONTHS)
    try:
        study_end = date.fromisoformat(str(data.get("study_end") or "")[:10])
    except ValueError:
        study_end = None
    if study_end is not None and today <= study_end < valid_until:
        valid_until = study_end
    purpose_ru, purpose_kk = purpose(data)
    signatory = ((uni.get("signatories") or {}).get("certificates")
                 or (uni.get("visas") or {}).get("registrar_head") or uni["signatory"])
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "student": {
            "full_name": person.get("full_name") or full,
            "full_name_dat": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                               person.get("middle_name") or None, "dative", sex),
            "full_name_dat_kk": kazakh_dative(person, full),
            "status_ru": _STATUS_RU.get(str(sex or ""),
                                        "он(а) действительно является обучающимся(-ейся)"),
            "iin": person.get("iin", ""),
            "year": person.get("year", ""),
            "programme": programme_names(person.get("programme_code"), ru=person.get("programme_name"),
                                         kk=person.get("programme_name_kk")),
            "faculty_ru": faculty_name(person.get("faculty_code"), "ru", ru=person.get("faculty_name")),
            "faculty_kk": faculty_name(person.get("faculty_code"), "kk", ru=person.get("faculty_name"),
                                       kk=person.get("faculty_name_kk")),
            "form_ru": form[0], "form_kk": form[1], "language_ru": lang[0], "language_kk": lang[1],
            "funding_ru": funding[0], "funding_kk": funding[1],
        },
        "enrolment_order": {"number": str(data.get("enrolment_order_number") or ""),
                            "date": ddmmyyyy(data.get("enrolment_order_date"))},
        "study_period": {"start": ddmmyyyy(data.get("study_start")),
                         "end": ddmmyyyy(data.get("study_end"))},
        "purpose_ru": purpose_ru,
        "purpose_kk": purpose_kk,
        "valid_until": valid_until.strftime("%d.%m.%Y"),
        "signatory": {"title_ru": signatory["title_ru"], "title_kk": signatory["title_kk"],
                      "name": signatory["name"]},
        "verification_url": "",
    }


_STUDIED_RU = {"M": ("он действительно обучался", "отчислен"),
               "F": ("она действительно обучалась", "отчислена")}


def _grade_points(value: Any) -> str:
    if value is None or value == "":
        return "—"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


@builder("cert_incomplete")
def cert_incomplete(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Certificate for those who did not complete studies (procedure 6): the certificate from
    place of study's student block + how the studies ended (expulsion or transfer, by order)
    and the disciplines with credits, hours and grades, so that another university can
    compute the academic difference. Valid without a time limit."""
    context = cert_study(data, uni, number, today)
    person = data.get("student") or data.get("applicant") or {}
    studied, left = _STUDIED_RU.get(str(person.get("sex") or ""),
                                    ("он(а) действительно обучался(-ась)", "отчислен(а)"))
    order_no = str(data.get("leave_order_number") or "")
    order_date = ddmmyyyy(data.get("leave_order_date"))
    left_ru = f"{left} приказом № {order_no} от {order_date}"
    left_kk = f"{order_date} № {order_no} бұйрықпен"
    receiving = str(data.get("receiving_university") or "").strip()
    if data.get("reason") == "transfer":
        left_ru += f" в связи с переводом в {receiving}" if receiving else " в связи с переводом"
        receiving_kk = (typed_name("university", receiving, data.get("receiving_university_kk"), "kk")
                        if receiving else "")
        left_kk += (f" басқа білім беру ұйымына ({receiving_kk}) ауысуына байланысты"
                    if receiving_kk else " басқа білім беру ұйымына ауысуына байланысты")
    # «… оқудан шығарылғаны туралы берілді»: the participle the sentence's «туралы» needs
    left_kk += " оқудан шығарылғаны"
    disciplines = discipline_rows(data.get("disciplines") or [])
    context["student"]["studied_ru"] = studied
    context.update(left_ru=left_ru, left_kk=left_kk, disciplines=disciplines,
                   totals=discipline_totals(disciplines))
    return context


def discipline_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The disciplines by semester, numbered, named in Russian and Kazakh; `failed` for an FX
    or F grade."""
    ordered = sorted(rows, key=lambda r: int(r.get("semester") or 0))
    # a transcript entered before the Kazakh names were asked for prints the name it has
    return [{"n": i, "semester": r.get("semester", ""), "name": _unbroken(r.get("discipline", "")),
             "name_kk": _unbroken(r.get("discipline_kk") or r.get("discipline", "")),
             "credits": int(r.get("credits") or 0), "hours": int(r.get("hours") or 0),
             "grade": r.get("grade", ""), "points": _grade_points(r.get("grade_points")),
             "failed": str(r.get("grade") or "").upper() in FAILED_GRADES}
            for i, r in enumerate(ordered, start=1)]


def _unbroken(name: Any) -> str:
    """A table cell's compound words («Информационно-коммуникационные») with non-breaking
    hyphens: the line breaks between words, never inside one."""
    return str(name or "").replace("-", NON_BREAKING_HYPHEN)


def discipline_totals(disciplines: list[dict[str, Any]]) -> dict[str, int]:
    """Every discipline is counted in `disciplines`; the credits and hours are those earned: a
    failed discipline (FX, F) is listed on the certificate but earns nothing."""
    passed = [r for r in disciplines if not r["failed"]]
    return {"disciplines": len(disciplines), "failed": len(disciplines) - len(passed),
            "credits": sum(r["credits"] for r in passed), "hours": sum(r["hours"] for r in passed)}


@builder("cert_military")
def cert_military(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Certificate for the military office (deferment while studying, procedure 14): the
    certificate from place of study addressed to the office named at the registrar's check."""
    context = cert_study(data, uni, number, today)
    office = str(data.get("military_office") or "").strip()
    office_kk = typed_name("military_office", office, data.get("military_office_kk"), "kk") if office else ""
    # «… басқармасына ұсынуға берілді»: the office in the dative
    context.update(military_office_ru=office, military_office_kk=office_kk,
                   military_office_kk_dat=phrase_dative_kk(office_kk))
    return context


# document_type -> (nominative ru, genitive ru, kk)
DUPLICATE_DOCUMENTS = {
    "diploma": ("диплом о высшем образовании", "диплома", "жоғары білім туралы диплом"),
    "supplement": ("приложение к диплому", "приложения к диплому", "диплом қосымшасы"),
    "transcript": ("транскрипт", "транскрипта", "транскрипт"),
}


# trigger -> (the original ru (genitive), kk, ground ru, kk)
DUPLICATE_TRIGGERS = {
    "loss": ("утерянного", "жоғалған", "утеря оригинала", "түпнұсқаның жоғалуы"),
    "damage": ("испорченного", "бүлінген", "порча оригинала", "түпнұсқаның бүлінуі"),
    "name_change": ("выданного на прежнюю фамилию", "бұрынғы тегіне берілген",
                    "изменение фамилии", "тегінің өзгеруі"),
}


@builder("duplicate")
def duplicate(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Duplicate of a diploma, its supplement or a transcript (procedure 7), marked «ДУБЛИКАТ»:
    the applicant (in the current name) + the original's details found in the archive."""
    person = data.get("applicant") or data.get("student") or {}
    name_ru, name_gen_ru, name_kk = DUPLICATE_DOCUMENTS.get(
        str(person.get("document_type")), DUPLICATE_DOCUMENTS["diploma"])
    reason_ru, reason_kk, trigger_ru, trigger_kk = DUPLICATE_TRIGGERS.get(
        str(person.get("trigger")), DUPLICATE_TRIGGERS["loss"])
    former = str(person.get("former_last_name") or "").strip()
    if person.get("trigger") == "name_change" and former:
        trigger_ru += f" (прежняя фамилия: {former})"
        trigger_kk += f" (бұрынғы тегі: {former})"
    full = " ".join(p for p in (person.get("last_name"), person.get("first_name"),
                                person.get("middle_name")) if p)
    qualification = str(data.get("qualification_ru") or "").strip()
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "student": {
            "full_name": person.get("full_name") or full,
            "full_name_dat": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                               person.get("middle_name") or None, "dative",
                                               person.get("sex")),
            "iin": person.get("iin", ""),
        },
        "document": {"name_ru": name_ru, "name_gen_ru": name_gen_ru, "name_kk": name_kk},
        "original": {"series": str(data.get("original_series") or ""),
                     "number": str(data.get("original_number") or ""),
                     "date": ddmmyyyy(data.get("original_date"))},
        "reason_ru": reason_ru, "reason_kk": reason_kk,
        "trigger_ru": trigger_ru, "trigger_kk": trigger_kk,
        "programme": programme_names(person.get("programme_code"), ru=person.get("programme_name"),
                                     kk=person.get("programme_name_kk")),
        "qualification_ru": qualification,
        "qualification_kk": typed_name("qualification", qualification, data.get("qualification_kk"), "kk"),
        "blank": {"series": str(data.get("duplicate_series") or ""),
                  "number": str(data.get("duplicate_number") or "")},
        "graduation_year": person.get("graduation_year", ""),
        "signatory": uni["signatory"],
        "verification_url": "",
    }
