"""Transfer orders: into the university, to another university, between programmes."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.documents.contexts.common import (
    APPLICATION_BASIS,
    builder,
    ddmmyyyy,
    numbered,
    person_row,
    transfer_order,
)
from server.domain.vocabulary import typed_name


@builder("order_transfer_in")
def order_transfer_in(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    person = data.get("applicant") or data.get("student") or {}
    return transfer_order(uni, number, today, [person_row(person, data)], [
        APPLICATION_BASIS,
        {"name_ru": "согласие вуза-отправителя и транскрипт",
         "name_kk": "жіберуші ЖОО-ның келісімі және транскрипт"},
    ], data.get("approved_by"))


@builder("order_transfer_out")
def order_transfer_out(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order on expulsion in connection with transfer to another university (procedure 2): the
    student record, the receiving university and its enrolment order, the consent issued."""
    person = data.get("student") or data.get("applicant") or {}
    row = person_row(person, data)
    row["receiving_order"] = {"number": str(data.get("receiving_order_number") or ""),
                              "date": ddmmyyyy(data.get("receiving_order_date"))}
    basis = [APPLICATION_BASIS]
    if data.get("consent_number"):
        basis.append(numbered("согласие на перевод", "ауысуға келісім", data["consent_number"],
                               data.get("consent_date")))
    basis.append(numbered("приказ принимающей организации о зачислении",
                           "қабылдаушы ұйымның қабылдау туралы бұйрығы",
                           row["receiving_order"]["number"], data.get("receiving_order_date")))
    receiving = str(data.get("receiving_university") or "")
    return transfer_order(uni, number, today, [row], basis, data.get("approved_by"),
                          receiving_university=receiving,
                          receiving_university_kk=typed_name("university", receiving,
                                                             data.get("receiving_university_kk"), "kk"))


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
              "programme_name_kk": data.get("new_programme_name_kk"),
              "form": data.get("new_form") or person.get("form"),
              "language": data.get("new_language") or person.get("language")}
    row = person_row(target, data)
    row["previous_programme"] = str(person.get("programme_code") or "")
    basis = [APPLICATION_BASIS]
    if data.get("contract_number"):
        basis.append(numbered("договор об оказании платных образовательных услуг",
                               "ақылы білім беру қызметтерін көрсету туралы шарт",
                               data["contract_number"], data.get("contract_date")))
    return transfer_order(uni, number, today, [row], basis, data.get("approved_by"))
