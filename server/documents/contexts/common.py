"""What every document context shares: the builders' registry, the university's settings,
values in words (form of study, language, funding), dates, a student's line of an order,
the order heading and the legal bases more than one order cites."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from server.documents.cyrillic import cyrillic_name
from server.documents.kazakh import decline_full_name_kk, decline_phrase_kk
from server.documents.render import decline_full_name
from server.domain.iin import iin_sex
from server.domain.vocabulary import faculty_name, programme_names, typed_name

FORMS = {"full_time": ("очная", "күндізгі"), "part_time": ("заочная", "сырттай"),
         "distance": ("дистанционная", "қашықтықтан"), "evening": ("вечерняя", "кешкі")}
LANGUAGES = {"ru": ("русский", "орыс"), "kk": ("казахский", "қазақ"), "en": ("английский", "ағылшын")}
FUNDING = {"grant": ("грант", "грант"), "paid": ("платная", "ақылы")}

Builder = Callable[[dict[str, Any], dict[str, Any], str, date], dict[str, Any]]
# Template name -> its context builder (each family module registers its own).
BUILDERS: dict[str, Builder] = {}


# What the office edits (server/services/documents/office.py): the letterhead's fields, the
# rector, the people in the approval blocks, and who signs each register's documents.
LETTERHEAD_FIELDS = ("name_ru", "name_kk", "city_ru", "city_kk", "address_ru", "address_kk", "contacts")
PERSON_FIELDS = ("title_ru", "title_kk", "name")
POSITIONS = ("registrar_head", "vice_rector", "lawyer", "accountant")
SIGNED_REGISTERS = ("orders", "certificates", "duplicates")
DEFAULT_SIGNERS = {"orders": "rector", "certificates": "registrar_head", "duplicates": "rector"}


@lru_cache(maxsize=4)
def _yaml(config_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((config_dir / "university.yaml").read_text(encoding="utf-8"))


def office_defaults(config_dir: Path) -> dict[str, dict[str, Any]]:
    """The office settings as config/university.yaml gives them (before any edit)."""
    raw = _yaml(config_dir)
    visas = raw.get("visas") or {}
    rector = raw.get("rector") or raw.get("signatory") or {}
    return {
        "letterhead": {k: str(raw.get(k) or "") for k in LETTERHEAD_FIELDS},
        "rector": {k: str(rector.get(k) or "") for k in PERSON_FIELDS},
        "positions": {p: {k: str((visas.get(p) or {}).get(k) or "") for k in PERSON_FIELDS}
                      for p in POSITIONS},
        "signatories": {r: str((raw.get("signatories") or {}).get(r) or DEFAULT_SIGNERS[r])
                        for r in SIGNED_REGISTERS},
    }


def university(config_dir: Path, office: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The university's data every builder prints: config/university.yaml with the office's
    settings laid over it (``office``: what the office saved, by setting; the services pass it
    from the database). Keys: ``name_ru/kk``, ``city_ru/kk``, ``address_ru/kk``, ``contacts``,
    ``legal_basis_*``, ``rector``, ``visas`` (each position ``{title_ru, title_kk, name}``),
    ``signatories`` (per register: the person who signs) and ``signatory`` (who signs orders)."""
    uni = copy.deepcopy(_yaml(config_dir))
    settings = office_defaults(config_dir)
    for key, value in (office or {}).items():
        if key in settings and isinstance(value, dict):
            settings[key] = {**settings[key], **value}
    uni.update(settings["letterhead"])
    uni["rector"] = settings["rector"]
    visas = dict(uni.get("visas") or {})
    visas.update(settings["positions"])
    uni["visas"] = visas
    people = {"rector": settings["rector"], **settings["positions"]}
    uni["signatories"] = {r: people.get(settings["signatories"][r], settings["rector"])
                          for r in SIGNED_REGISTERS}
    uni["signatory"] = uni["signatories"]["orders"]
    return uni


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


def person_names(person: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(last, first, middle, sex) as an order prints them: in Cyrillic (a name registered in
    Latin letters is transliterated, server/documents/cyrillic.py) and the sex taken from the
    ИИН when the record does not say it (the declension needs it)."""
    iin = str(person.get("iin") or "")
    sex = person.get("sex") or None
    if sex is None and len(iin) == 12 and iin.isdigit():
        try:
            sex = iin_sex(iin)
        except ValueError:
            sex = None
    return (cyrillic_name(str(person.get("last_name") or "")),
            cyrillic_name(str(person.get("first_name") or "")),
            cyrillic_name(str(person.get("middle_name") or "")) or None, sex)


def person_row(person: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """One student line of an order, from the applicant/student dict and the case decisions."""
    form = pair(FORMS, person.get("form"))
    lang = pair(LANGUAGES, person.get("language"))
    funding = pair(FUNDING, data.get("funding_basis") or person.get("funding"))
    credits = int(data.get("difference_credits") or 0)
    last, first, middle, sex = person_names(person)
    full = " ".join(p for p in (last, first, middle) if p)
    return {
        "full_name": full or cyrillic_name(str(person.get("full_name") or "")),
        "full_name_acc": decline_full_name(last, first, middle, "accusative", sex) if full else "",
        "full_name_dat": decline_full_name(last, first, middle, "dative", sex) if full else "",
        "iin": person.get("iin", ""),
        "year": data.get("enrol_year") or person.get("year", ""),
        "group": person.get("group") or "—",
        "programme": programme_names(person.get("programme_code"), ru=person.get("programme_name"),
                                     kk=person.get("programme_name_kk")),
        "faculty_ru": faculty_name(person.get("faculty_code"), "ru", ru=person.get("faculty_name")),
        "faculty_kk": faculty_name(person.get("faculty_code"), "kk", ru=person.get("faculty_name"),
                                   kk=person.get("faculty_name_kk")),
        "form_ru": form[0], "form_kk": form[1], "language_ru": lang[0], "language_kk": lang[1],
        "funding_ru": funding[0], "funding_kk": funding[1],
        "difference": {"credits": credits,
                       "deadline": ddmmyyyy(data.get("difference_deadline")) if credits else "",
                       "lines": difference_lines(data.get("difference")) if credits else []},
    }


def difference_lines(lines: Any) -> list[dict[str, Any]]:
    """The dean's confirmed difference: each discipline in Russian and Kazakh with its ECTS
    credits (a line without its Kazakh name raises MissingName, never prints Russian)."""
    out = []
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict) or not line.get("discipline"):
            continue
        ru = str(line["discipline"]).strip()
        out.append({"name_ru": ru, "name_kk": typed_name("discipline", ru, line.get("discipline_kk"), "kk"),
                    "credits": line.get("credits") or ""})
    return out


def numbered(name_ru: str, name_kk: str, number: Any, day: Any) -> dict[str, str]:
    """«<document> № N от DD.MM.YYYY» / «DD.MM.YYYY № N <document>» for the «Основание:» list."""
    when = ddmmyyyy(day)
    return {"name_ru": f"{name_ru} № {number} от {when}".strip(),
            "name_kk": f"{when} № {number} {name_kk}".strip()}


def transfer_order(uni: dict[str, Any], number: str, today: date, students: list[dict[str, Any]],
                   basis: list[dict[str, str]], approved_by: list[dict[str, Any]] | None = None,
                   **extra: Any) -> dict[str, Any]:
    """The context of an order in the transfer order's layout (order_transfer_in_ru/kk.docx)."""
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni["legal_basis_ru"], "legal_basis_kk": uni["legal_basis_kk"],
        "students": students, "basis": basis, "approvals": approvals(approved_by or [], uni),
        "signatory": uni["signatory"],
        **extra,
    }


APPLICATION_BASIS = {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"}


def learner_dative(person: dict[str, Any]) -> dict[str, str]:
    """«обучающемуся Иванову Петру Сергеевичу»: the word and the name in the dative."""
    last, first, middle, sex = person_names(person)
    return {"full_name_dat": decline_full_name(last, first, middle, "dative", sex),
            "full_name_dat_kk": decline_full_name_kk(last, first, middle, "dative"),
            "full_name_gen_kk": decline_full_name_kk(last, first, middle, "genitive"),
            "learner_ru": _LEARNER_RU.get(str(sex or ""), "обучающемуся(-ейся)")}


_LEARNER_RU = {"M": "обучающемуся", "F": "обучающейся"}


def order_context(uni: dict[str, Any], number: str, today: date, kind: str, legal: tuple[str, str],
                  effective: Any = None, approved_by: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The parts every order of this layout shares; the caller adds students and basis."""
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": ddmmyyyy(effective) or today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni.get(f"{kind}_legal_basis_ru") or legal[0],
        "legal_basis_kk": uni.get(f"{kind}_legal_basis_kk") or legal[1],
        "approvals": approvals(approved_by or [], uni), "signatory": uni["signatory"],
    }


# [assumed] the legal bases; a university may set <kind>_legal_basis_ru/_kk in config/university.yaml.
RULES_595_RU = ("Типовыми правилами деятельности организаций высшего и (или) послевузовского образования, "
                "утверждёнными приказом Министра образования и науки Республики Казахстан от 30 октября "
                "2018 года № 595")
RULES_595_KK = ("Қазақстан Республикасы Білім және ғылым министрінің 2018 жылғы 30 қазандағы № 595 "
                "бұйрығымен бекітілген Жоғары және (немесе) жоғары оқу орнынан кейінгі білім беру "
                "ұйымдары қызметінің үлгілік қағидаларына")


# role -> the position in Russian and Kazakh when the office's settings name none (the settings'
# `visas` win: the office edits the approval positions); a dean's names the faculty (dean_title)
APPROVER_TITLES = {
    "vice_rector": ("Проректор по академическим вопросам", "Академиялық мәселелер жөніндегі проректор"),
    "registrar_head": ("Руководитель офиса регистратора", "Тіркеуші кеңсесінің басшысы"),
    "accountant": ("Бухгалтер", "Бухгалтер"),
    "lawyer": ("Юрист", "Заңгер"),
    "international": ("Специалист международного отдела", "Халықаралық бөлімнің маманы"),
}


def approvals(approved_by: list[dict[str, Any]], uni: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The «Согласовано / Келісілді» lines: each person who approved the case (the render job
    passes them as `approved_by`, server/services/documents/approvals.py) with the position in
    Russian and Kazakh (the office's settings, `uni["visas"]`, else APPROVER_TITLES) and the
    name as orders print it (initials and surname)."""
    visas = (uni or {}).get("visas") or {}
    lines = []
    for person in approved_by:
        role = str(person.get("role") or "")
        if role == "dean":
            title_ru, title_kk = dean_title(str(person.get("faculty_ru") or ""),
                                            str(person.get("faculty_kk") or ""))
        else:
            setting = visas.get(role) if isinstance(visas.get(role), dict) else {}
            title_ru, title_kk = APPROVER_TITLES.get(role, (role, role))
            title_ru = str(setting.get("title_ru") or title_ru)
            title_kk = str(setting.get("title_kk") or title_kk)
        lines.append({"title_ru": title_ru, "title_kk": title_kk,
                      "name": initials(str(person.get("full_name") or ""))})
    return lines


def initials(full_name: str) -> str:
    """«Сейткали Нурлан Болатович» -> «Н. Б. Сейткали» (a one-word name stays as it is)."""
    words = full_name.split()
    if len(words) < 2:
        return full_name.strip()
    return " ".join([*(f"{w[0].upper()}." for w in words[1:3]), words[0]])


_ADJECTIVE_GENITIVE = (("ский", "ского"), ("цкий", "цкого"), ("кий", "кого"), ("ний", "него"),
                       ("ый", "ого"), ("ий", "ого"), ("ой", "ого"))


def dean_title(faculty_ru: str, faculty_kk: str) -> tuple[str, str]:
    """«Декан факультета информационных технологий» / «Ақпараттық технологиялар факультетінің
    деканы» from the faculty's names («Факультет …», «Педагогический факультет» or any other
    name, which is quoted after «факультета»)."""
    name = faculty_ru.strip()
    if not name:
        title_ru = "Декан факультета"
    elif name.lower().startswith("факультет "):
        title_ru = f"Декан факультета {name[len('факультет '):]}"
    elif name.lower().endswith(" факультет"):
        words = name.split()[:-1]
        declined = []
        for word in words:
            lower = word.lower()
            ending = next((e for e in _ADJECTIVE_GENITIVE if lower.endswith(e[0])), None)
            declined.append(lower[: -len(ending[0])] + ending[1] if ending else lower)
        title_ru = f"Декан {' '.join(declined)} факультета"
    else:
        title_ru = f"Декан факультета «{name}»"
    return title_ru, kazakh_dean_title(faculty_kk.strip())


def kazakh_dean_title(faculty_kk: str) -> str:
    """«<факультет> деканы»: the faculty's name in the genitive before «деканы»
    («Ақпараттық технологиялар факультетінің деканы»)."""
    if not faculty_kk:
        return "Факультет деканы"
    if "факультет" not in faculty_kk.lower():
        faculty_kk = f"{faculty_kk} факультеті"
    return f"{decline_phrase_kk(faculty_kk, 'genitive')} деканы"
