"""Academic mobility orders: the sending and the re-crediting on return."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.documents.contexts.common import (
    APPLICATION_BASIS,
    approvals,
    builder,
    ddmmyyyy,
    learner_dative,
    numbered,
    person_row,
    transfer_order,
)
from server.documents.kazakh import decline_phrase_kk
from server.domain.vocabulary import typed_name

# [assumed] the rules on the credit system of study (they cover academic mobility); a university
# may set mobility_legal_basis_ru/_kk in config/university.yaml instead.
MOBILITY_LEGAL_BASIS_RU = ("Правилами организации учебного процесса по кредитной технологии обучения, "
                           "утверждёнными приказом Министра образования и науки Республики Казахстан "
                           "от 20 апреля 2011 года № 152")

MOBILITY_LEGAL_BASIS_KK = ("Қазақстан Республикасы Білім және ғылым министрінің 2011 жылғы 20 сәуірдегі "
                           "№ 152 бұйрығымен бекітілген Кредиттік оқыту технологиясы бойынша оқу процесін "
                           "ұйымдастыру қағидаларына")


def _mobility_common(data: dict[str, Any], uni: dict[str, Any]) -> dict[str, Any]:
    partner = data.get("partner_university")
    partner_kk = typed_name("university", partner, data.get("partner_university_kk"), "kk") if partner else ""
    return {
        "legal_basis_ru": uni.get("mobility_legal_basis_ru") or MOBILITY_LEGAL_BASIS_RU,
        "legal_basis_kk": uni.get("mobility_legal_basis_kk") or MOBILITY_LEGAL_BASIS_KK,
        "partner_university": str(data.get("partner_university") or ""),
        "partner_university_kk": partner_kk,
        # the Kazakh sentences need the partner in the dative («…университетіне жіберілсін») and
        # the locative («…университетінде алған оқу нәтижелері»)
        "partner_university_kk_dat": decline_phrase_kk(partner_kk, "dative") if partner_kk else "",
        "partner_university_kk_loc": decline_phrase_kk(partner_kk, "locative") if partner_kk else "",
        "period": {"start": ddmmyyyy(data.get("mobility_start")),
                   "end": ddmmyyyy(data.get("mobility_end"))},
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
        basis.append(numbered("договор о сотрудничестве с вузом-партнёром",
                               "серіктес ЖОО-мен ынтымақтастық туралы шарт",
                               data["agreement_number"], data.get("agreement_date")))
    return transfer_order(uni, number, today, [row], basis, data.get("approved_by"),
                          **_mobility_common(data, uni))


@builder("order_mobility_recredit")
def order_mobility_recredit(data: dict[str, Any], uni: dict[str, Any], number: str,
                            today: date) -> dict[str, Any]:
    """Order on re-crediting (перезачёт) the results of academic mobility: the disciplines of
    the partner's transcript matched to the student's plan by the dean."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
    disciplines = [{"partner": d.get("partner_discipline", ""), "credits": d.get("credits", ""),
                    "partner_kk": typed_name("discipline", d.get("partner_discipline"),
                                             d.get("partner_discipline_kk"), "kk"),
                    "grade": d.get("grade", ""), "plan": d.get("plan_discipline", ""),
                    "plan_kk": typed_name("discipline", d.get("plan_discipline"),
                                          d.get("plan_discipline_kk"), "kk"),
                    "recredited": int(d.get("recredited_credits") or 0)}
                   for d in data.get("recredit") or []]
    return {
        "university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
        **_mobility_common(data, uni),
        "student": {
            "full_name": row["full_name"],
            **learner_dative(person),
            "iin": row["iin"], "year": person.get("year", ""), "programme": row["programme"],
        },
        "disciplines": disciplines,
        "recredited_total": sum(d["recredited"] for d in disciplines),
        "basis": [{"name_ru": "транскрипт вуза-партнёра", "name_kk": "серіктес ЖОО транскрипті"},
                  {"name_ru": "решение декана о перезачёте",
                   "name_kk": "деканның қайта есепке алу туралы шешімі"}],
        "approvals": approvals(data.get("approved_by") or [], uni), "signatory": uni["signatory"],
    }
