"""What every document context shares: the builders' registry, the university's settings,
values in words (form of study, language, funding), dates, a student's line of an order,
the order heading and the legal bases more than one order cites."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from server.documents.render import decline_full_name
from server.domain.vocabulary import programme_names

FORMS = {"full_time": ("очная", "күндізгі"), "part_time": ("заочная", "сырттай"),
         "distance": ("дистанционная", "қашықтықтан"), "evening": ("вечерняя", "кешкі")}
LANGUAGES = {"ru": ("русский", "орыс"), "kk": ("казахский", "қазақ"), "en": ("английский", "ағылшын")}
FUNDING = {"grant": ("грант", "грант"), "paid": ("платная", "ақылы")}

Builder = Callable[[dict[str, Any], dict[str, Any], str, date], dict[str, Any]]
# Template name -> its context builder (each family module registers its own).
BUILDERS: dict[str, Builder] = {}


@lru_cache(maxsize=4)
def university(config_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((config_dir / "university.yaml").read_text(encoding="utf-8"))


def builder(template: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BUILDERS[template] = fn
        return fn
    return register


def pair(table: dict[str, tuple[str, str]], key: Any) -> tuple[str, str]:
    return table.get(str(key), (str(key or ""), str(key or "")))


def ddmmyyyy(value: Any) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def person_row(person: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """One student line of an order, from the applicant/student dict and the case decisions."""
    form = pair(FORMS, person.get("form"))
    lang = pair(LANGUAGES, person.get("language"))
    funding = pair(FUNDING, data.get("funding_basis") or person.get("funding"))
    credits = int(data.get("difference_credits") or 0)
    full = " ".join(p for p in (person.get("last_name"), person.get("first_name"),
                                person.get("middle_name")) if p)
    return {
        "full_name": person.get("full_name") or full,
        "full_name_acc": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                           person.get("middle_name") or None, "accusative",
                                           person.get("sex")),
        "iin": person.get("iin", ""),
        "year": data.get("enrol_year") or person.get("year", ""),
        "group": person.get("group") or "—",
        "programme": programme_names(person.get("programme_code"), ru=person.get("programme_name"),
                                     kk=person.get("programme_name_kk")),
        "form_ru": form[0], "form_kk": form[1], "language_ru": lang[0], "language_kk": lang[1],
        "funding_ru": funding[0], "funding_kk": funding[1],
        "difference": {"credits": credits,
                       "deadline": ddmmyyyy(data.get("difference_deadline")) if credits else ""},
    }


def numbered(name_ru: str, name_kk: str, number: Any, day: Any) -> dict[str, str]:
    """«<document> № N от DD.MM.YYYY» / «DD.MM.YYYY № N <document>» for the «Основание:» list."""
    when = ddmmyyyy(day)
    return {"name_ru": f"{name_ru} № {number} от {when}".strip(),
            "name_kk": f"{when} № {number} {name_kk}".strip()}


def transfer_order(uni: dict[str, Any], number: str, today: date, students: list[dict[str, Any]],
                    basis: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    """The context of an order in the transfer order's layout (templates/build.py, build_order)."""
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni["legal_basis_ru"], "legal_basis_kk": uni["legal_basis_kk"],
        "students": students, "basis": basis, "visas": uni["visas"], "signatory": uni["signatory"],
        **extra,
    }


APPLICATION_BASIS = {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"}


def learner_dative(person: dict[str, Any]) -> dict[str, str]:
    """«обучающемуся Иванову Петру Сергеевичу»: the word and the name in the dative."""
    sex = person.get("sex")
    return {"full_name_dat": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                               person.get("middle_name") or None, "dative", sex),
            "learner_ru": _LEARNER_RU.get(str(sex or ""), "обучающемуся(-ейся)")}


_LEARNER_RU = {"M": "обучающемуся", "F": "обучающейся"}


def order_context(uni: dict[str, Any], number: str, today: date, kind: str, legal: tuple[str, str],
           effective: Any = None) -> dict[str, Any]:
    """The parts every order of this layout shares; the caller adds students and basis."""
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": ddmmyyyy(effective) or today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni.get(f"{kind}_legal_basis_ru") or legal[0],
        "legal_basis_kk": uni.get(f"{kind}_legal_basis_kk") or legal[1],
        "visas": uni["visas"], "signatory": uni["signatory"],
    }


# [assumed] the legal bases; a university may set <kind>_legal_basis_ru/_kk in config/university.yaml.
RULES_595_RU = ("Типовыми правилами деятельности организаций высшего и (или) послевузовского образования, "
                "утверждёнными приказом Министра образования и науки Республики Казахстан от 30 октября "
                "2018 года № 595")
RULES_595_KK = ("Қазақстан Республикасы Білім және ғылым министрінің 2018 жылғы 30 қазандағы № 595 "
                "бұйрығымен бекітілген Жоғары және (немесе) жоғары оқу орнынан кейінгі білім беру "
                "ұйымдары қызметінің үлгілік қағидаларына")
