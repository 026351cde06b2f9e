"""The words for every code people would otherwise read: one vocabulary for pages, task
instructions, e-mails, exports and the API's display fields.

A code (`full_time`, `on_leave`, `KOR`, `rejected`) is stored and exchanged as it is; wherever a
person reads it, it passes through `label(kind, code, lang)`, which answers the word in Russian,
Kazakh or English. A code the vocabulary does not know is answered as it is (and `known` tells
whether it was known: the page walker test fails on a code shown raw). Dates are printed in the
office's format, dd.mm.yyyy, in every language (`date_text`), and `humanize` turns an ISO date
string found in free data into that format.

Pure: no database, no Flask. The catalog's own words (services, refusal grounds, channels,
roles) stay in config/catalog.yaml; the forms' choices in their JSON Schema `x-enum-titles`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from server.domain import countries

LANGS = ("ru", "kk", "en")
_INDEX = {lang: i for i, lang in enumerate(LANGS)}

Words = tuple[str, str, str]

STUDENT_STATUS: dict[str, Words] = {
    "active": ("обучается", "білім алуда", "studying"),
    "on_leave": ("в академическом отпуске", "академиялық демалыста", "on academic leave"),
    "expelled": ("отчислен", "оқудан шығарылды", "expelled"),
    "graduated": ("окончил обучение", "оқуды бітірді", "graduated"),
    "transferred_out": ("отчислен в связи с переводом в другой вуз",
                        "басқа ЖОО-ға ауысуына байланысты оқудан шығарылды",
                        "expelled on transfer to another university"),
}

FORM: dict[str, Words] = {
    "full_time": ("очная", "күндізгі", "full-time"),
    "part_time": ("заочная", "сырттай", "part-time"),
    "distance": ("дистанционная", "қашықтықтан", "distance"),
    "evening": ("вечерняя", "кешкі", "evening"),
}

LANGUAGE: dict[str, Words] = {
    "ru": ("русский", "орыс тілі", "Russian"),
    "kk": ("казахский", "қазақ тілі", "Kazakh"),
    "en": ("английский", "ағылшын тілі", "English"),
}

FUNDING: dict[str, Words] = {
    "grant": ("государственный грант", "мемлекеттік грант", "state grant"),
    "paid": ("платная основа", "ақылы негіз", "tuition fee"),
}

LEVEL: dict[str, Words] = {
    "bachelor": ("бакалавриат", "бакалавриат", "bachelor's"),
    "master": ("магистратура", "магистратура", "master's"),
    "doctoral": ("докторантура", "докторантура", "doctoral"),
}

SEX: dict[str, Words] = {
    "male": ("мужской", "ер", "male"),
    "female": ("женский", "әйел", "female"),
}

CASE_STATUS: dict[str, Words] = {
    "in_progress": ("в работе", "орындалуда", "in progress"),
    "returned": ("возвращено на доработку", "пысықтауға қайтарылды", "returned for correction"),
    "completed": ("завершено", "аяқталды", "completed"),
    "rejected": ("завершено", "аяқталды", "completed"),
    "withdrawn": ("отозвано заявителем", "өтініш беруші кері алды", "withdrawn"),
    "cancelled": ("отменено", "тоқтатылды", "cancelled"),
    "error": ("остановлено из-за ошибки", "қатеге байланысты тоқтатылды", "stopped by an error"),
}

OUTCOME: dict[str, Words] = {
    "approved": ("одобрено", "мақұлданды", "approved"),
    "issued": ("выдано", "берілді", "issued"),
    "rejected": ("отказано", "бас тартылды", "refused"),
    "refused": ("отказано", "бас тартылды", "refused"),
    "cancelled": ("отменено", "тоқтатылды", "cancelled"),
    "withdrawn": ("отозвано", "кері алынды", "withdrawn"),
    "completed": ("завершено", "аяқталды", "completed"),
    "registered": ("поставлен на учёт", "есепке қойылды", "registered"),
    "grade_kept": ("оценка оставлена без изменения", "баға өзгеріссіз қалдырылды", "grade kept"),
    "grade_raised": ("оценка повышена", "баға көтерілді", "grade raised"),
    "grade_lowered": ("оценка понижена", "баға төмендетілді", "grade lowered"),
}

DOCUMENT_STATUS: dict[str, Words] = {
    "draft": ("проект, не подписан", "жоба, қол қойылмаған", "draft, not signed"),
    "signed": ("подписан", "қол қойылды", "signed"),
    "superseded": ("заменён новой версией", "жаңа нұсқамен ауыстырылды", "superseded by a later version"),
    "issued": ("выдан", "берілді", "issued"),
}

REGISTER: dict[str, Words] = {
    "orders": ("Приказы", "Бұйрықтар", "Orders"),
    "certificates": ("Справки", "Анықтамалар", "Certificates"),
    "duplicates": ("Дубликаты", "Телнұсқалар", "Duplicates"),
    "letters": ("Исходящие письма", "Шығыс хаттар", "Outgoing letters"),
}

TASK_STATUS: dict[str, Words] = {
    "open": ("ожидает", "күтуде", "waiting"),
    "ready": ("ожидает", "күтуде", "waiting"),
    "waiting": ("ожидает", "күтуде", "waiting"),
    "claimed": ("взята в работу", "жұмысқа алынды", "claimed"),
    "completed": ("выполнена", "орындалды", "completed"),
    "cancelled": ("отменена", "тоқтатылды", "cancelled"),
}

# What a document is, by its template (the registers, the public check, the case's documents).
DOCUMENT_KIND: dict[str, Words] = {
    "cert_study": ("Справка с места учёбы", "Оқу орнынан анықтама", "Certificate of study"),
    "cert_incomplete": ("Справка лицам, не завершившим обучение",
                        "Білім беруді аяқтамаған адамдарға анықтама",
                        "Certificate for those who did not complete their studies"),
    "cert_military": ("Справка для органа военного управления", "Әскери басқару органына анықтама",
                      "Certificate for the military office"),
    "transcript": ("Транскрипт", "Транскрипт", "Transcript of records"),
    "duplicate": ("Дубликат документа об образовании", "Білім туралы құжаттың телнұсқасы",
                  "Duplicate of an education document"),
    "order_academic_leave": ("Приказ о предоставлении академического отпуска",
                             "Академиялық демалыс беру туралы бұйрық", "Order on academic leave"),
    "order_contingent": ("Приказ по контингенту обучающихся",
                         "Білім алушылар контингенті бойынша бұйрық", "Order on the student body"),
    "order_expulsion": ("Приказ об отчислении", "Оқудан шығару туралы бұйрық", "Order on expulsion"),
    "order_mobility": ("Приказ о направлении на обучение по программе академической мобильности",
                       "Академиялық ұтқырлық бағдарламасы бойынша оқуға жіберу туралы бұйрық",
                       "Order on academic mobility"),
    "order_mobility_recredit": ("Приказ о перезачёте результатов обучения по программе академической "
                                "мобильности", "Академиялық ұтқырлық бағдарламасы бойынша оқу "
                                "нәтижелерін қайта есепке алу туралы бұйрық",
                                "Order on recognition of mobility credits"),
    "order_reinstatement": ("Приказ о восстановлении", "Оқуға қайта қабылдау туралы бұйрық",
                            "Order on reinstatement"),
    "order_transfer_in": ("Приказ о зачислении в порядке перевода",
                          "Ауыстыру тәртібімен қабылдау туралы бұйрық", "Order on enrolment by transfer"),
    "order_transfer_internal": ("Приказ о переводе внутри университета",
                                "Университет ішінде ауыстыру туралы бұйрық",
                                "Order on transfer within the university"),
    "order_transfer_out": ("Приказ об отчислении в связи с переводом в другую организацию высшего "
                           "образования", "Басқа жоғары оқу орнына ауысуына байланысты оқудан шығару "
                           "туралы бұйрық", "Order on expulsion in connection with a transfer"),
    "order_vacant_grant": ("Приказ о присуждении вакантного образовательного гранта",
                           "Бос білім беру грантын беру туралы бұйрық", "Order on awarding a vacant grant"),
    "letter_refusal": ("Мотивированный отказ в оказании государственной услуги",
                       "Мемлекеттік қызмет көрсетуден дәлелді бас тарту",
                       "Reasoned refusal to provide a public service"),
    "letter_personal_file": ("Запрос личного дела обучающегося", "Білім алушының жеке ісін сұрату",
                             "Request for the student's personal file"),
    "letter_military": ("Уведомление органа военного управления", "Әскери басқару органына хабарлама",
                        "Notice to the military office"),
    "letter_migration": ("Уведомление органа миграционной службы", "Көші-қон қызметі органына хабарлама",
                         "Notice to the migration service"),
}

# The procedures' decision tables (workflows/*.dmn), by their ids.
DECISION: dict[str, Words] = {
    "cert_incomplete_tuition_check": ("Нужна ли справка бухгалтерии об отсутствии задолженности",
                                      "Бухгалтериядан берешегі жоқ туралы анықтама қажет пе",
                                      "Whether the accounts office's no-debt statement is needed"),
    "academic_leave_max_months": ("Предельная продолжительность академического отпуска",
                                  "Академиялық демалыстың шекті ұзақтығы",
                                  "Maximum length of academic leave"),
    "transfer_difference_limit": ("Предельная академическая разница при переводе",
                                  "Ауыстыру кезіндегі академиялық айырманың шегі",
                                  "Maximum academic difference on transfer"),
}

YES_NO: dict[str, Words] = {
    "true": ("да", "иә", "yes"),
    "false": ("нет", "жоқ", "no"),
}

# ISO 3166-1 alpha-3, every country (server/domain/countries.py, the list forms choose from).
CITIZENSHIP: dict[str, Words] = {c.code: (c.ru, c.kk, c.en) for c in countries.COUNTRIES.values()}

# A contingent order's kind (the `contingent_order` procedure's order_kind).
ORDER_KIND: dict[str, Words] = {
    "enrolment": ("зачисление", "оқуға қабылдау", "admission"),
    "promotion": ("перевод на следующий курс", "келесі курсқа көшіру", "promotion to the next year"),
    "graduation": ("выпуск", "бітіру", "graduation"),
    "transfer": ("зачисление в порядке перевода", "ауысу тәртібімен қабылдау", "admission by transfer"),
    "transfer_internal": ("перевод внутри университета", "университет ішінде ауысу",
                          "transfer within the university"),
}

# An import of the academic record (server/services/record/import_jobs.py): its kind, its
# state, a row's outcome, and the fields a file's columns are mapped to.
IMPORT_KIND: dict[str, Words] = {
    "transcripts": ("транскрипты (результаты)", "транскриптер (нәтижелер)", "transcripts (results)"),
    "curricula": ("учебные планы", "оқу жоспарлары", "curricula"),
}
IMPORT_STATUS: dict[str, Words] = {
    "queued": ("в очереди", "кезекте", "queued"),
    "checking": ("проверка строк", "жолдар тексерілуде", "checking rows"),
    "writing": ("запись в учёт", "есепке жазылуда", "writing"),
    "done": ("выполнен", "орындалды", "done"),
    "refused": ("отклонён: есть ошибки в строках", "қабылданбады: жолдарда қате бар",
                "refused: rows with errors"),
    "failed": ("прерван ошибкой, ничего не записано", "қатемен тоқтады, ештеңе жазылмады",
               "stopped by an error, nothing written"),
}
IMPORT_ROW: dict[str, Words] = {
    "new": ("новая", "жаңа", "new"),
    "updated": ("изменена", "өзгертілді", "updated"),
    "unchanged": ("без изменений", "өзгеріссіз", "unchanged"),
    "refused": ("отклонена", "қабылданбады", "refused"),
}
IMPORT_FIELD: dict[str, Words] = {
    "iin": ("ИИН", "ЖСН", "IIN"),
    "discipline_code": ("код дисциплины", "пән коды", "discipline code"),
    "academic_year": ("учебный год", "оқу жылы", "academic year"),
    "term": ("семестр", "семестр", "term"),
    "attempt": ("попытка", "талпыныс", "attempt"),
    "points": ("баллы", "балл", "points"),
    "letter": ("буквенная оценка", "әріптік баға", "letter grade"),
    "admission_year": ("год набора", "қабылдау жылы", "admission year"),
    "programme_code": ("шифр образовательной программы", "білім беру бағдарламасының шифры",
                       "programme code"),
    "name_ru": ("название на русском", "орысша атауы", "name in Russian"),
    "name_kk": ("название на казахском", "қазақша атауы", "name in Kazakh"),
    "name_en": ("название на английском", "ағылшынша атауы", "name in English"),
    "credits": ("кредиты", "кредиттер", "credits"),
    "control_form": ("форма контроля", "бақылау түрі", "form of assessment"),
    "semester": ("семестр по плану", "жоспар бойынша семестр", "semester in the plan"),
    "kind": ("компонент", "компонент", "component"),
}
# A grade sheet's status (server/services/record/sheets.py).
SHEET_STATUS: dict[str, Words] = {
    "draft": ("черновик", "жоба", "draft"),
    "checked": ("проверена", "тексерілді", "checked"),
    "locked": ("закрыта", "жабылды", "locked"),
}
# A curriculum line's form of assessment and component (a curricula file may give the code or
# these words in any of the three languages).
CONTROL_FORM: dict[str, Words] = {
    "exam": ("экзамен", "емтихан", "exam"),
    "credit": ("зачёт", "сынақ", "pass/fail test"),
    "coursework": ("курсовая работа", "курстық жұмыс", "coursework"),
    "practice": ("практика", "практика", "practical training"),
    "attestation": ("аттестация", "аттестаттау", "attestation"),
}
CURRICULUM_KIND: dict[str, Words] = {
    "compulsory": ("обязательный", "міндетті", "compulsory"),
    "elective": ("по выбору", "таңдау бойынша", "elective"),
}

KINDS: dict[str, Mapping[str, Words]] = {
    "student_status": STUDENT_STATUS,
    "form": FORM,
    "language": LANGUAGE,
    "funding": FUNDING,
    "level": LEVEL,
    "sex": SEX,
    "case_status": CASE_STATUS,
    "outcome": OUTCOME,
    "document_status": DOCUMENT_STATUS,
    "register": REGISTER,
    "task_status": TASK_STATUS,
    "document_kind": DOCUMENT_KIND,
    "decision": DECISION,
    "yes_no": YES_NO,
    "citizenship": CITIZENSHIP,
    "order_kind": ORDER_KIND,
    "import_kind": IMPORT_KIND,
    "import_status": IMPORT_STATUS,
    "import_row": IMPORT_ROW,
    "import_field": IMPORT_FIELD,
    "sheet_status": SHEET_STATUS,
    "control_form": CONTROL_FORM,
    "curriculum_kind": CURRICULUM_KIND,
}

# A registry or form field -> the kind of its values (for tables of changes and case data).
FIELD_KINDS: dict[str, str] = {
    "status": "student_status", "form": "form", "language": "language",
    "study_language": "language", "funding": "funding", "level": "level",
    "citizenship": "citizenship", "sex": "sex", "order_kind": "order_kind",
}


def _lang(lang: str | None) -> int:
    return _INDEX.get(lang or "ru", 0)


def known(kind: str, code: Any) -> bool:
    """Whether the vocabulary has words for `code` of `kind`."""
    return _key(kind, code) in KINDS.get(kind, {})


def _key(kind: str, code: Any) -> str:
    if isinstance(code, bool):
        return "true" if code else "false"
    text = "" if code is None else str(code)
    return text.upper() if kind == "citizenship" else text


def label(kind: str, code: Any, lang: str | None = "ru") -> str:
    """The word for `code` of `kind` in `lang`; the code itself when the vocabulary lacks it,
    «—» when there is no value."""
    if code is None or code == "":
        return "—"
    words = KINDS.get(kind, {}).get(_key(kind, code))
    return words[_lang(lang)] if words else str(code)


def choices(kind: str, lang: str | None = "ru") -> list[tuple[str, str]]:
    """(code, word) of every value of `kind`, in the vocabulary's order."""
    i = _lang(lang)
    return [(code, words[i]) for code, words in KINDS[kind].items()]


def field_label(field: str, value: Any, lang: str | None = "ru") -> str:
    """A field's value in words when the field holds a code of a known kind; dates in the
    office's format; anything else as it is."""
    kind = FIELD_KINDS.get(field)
    if kind is not None:
        return label(kind, value, lang)
    if isinstance(value, bool):
        return label("yes_no", value, lang)
    return humanize(value)


def date_text(value: date | datetime | str | None) -> str:
    """A date in the office's format, dd.mm.yyyy (the same in ru, kk and en); «—» for none.
    An ISO string is parsed; text that is not a date is returned as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    parsed = _parse_iso(str(value))
    return parsed.strftime("%d.%m.%Y") if parsed else str(value)


def decimal_text(value: float | int | None, lang: str = "ru", places: int = 2) -> str:
    """A number with a fixed number of decimals: a decimal comma in Russian and Kazakh (3,67),
    a point in English (3.67); «—» for none."""
    if value is None or value == "":
        return "—"
    text = f"{float(value):.{places}f}"
    return text if lang == "en" else text.replace(".", ",")


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})"
                       r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")


def _parse_iso(text: str) -> date | None:
    match = _ISO_DATE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def humanize(value: Any) -> str:
    """Free data as people read it: ISO dates inside the text become dd.mm.yyyy."""
    if value is None:
        return "—"
    if isinstance(value, (date, datetime)):
        return date_text(value)

    def one(match: re.Match[str]) -> str:
        try:
            return date(int(match[1]), int(match[2]), int(match[3])).strftime("%d.%m.%Y")
        except ValueError:
            return match[0]

    return _ISO_DATE.sub(one, str(value))


def has_iso_date(text: str) -> bool:
    """Whether `text` shows a date in ISO form (a page walker's check)."""
    return any(_parse_iso(m[0]) for m in _ISO_DATE.finditer(text))
