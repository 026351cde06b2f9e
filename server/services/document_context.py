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
        "purpose_kk": str(data.get("purpose_kk") or PURPOSES_KK.get(purpose.lower(), purpose)),
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


def _learner_dative(person: dict[str, Any]) -> dict[str, str]:
    """«обучающемуся Иванову Петру Сергеевичу»: the word and the name in the dative."""
    sex = person.get("sex")
    return {"full_name_dat": decline_full_name(person.get("last_name", ""), person.get("first_name", ""),
                                               person.get("middle_name") or None, "dative", sex),
            "learner_ru": _LEARNER_RU.get(str(sex or ""), "обучающемуся(-ейся)")}


@builder("order_academic_leave")
def order_academic_leave(data: dict[str, Any], uni: dict[str, Any], number: str,
                         today: date) -> dict[str, Any]:
    """Order on academic leave (procedure 4): the student record + leave_ground and the dates
    confirmed at the registrar's document check."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
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
            **_learner_dative(person),
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


# --------------------------------------------------------------------------- transfer_out, internal, mobility


def _transfer_order(uni: dict[str, Any], number: str, today: date, students: list[dict[str, Any]],
                    basis: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    """The context of an order in the transfer order's layout (templates/build.py, build_order)."""
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        "effective_date": today.strftime("%d.%m.%Y"),
        "legal_basis_ru": uni["legal_basis_ru"], "legal_basis_kk": uni["legal_basis_kk"],
        "students": students, "basis": basis, "visas": uni["visas"], "signatory": uni["signatory"],
        **extra,
    }


def _numbered(name_ru: str, name_kk: str, number: Any, day: Any) -> dict[str, str]:
    """«<document> № N от DD.MM.YYYY» / «DD.MM.YYYY № N <document>» for the «Основание:» list."""
    when = _ddmmyyyy(day)
    return {"name_ru": f"{name_ru} № {number} от {when}".strip(),
            "name_kk": f"{when} № {number} {name_kk}".strip()}


APPLICATION_BASIS = {"name_ru": "личное заявление обучающегося", "name_kk": "білім алушының жеке өтініші"}


@builder("order_transfer_out")
def order_transfer_out(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order on expulsion in connection with transfer to another university (procedure 2): the
    student record, the receiving university and its enrolment order, the consent issued."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
    row["receiving_order"] = {"number": str(data.get("receiving_order_number") or ""),
                              "date": _ddmmyyyy(data.get("receiving_order_date"))}
    basis = [APPLICATION_BASIS]
    if data.get("consent_number"):
        basis.append(_numbered("согласие на перевод", "ауысуға келісім", data["consent_number"],
                               data.get("consent_date")))
    basis.append(_numbered("приказ принимающей организации о зачислении",
                           "қабылдаушы ұйымның қабылдау туралы бұйрығы",
                           row["receiving_order"]["number"], data.get("receiving_order_date")))
    return _transfer_order(uni, number, today, [row], basis,
                           receiving_university=str(data.get("receiving_university") or ""))


@builder("order_transfer_internal")
def order_transfer_internal(data: dict[str, Any], uni: dict[str, Any], number: str,
                            today: date) -> dict[str, Any]:
    """Order «О переводе» (internal transfer): the student moves to the programme, form and
    language set at the registrar's check, with the course, funding and academic difference
    decided on the way."""
    person = data.get("student") or data.get("applicant") or {}
    target = {**person,
              "programme_code": data.get("new_programme_code") or person.get("programme_code", ""),
              "programme_name": data.get("new_programme_name") or person.get("programme_name", ""),
              "programme_name_kk": data.get("new_programme_name_kk") or data.get("new_programme_name"),
              "form": data.get("new_form") or person.get("form"),
              "language": data.get("new_language") or person.get("language")}
    row = person_row(target, data)
    row["previous_programme"] = str(person.get("programme_code") or "")
    basis = [APPLICATION_BASIS]
    if data.get("contract_number"):
        basis.append(_numbered("договор об оказании платных образовательных услуг",
                               "ақылы білім беру қызметтерін көрсету туралы шарт",
                               data["contract_number"], data.get("contract_date")))
    return _transfer_order(uni, number, today, [row], basis)


# [assumed] the rules on the credit system of study (they cover academic mobility); a university
# may set mobility_legal_basis_ru/_kk in config/university.yaml instead.
MOBILITY_LEGAL_BASIS_RU = ("Правилами организации учебного процесса по кредитной технологии обучения, "
                           "утверждёнными приказом Министра образования и науки Республики Казахстан "
                           "от 20 апреля 2011 года № 152")
MOBILITY_LEGAL_BASIS_KK = ("Қазақстан Республикасы Білім және ғылым министрінің 2011 жылғы 20 сәуірдегі "
                           "№ 152 бұйрығымен бекітілген Кредиттік оқыту технологиясы бойынша оқу процесін "
                           "ұйымдастыру қағидаларына")


def _mobility_common(data: dict[str, Any], uni: dict[str, Any]) -> dict[str, Any]:
    return {
        "legal_basis_ru": uni.get("mobility_legal_basis_ru") or MOBILITY_LEGAL_BASIS_RU,
        "legal_basis_kk": uni.get("mobility_legal_basis_kk") or MOBILITY_LEGAL_BASIS_KK,
        "partner_university": str(data.get("partner_university") or ""),
        "period": {"start": _ddmmyyyy(data.get("mobility_start")),
                   "end": _ddmmyyyy(data.get("mobility_end"))},
    }


@builder("order_mobility")
def order_mobility(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order on sending a student to a partner university (procedure 12, internal academic
    mobility): the student record, the partner, the period and the credits of the learning
    agreement, approved by the dean."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
    row["mobility_credits"] = int(data.get("planned_credits") or 0)
    basis = [APPLICATION_BASIS]
    if data.get("agreement_number"):
        basis.append(_numbered("договор о сотрудничестве с вузом-партнёром",
                               "серіктес ЖОО-мен ынтымақтастық туралы шарт",
                               data["agreement_number"], data.get("agreement_date")))
    return _transfer_order(uni, number, today, [row], basis, **_mobility_common(data, uni))


@builder("order_mobility_recredit")
def order_mobility_recredit(data: dict[str, Any], uni: dict[str, Any], number: str,
                            today: date) -> dict[str, Any]:
    """Order on re-crediting (перезачёт) the results of academic mobility: the disciplines of
    the partner's transcript matched to the student's plan by the dean."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
    disciplines = [{"partner": d.get("partner_discipline", ""), "credits": d.get("credits", ""),
                    "grade": d.get("grade", ""), "plan": d.get("plan_discipline", ""),
                    "recredited": int(d.get("recredited_credits") or 0)}
                   for d in data.get("recredit") or []]
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        **_mobility_common(data, uni),
        "student": {
            "full_name": row["full_name"],
            **_learner_dative(person),
            "iin": row["iin"], "year": person.get("year", ""), "programme": row["programme"],
        },
        "disciplines": disciplines,
        "recredited_total": sum(d["recredited"] for d in disciplines),
        "basis": [{"name_ru": "транскрипт вуза-партнёра", "name_kk": "серіктес ЖОО транскрипті"},
                  {"name_ru": "решение декана о перезачёте",
                   "name_kk": "деканның қайта есепке алу туралы шешімі"}],
        "visas": uni["visas"], "signatory": uni["signatory"],
    }
# --------------------------------------------------------------------------- cert_incomplete

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
    order_date = _ddmmyyyy(data.get("leave_order_date"))
    left_ru = f"{left} приказом № {order_no} от {order_date}"
    left_kk = f"{order_date} № {order_no} бұйрықпен"
    receiving = str(data.get("receiving_university") or "").strip()
    if data.get("reason") == "transfer":
        left_ru += f" в связи с переводом в {receiving}" if receiving else " в связи с переводом"
        left_kk += (f" басқа білім беру ұйымына ({receiving}) ауыстырылуына байланысты оқудан шығарылды"
                    if receiving else " басқа білім беру ұйымына ауыстырылуына байланысты оқудан шығарылды")
    else:
        left_kk += " оқудан шығарылды"
    rows = sorted(data.get("disciplines") or [], key=lambda r: int(r.get("semester") or 0))
    disciplines = [{"n": i, "semester": r.get("semester", ""), "name": r.get("discipline", ""),
                    "credits": int(r.get("credits") or 0), "hours": int(r.get("hours") or 0),
                    "grade": r.get("grade", ""), "points": _grade_points(r.get("grade_points"))}
                   for i, r in enumerate(rows, start=1)]
    context["student"]["studied_ru"] = studied
    context.update(
        left_ru=left_ru, left_kk=left_kk, disciplines=disciplines,
        totals={"disciplines": len(disciplines), "credits": sum(r["credits"] for r in disciplines),
                "hours": sum(r["hours"] for r in disciplines)},
    )
    return context


# --------------------------------------------------------------------------- duplicate

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
    qualification = str(data.get("qualification_ru") or "")
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
                     "date": _ddmmyyyy(data.get("original_date"))},
        "reason_ru": reason_ru, "reason_kk": reason_kk,
        "trigger_ru": trigger_ru, "trigger_kk": trigger_kk,
        "programme": {"code": person.get("programme_code", ""),
                      "name_ru": person.get("programme_name", ""),
                      "name_kk": person.get("programme_name_kk") or person.get("programme_name", "")},
        "qualification_ru": qualification,
        "qualification_kk": str(data.get("qualification_kk") or qualification),
        "graduation_year": person.get("graduation_year", ""),
        "signatory": uni["signatory"],
        "verification_url": "",
    }


# --------------------------------------------------------------------------- military


@builder("cert_military")
def cert_military(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Certificate for the military office (deferment while studying, procedure 14): the
    certificate from place of study addressed to the office named at the registrar's check."""
    context = cert_study(data, uni, number, today)
    office = str(data.get("military_office") or "").strip()
    context.update(military_office_ru=office,
                   military_office_kk=str(data.get("military_office_kk") or "").strip() or office)
    return context


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
    # approved transfers collected into one order (server/services/batch_orders.py)
    "transfer": ("О зачислении в порядке перевода", "Ауыстыру тәртібімен қабылдау туралы",
                 "Зачислить в порядке перевода", "ауыстыру тәртібімен қабылдансын",
                 "личные заявления обучающихся, согласия вузов-отправителей и транскрипты",
                 "білім алушылардың жеке өтініштері, жіберуші ЖОО-лардың келісімдері және транскрипттер"),
    # ... when any of them moves inside the university (transfer_internal)
    "transfer_internal": ("О переводе обучающихся", "Білім алушыларды ауыстыру туралы", "Перевести",
                          "ауыстырылсын", "личные заявления обучающихся",
                          "білім алушылардың жеке өтініштері"),
}


def _contingent_note(kind: str, person: dict[str, Any]) -> tuple[str, str]:
    if person.get("note_ru"):  # a collected transfer says where the student comes from
        return str(person["note_ru"]), str(person.get("note_kk") or person["note_ru"])
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
