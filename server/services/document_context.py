"""Building a template's context from a case's data (one builder per template).

The nominative stays in the case data; declined forms are computed here for the wording.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from server.documents.render import decline_full_name

FORMS = {"full_time": ("очная", "күндізгі"), "part_time": ("заочная", "сырттай"),
         "distance": ("дистанционная", "қашықтықтан"), "evening": ("вечерняя", "кешкі")}
LANGUAGES = {"ru": ("русский", "орыс"), "kk": ("казахский", "қазақ"), "en": ("английский", "ағылшын")}
FUNDING = {"grant": ("грант", "грант"), "paid": ("платная", "ақылы")}
Builder = Callable[[dict[str, Any], dict[str, Any], str, date], dict[str, Any]]
BUILDERS: dict[str, Builder] = {}


@lru_cache(maxsize=4)
def university(config_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((config_dir / "university.yaml").read_text(encoding="utf-8"))


def builder(template: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BUILDERS[template] = fn
        return fn
    return register


def _pair(table: dict[str, tuple[str, str]], key: Any) -> tuple[str, str]:
    return table.get(str(key), (str(key or ""), str(key or "")))


def _ddmmyyyy(value: Any) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def person_row(person: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """One student line of an order, from the applicant/student dict and the case decisions."""
    form = _pair(FORMS, person.get("form"))
    lang = _pair(LANGUAGES, person.get("language"))
    funding = _pair(FUNDING, data.get("funding_basis") or person.get("funding"))
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
        "programme": {"code": person.get("programme_code", ""),
                      "name_ru": person.get("programme_name", ""),
                      "name_kk": person.get("programme_name_kk") or person.get("programme_name", "")},
        "form_ru": form[0], "form_kk": form[1], "language_ru": lang[0], "language_kk": lang[1],
        "funding_ru": funding[0], "funding_kk": funding[1],
        "difference": {"credits": credits,
                       "deadline": _ddmmyyyy(data.get("difference_deadline")) if credits else ""},
    }


@builder("order_transfer_in")
def order_transfer_in(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    person = data.get("applicant") or data.get("student") or {}
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni["legal_basis_ru"], "legal_basis_kk": uni["legal_basis_kk"],
        "students": [person_row(person, data)],
        "basis": [
            {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"},
            {"name_ru": "согласие вуза-отправителя и транскрипт",
             "name_kk": "жіберуші ЖОО-ның келісімі және транскрипт"},
        ],
        "visas": uni["visas"], "signatory": uni["signatory"],
    }


# --------------------------------------------------------------------------- cert_study

CERT_VALIDITY_MONTHS = 6  # [assumed] validity of a certificate from place of study
PURPOSES_KK = {"по месту требования": "талап етілген жерге"}
_STATUS_RU = {"M": "он действительно является обучающимся",
              "F": "она действительно является обучающейся"}


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
    form = _pair(FORMS, person.get("form"))
    lang = _pair(LANGUAGES, person.get("language"))
    funding = _pair(FUNDING, person.get("funding"))
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
    purpose = str(data.get("purpose") or "по месту требования").strip()
    signatory = (uni.get("visas") or {}).get("registrar_head") or uni["signatory"]
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "student": {
            "full_name": person.get("full_name") or full,
            "full_name_dat": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                               person.get("middle_name") or None, "dative", sex),
            "status_ru": _STATUS_RU.get(str(sex or ""),
                                        "он(а) действительно является обучающимся(-ейся)"),
            "iin": person.get("iin", ""),
            "year": person.get("year", ""),
            "programme": {"code": person.get("programme_code", ""),
                          "name_ru": person.get("programme_name", ""),
                          "name_kk": person.get("programme_name_kk") or person.get("programme_name", "")},
            "faculty_ru": person.get("faculty_name", ""),
            "faculty_kk": person.get("faculty_name_kk") or person.get("faculty_name", ""),
            "form_ru": form[0], "form_kk": form[1], "language_ru": lang[0], "language_kk": lang[1],
            "funding_ru": funding[0], "funding_kk": funding[1],
        },
        "enrolment_order": {"number": str(data.get("enrolment_order_number") or ""),
                            "date": _ddmmyyyy(data.get("enrolment_order_date"))},
        "study_period": {"start": _ddmmyyyy(data.get("study_start")),
                         "end": _ddmmyyyy(data.get("study_end"))},
        "purpose_ru": purpose,
        "purpose_kk": PURPOSES_KK.get(purpose.lower(), purpose),
        "valid_until": valid_until.strftime("%d.%m.%Y"),
        "signatory": {"title_ru": signatory["title_ru"], "title_kk": signatory["title_kk"],
                      "name": signatory["name"]},
        "verification_url": "",
    }


# --------------------------------------------------------------------------- academic_leave

# [assumed] the rules on academic leave; a university may set leave_legal_basis_ru/_kk in
# config/university.yaml instead.
LEAVE_LEGAL_BASIS_RU = ("Правилами предоставления академического отпуска обучающимся в организациях "
                        "образования, утверждёнными приказом Министра образования и науки Республики "
                        "Казахстан от 4 декабря 2014 года № 506")
LEAVE_LEGAL_BASIS_KK = ("Қазақстан Республикасы Білім және ғылым министрінің 2014 жылғы 4 желтоқсандағы "
                        "№ 506 бұйрығымен бекітілген Білім беру ұйымдарында білім алушыларға академиялық "
                        "демалыс беру қағидаларына")
# leave_ground -> (wording after the dates ru, wording before «академиялық демалыс» kk,
#                  supporting document ru, kk)
LEAVE_GROUNDS = {
    "medical": ("по болезни на основании заключения врачебно-консультационной комиссии",
                "дәрігерлік-консультациялық комиссияның қорытындысы негізінде ауруына байланысты",
                "заключение врачебно-консультационной комиссии",
                "дәрігерлік-консультациялық комиссияның қорытындысы"),
    "tuberculosis": ("по болезни (туберкулёз) на основании решения централизованной "
                     "врачебно-консультационной комиссии",
                     "орталықтандырылған дәрігерлік-консультациялық комиссияның шешімі негізінде "
                     "туберкулезбен ауыруына байланысты",
                     "решение централизованной врачебно-консультационной комиссии",
                     "орталықтандырылған дәрігерлік-консультациялық комиссияның шешімі"),
    "military": ("в связи с призывом на воинскую службу",
                 "әскери қызметке шақырылуына байланысты",
                 "повестка о призыве на воинскую службу",
                 "әскери қызметке шақыру қағазы"),
    "childcare": ("по уходу за ребёнком до достижения им возраста трёх лет",
                  "бала үш жасқа толғанға дейін оның күтіміне байланысты",
                  "свидетельство о рождении (усыновлении) ребёнка",
                  "баланың туу (асырап алу) туралы куәлігі"),
}
_LEARNER_RU = {"M": "обучающемуся", "F": "обучающейся"}


@builder("order_academic_leave")
def order_academic_leave(data: dict[str, Any], uni: dict[str, Any], number: str,
                         today: date) -> dict[str, Any]:
    """Order on academic leave (procedure 4): the student record + leave_ground and the dates
    confirmed at the registrar's document check."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
    sex = person.get("sex")
    ground = str(data.get("leave_ground") or "")
    ground_ru, ground_kk, doc_ru, doc_kk = LEAVE_GROUNDS.get(ground, (ground, ground, "", ""))
    basis = [{"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"}]
    if doc_ru:
        basis.append({"name_ru": doc_ru, "name_kk": doc_kk})
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni.get("leave_legal_basis_ru") or LEAVE_LEGAL_BASIS_RU,
        "legal_basis_kk": uni.get("leave_legal_basis_kk") or LEAVE_LEGAL_BASIS_KK,
        "student": {
            "full_name": row["full_name"],
            "full_name_dat": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                               person.get("middle_name") or None, "dative", sex),
            "learner_ru": _LEARNER_RU.get(str(sex or ""), "обучающемуся(-ейся)"),
            "iin": row["iin"], "year": person.get("year", ""), "group": row["group"],
            "programme": row["programme"],
            "faculty_ru": person.get("faculty_name", ""),
            "faculty_kk": person.get("faculty_name_kk") or person.get("faculty_name", ""),
            "form_ru": row["form_ru"], "form_kk": row["form_kk"],
            "funding_ru": row["funding_ru"], "funding_kk": row["funding_kk"],
        },
        "ground_ru": ground_ru, "ground_kk": ground_kk,
        "leave": {"start": _ddmmyyyy(data.get("leave_start")), "end": _ddmmyyyy(data.get("leave_end")),
                  "months": data.get("leave_months", "")},
        "basis": basis,
        "visas": uni["visas"], "signatory": uni["signatory"],
        "verification_url": "",
    }


# --------------------------------------------------------------------------- reinstatement


@builder("order_reinstatement")
def order_reinstatement(data: dict[str, Any], uni: dict[str, Any], number: str,
                        today: date) -> dict[str, Any]:
    """Order on reinstatement (procedure 3): the former student's applicant record + the
    course, programme, academic difference and funding set at the registrar's check.
    Same context as the transfer order (templates/build.py builds both with build_order)."""
    person = data.get("applicant") or data.get("student") or {}
    row = person_row(person, data)
    if data.get("enrol_programme_code"):
        name = str(data.get("enrol_programme_name") or "")
        row["programme"] = {"code": str(data["enrol_programme_code"]), "name_ru": name, "name_kk": name}
    expelled_no = str(person.get("expelled_order_number") or "")
    expelled_on = _ddmmyyyy(person.get("expelled_date"))
    basis = [
        {"name_ru": "личное заявление", "name_kk": "жеке өтініш"},
        {"name_ru": "транскрипт (справка лицам, не завершившим обучение)",
         "name_kk": "транскрипт (білім беруді аяқтамаған адамдарға анықтама)"},
    ]
    if expelled_no:
        basis.append({"name_ru": f"приказ об отчислении № {expelled_no} от {expelled_on}".strip(),
                      "name_kk": f"оқудан шығару туралы {expelled_on} № {expelled_no} бұйрық".strip()})
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni["legal_basis_ru"], "legal_basis_kk": uni["legal_basis_kk"],
        "students": [row],
        "basis": basis,
        "visas": uni["visas"], "signatory": uni["signatory"],
    }


# --------------------------------------------------------------------------- expulsion, contingent
# orders, vacant grants (procedures 10, 11, 13): the transfer order's layout and context, each with
# its own last column (templates/build.py, EXPULSION_* / CONTINGENT_* / VACANT_GRANT_*).

# [assumed] the legal bases; a university may set <kind>_legal_basis_ru/_kk in config/university.yaml.
RULES_595_RU = ("Типовыми правилами деятельности организаций высшего и (или) послевузовского образования, "
                "утверждёнными приказом Министра образования и науки Республики Казахстан от 30 октября "
                "2018 года № 595")
RULES_595_KK = ("Қазақстан Республикасы Білім және ғылым министрінің 2018 жылғы 30 қазандағы № 595 "
                "бұйрығымен бекітілген Жоғары және (немесе) жоғары оқу орнынан кейінгі білім беру "
                "ұйымдары қызметінің үлгілік қағидаларына")
GRANT_RULES_RU = ("Правилами присуждения образовательного гранта для оплаты высшего и послевузовского "
                  "образования, утверждёнными постановлением Правительства Республики Казахстан от "
                  "23 января 2008 года № 58")
GRANT_RULES_KK = ("Қазақстан Республикасы Үкіметінің 2008 жылғы 23 қаңтардағы № 58 қаулысымен бекітілген "
                  "Жоғары және жоғары оқу орнынан кейінгі білімге ақы төлеу үшін білім беру грантын беру "
                  "қағидаларына")


def _order(uni: dict[str, Any], number: str, today: date, kind: str, legal: tuple[str, str],
           effective: Any = None) -> dict[str, Any]:
    """The parts every order of this layout shares; the caller adds students and basis."""
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": _ddmmyyyy(effective) or today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni.get(f"{kind}_legal_basis_ru") or legal[0],
        "legal_basis_kk": uni.get(f"{kind}_legal_basis_kk") or legal[1],
        "visas": uni["visas"], "signatory": uni["signatory"],
    }


def expulsion_ground(code: str, reasoning: str = "") -> tuple[str, str]:
    """The ground for expulsion in Russian and Kazakh (config/catalog.yaml, decision_grounds);
    `other` prints the dean's reasoning."""
    from server.domain.catalog import load_catalog

    if code == "other" and reasoning:
        return reasoning, reasoning
    for ground in load_catalog().service("expulsion").decision_grounds:
        if ground.code == code:
            return ground.ru, ground.kk
    return code, code


@builder("order_expulsion")
def order_expulsion(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order on expulsion (procedure 10): the student record + the dean's ground and date."""
    person = data.get("student") or data.get("applicant") or {}
    ground_ru, ground_kk = expulsion_ground(str(data.get("expulsion_ground") or ""),
                                            str(data.get("dean_reasoning") or ""))
    row = {**person_row(person, data), "ground_ru": ground_ru, "ground_kk": ground_kk}
    return {
        **_order(uni, number, today, "expulsion", (RULES_595_RU, RULES_595_KK), data.get("expulsion_date")),
        "students": [row],
        "basis": [{"name_ru": "представление декана факультета", "name_kk": "факультет деканының ұсынысы"}],
    }


# order_kind -> subject ru, subject kk, item ru, item kk, basis ru, basis kk
CONTINGENT_KINDS = {
    "enrolment": ("О зачислении в число обучающихся", "Білім алушылар қатарына қабылдау туралы",
                  "Зачислить в число обучающихся первого курса", "бірінші курс білім алушылары қатарына "
                  "қабылдансын", "решение приёмной комиссии", "қабылдау комиссиясының шешімі"),
    "promotion": ("О переводе обучающихся на следующий курс", "Білім алушыларды келесі курсқа көшіру туралы",
                  "Перевести на следующий курс", "келесі курсқа көшірілсін",
                  "итоги летней экзаменационной сессии", "жазғы емтихан сессиясының қорытындылары"),
    "graduation": ("Об отчислении в связи с окончанием обучения", "Оқуды аяқтауына байланысты оқудан "
                   "шығару туралы", "Отчислить в связи с окончанием обучения (выпуском)",
                   "оқуды аяқтауына байланысты оқудан шығарылсын", "решение итоговой аттестационной "
                   "комиссии", "қорытынды аттестаттау комиссиясының шешімі"),
}


def _contingent_note(kind: str, person: dict[str, Any]) -> tuple[str, str]:
    if kind == "promotion" and str(person.get("year") or "").isdigit():
        course = int(person["year"]) + 1
        return f"на {course} курс", f"{course} курсқа"
    return "—", "—"


@builder("order_contingent")
def order_contingent(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Batch order on the contingent (procedure 11): one table row per student of the list."""
    kind = str(data.get("order_kind") or "")
    subject_ru, subject_kk, item_ru, item_kk, basis_ru, basis_kk = CONTINGENT_KINDS[kind]
    rows = []
    for person in data.get("students") or []:
        note_ru, note_kk = _contingent_note(kind, person)
        rows.append({**person_row(person, {}), "note_ru": note_ru, "note_kk": note_kk})
    return {
        **_order(uni, number, today, "contingent", (RULES_595_RU, RULES_595_KK), data.get("effective_date")),
        "subject_ru": subject_ru, "subject_kk": subject_kk, "item_ru": item_ru, "item_kk": item_kk,
        "students": rows, "basis": [{"name_ru": basis_ru, "name_kk": basis_kk}],
    }


@builder("order_vacant_grant")
def order_vacant_grant(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order awarding a vacant grant (procedure 13): the winners of the commission's ranking, who
    study on the grant from the order's date."""
    rows = [{**person_row(person, {"funding_basis": "grant"}), "gpa": f"{float(person.get('gpa') or 0):.2f}"}
            for person in data.get("winners") or []]
    return {
        **_order(uni, number, today, "vacant_grant", (GRANT_RULES_RU, GRANT_RULES_KK)),
        "group": {"code": str(data.get("programme_group_code") or ""),
                  "name": str(data.get("programme_group_name") or "")},
        "protocol": {"number": str(data.get("protocol_number") or ""),
                     "date": _ddmmyyyy(data.get("protocol_date"))},
        "students": rows,
        "basis": [{"name_ru": "личные заявления обучающихся", "name_kk": "білім алушылардың жеке өтініштері"},
                  {"name_ru": "протокол заседания конкурсной комиссии",
                   "name_kk": "конкурстық комиссия отырысының хаттамасы"}],
    }
