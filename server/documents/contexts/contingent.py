"""Orders on many students: the contingent orders (enrolment, promotion, graduation) and
the vacant grant award."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.documents.contexts.common import (
    RULES_595_KK,
    RULES_595_RU,
    builder,
    ddmmyyyy,
    order_context,
    person_row,
)
from server.domain.vocabulary import typed_name

GRANT_RULES_RU = ("Правилами присуждения образовательного гранта для оплаты высшего и послевузовского "
                  "образования, утверждёнными постановлением Правительства Республики Казахстан от "
                  "23 января 2008 года № 58")

GRANT_RULES_KK = ("Қазақстан Республикасы Үкіметінің 2008 жылғы 23 қаңтардағы № 58 қаулысымен бекітілген "
                  "Жоғары және жоғары оқу орнынан кейінгі білімге ақы төлеу үшін білім беру грантын беру "
                  "қағидаларына")


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
    # approved transfers collected into one order (server/services/cases/batch_orders.py)
    "transfer": ("О зачислении в порядке перевода", "Ауыстыру тәртібімен қабылдау туралы",
                 "Зачислить в порядке перевода", "ауыстыру тәртібімен қабылдансын",
                 "личные заявления обучающихся, согласия вузов-отправителей и транскрипты",
                 "білім алушылардың жеке өтініштері, жіберуші ЖОО-лардың келісімдері және транскрипттер"),
    # ... when any of them moves inside the university (transfer_internal)
    "transfer_internal": ("О переводе обучающихся", "Білім алушыларды ауыстыру туралы", "Перевести",
                          "ауыстырылсын", "личные заявления обучающихся",
                          "білім алушылардың жеке өтініштері"),
}


# The items after the table: the batch transfer orders say what the single transfer orders say
# (the academic difference, the personal files); the others what the contingent order says.
ITEMS_CONTINGENT = (
    ("Офису регистратора внести сведения в информационную систему.",
     "Тіркеуші кеңсесі мәліметтерді ақпараттық жүйеге енгізсін."),
    ("Контроль за исполнением приказа возложить на проректора по академическим вопросам.",
     "Бұйрықтың орындалуын бақылау академиялық мәселелер жөніндегі проректорға жүктелсін."),
)
ITEMS_TRANSFER = (
    ("Деканату обеспечить ликвидацию обучающимися академической разницы в указанные сроки.",
     "Факультет деканы білім алушылардың академиялық айырмашылықты көрсетілген мерзімде жоюын "
     "қамтамасыз етсін."),
    ("Офису регистратора в течение трёх рабочих дней запросить личные дела обучающихся из "
     "организаций образования, в которых они обучались.",
     "Тіркеуші кеңсесі үш жұмыс күні ішінде білім алушылардың бұрын оқыған білім беру "
     "ұйымдарынан жеке істерін сұратсын."),
)
ITEMS_TRANSFER_INTERNAL = (
    ITEMS_TRANSFER[0],
    ("Офису регистратора внести изменения в информационную систему и личные дела обучающихся.",
     "Тіркеуші кеңсесі ақпараттық жүйеге және білім алушылардың жеке істеріне өзгерістер енгізсін."),
)
TRANSFER_KINDS = {"transfer": ITEMS_TRANSFER, "transfer_internal": ITEMS_TRANSFER_INTERNAL}


def _contingent_note(kind: str, person: dict[str, Any]) -> tuple[str, str]:
    if person.get("note_ru"):  # a collected transfer says where the student comes from
        note_ru = str(person["note_ru"])
        return note_ru, typed_name("university", note_ru, person.get("note_kk"), "kk")
    if kind == "promotion" and str(person.get("year") or "").isdigit():
        course = int(person["year"]) + 1
        return f"на {course} курс", f"{course} курсқа"
    return "—", "—"


@builder("order_contingent")
def order_contingent(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Batch order on the contingent (procedure 11): one table row per student of the list. A
    batch of transfers cites the transfer rules, prints the academic difference and the
    personal-file item, as the single transfer order does."""
    kind = str(data.get("order_kind") or "")
    subject_ru, subject_kk, item_ru, item_kk, basis_ru, basis_kk = CONTINGENT_KINDS[kind]
    transfer = kind in TRANSFER_KINDS
    rows = []
    for person in data.get("students") or []:
        note_ru, note_kk = _contingent_note(kind, person)
        decisions = {"difference_credits": person.get("difference_credits"),
                     "difference_deadline": person.get("difference_deadline")}
        rows.append({**person_row(person, decisions), "note_ru": note_ru, "note_kk": note_kk})
    legal = ((uni["legal_basis_ru"], uni["legal_basis_kk"]) if transfer else (RULES_595_RU, RULES_595_KK))
    items = TRANSFER_KINDS.get(kind, ITEMS_CONTINGENT)
    return {
        **order_context(uni, number, today, "transfer" if transfer else "contingent", legal,
                        data.get("effective_date"), data.get("approved_by")),
        "subject_ru": subject_ru, "subject_kk": subject_kk, "item_ru": item_ru, "item_kk": item_kk,
        "with_difference": transfer,
        "items": [{"ru": ru, "kk": kk} for ru, kk in items],
        "students": rows, "basis": [{"name_ru": basis_ru, "name_kk": basis_kk}],
    }


@builder("order_vacant_grant")
def order_vacant_grant(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Order awarding a vacant grant (procedure 13): the winners of the commission's ranking, who
    study on the grant from the order's date."""
    rows = [{**person_row(person, {"funding_basis": "grant"}), "gpa": f"{float(person.get('gpa') or 0):.2f}"}
            for person in data.get("winners") or []]
    return {
        **order_context(uni, number, today, "vacant_grant", (GRANT_RULES_RU, GRANT_RULES_KK),
                        approved_by=data.get("approved_by")),
        "group": {"code": str(data.get("programme_group_code") or ""),
                  "name": str(data.get("programme_group_name") or ""),
                  "name_kk": typed_name("programme_group", data.get("programme_group_name"),
                                        data.get("programme_group_name_kk"), "kk")},
        "protocol": {"number": str(data.get("protocol_number") or ""),
                     "date": ddmmyyyy(data.get("protocol_date"))},
        "students": rows,
        "basis": [{"name_ru": "личные заявления обучающихся", "name_kk": "білім алушылардың жеке өтініштері"},
                  {"name_ru": "протокол заседания конкурсной комиссии",
                   "name_kk": "конкурстық комиссия отырысының хаттамасы"}],
    }
