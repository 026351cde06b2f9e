"""Orders on one student: academic leave, reinstatement, expulsion."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.documents.contexts.common import (
    RULES_595_KK,
    RULES_595_RU,
    approvals,
    builder,
    ddmmyyyy,
    learner_dative,
    order_context,
    person_row,
    transfer_order,
)
from server.domain.catalog import load_catalog
from server.domain.vocabulary import faculty_name, programme_names, typed_name

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
            **learner_dative(person),
            "iin": row["iin"], "year": person.get("year", ""), "group": row["group"],
            "programme": row["programme"],
            "faculty_ru": faculty_name(person.get("faculty_code"), "ru", ru=person.get("faculty_name")),
            "faculty_kk": faculty_name(person.get("faculty_code"), "kk", ru=person.get("faculty_name"),
                                       kk=person.get("faculty_name_kk")),
            "form_ru": row["form_ru"], "form_kk": row["form_kk"],
            "funding_ru": row["funding_ru"], "funding_kk": row["funding_kk"],
        },
        "ground_ru": ground_ru, "ground_kk": ground_kk,
        "leave": {"start": ddmmyyyy(data.get("leave_start")), "end": ddmmyyyy(data.get("leave_end")),
                  "months": data.get("leave_months", "")},
        "basis": basis,
        "approvals": approvals(data.get("approved_by") or [], uni), "signatory": uni["signatory"],
    }


@builder("order_reinstatement")
def order_reinstatement(data: dict[str, Any], uni: dict[str, Any], number: str,
                        today: date) -> dict[str, Any]:
    """Order on reinstatement (procedure 3): the former student's applicant record + the
    course, programme, academic difference and funding set at the registrar's check.
    Same context as the transfer order (both templates have the transfer order's layout)."""
    person = data.get("applicant") or data.get("student") or {}
    row = person_row(person, data)
    if data.get("enrol_programme_code"):
        row["programme"] = programme_names(data["enrol_programme_code"], ru=data.get("enrol_programme_name"),
                                           kk=data.get("enrol_programme_name_kk"))
    expelled_no = str(person.get("expelled_order_number") or "")
    expelled_on = ddmmyyyy(person.get("expelled_date"))
    basis = [
        {"name_ru": "личное заявление", "name_kk": "жеке өтініш"},
        {"name_ru": "транскрипт (справка лицам, не завершившим обучение)",
         "name_kk": "транскрипт (білім беруді аяқтамаған адамдарға анықтама)"},
    ]
    if expelled_no:
        basis.append({"name_ru": f"приказ об отчислении № {expelled_no} от {expelled_on}".strip(),
                      "name_kk": f"оқудан шығару туралы {expelled_on} № {expelled_no} бұйрық".strip()})
    return transfer_order(uni, number, today, [row], basis, data.get("approved_by"))


def expulsion_ground(code: str, reasoning: str = "", reasoning_kk: str = "") -> tuple[str, str]:
    """The ground for expulsion in Russian and Kazakh (config/catalog.yaml, decision_grounds);
    `other` prints the dean's reasoning, in Kazakh as the dean wrote it in Kazakh."""
    if code == "other" and reasoning:
        return reasoning, typed_name("reasoning", reasoning, reasoning_kk, "kk")
    for ground in load_catalog().service("expulsion").decision_grounds:
        if ground.code == code:
            return ground.ru, ground.kk
    return code, code


@builder("order_expulsion")
def order_expulsion(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order on expulsion (procedure 10): the student record + the dean's ground and date."""
    person = data.get("student") or data.get("applicant") or {}
    ground_ru, ground_kk = expulsion_ground(str(data.get("expulsion_ground") or ""),
                                            str(data.get("dean_reasoning") or ""),
                                            str(data.get("dean_reasoning_kk") or ""))
    row = {**person_row(person, data), "ground_ru": ground_ru, "ground_kk": ground_kk}
    return {
        **order_context(uni, number, today, "expulsion", (RULES_595_RU, RULES_595_KK),
                        data.get("expulsion_date"), data.get("approved_by")),
        "students": [row],
        "basis": [{"name_ru": "представление декана факультета", "name_kk": "факультет деканының ұсынысы"}],
    }
