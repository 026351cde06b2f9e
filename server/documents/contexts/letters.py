"""Outgoing letters (register «letters», numbers «12-п»): the reasoned refusal of a public
service, the request for a transferred student's personal file, the notice to the military
office after enrolment or expulsion orders and the migration-service notice of a foreign
student's arrival or departure.

Every value a Kazakh letter prints has its Kazakh form: a value known only in Russian (a
university's name, an office's name) raises :class:`LetterDataMissing` naming the field
instead of printing Russian into the Kazakh letter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from server.documents.contexts.common import builder, ddmmyyyy
from server.documents.kazakh import decline_full_name_kk, decline_phrase_kk
from server.documents.render import decline_full_name
from server.domain.iin import InvalidIIN, iin_sex
from server.domain.military import military_liable

__all__ = ["LetterDataMissing", "military_liable"]


class LetterDataMissing(ValueError):
    """A value the letter must print is missing (in Kazakh or at all): `field` names it."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"letter: no value for '{field}' (a Kazakh letter prints no Russian)")


def _required(source: dict[str, Any], key: str, label: str | None = None) -> str:
    value = str(source.get(key) or "").strip()
    if not value:
        raise LetterDataMissing(label or key)
    return value


def _full_name(person: dict[str, Any]) -> str:
    return str(person.get("full_name") or " ".join(
        p for p in (person.get("last_name"), person.get("first_name"), person.get("middle_name")) if p))


def _sex(person: dict[str, Any]) -> str | None:
    """The record's sex, else the one the ИИН encodes (an application carries only the ИИН)."""
    try:
        return person.get("sex") or iin_sex(str(person.get("iin") or ""))
    except InvalidIIN:
        return None


def _letter(uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """What every letter shares: heading, number and date, the signatory and the QR link."""
    signatory = uni.get("letter_signatory") or uni["signatory"]
    return {"university": uni, "number": number, "date": today.strftime("%d.%m.%Y"),
            "signatory": {"title_ru": signatory["title_ru"], "title_kk": signatory["title_kk"],
                          "name": signatory["name"]},
            "verification_url": ""}


def _student(person: dict[str, Any]) -> dict[str, Any]:
    """A student line of a letter: what identifies the person (names, ИИН, course, group);
    no programme name, which the registry does not yet hold in Kazakh."""
    return {"full_name": _full_name(person), "iin": str(person.get("iin") or ""),
            "latin_name": str(person.get("latin_name") or "—"),
            "citizenship": str(person.get("citizenship") or "KAZ"),
            "year": person.get("year") or "", "group": person.get("group") or "—"}


# ----------------------------------------------------------------------------- refusal

# [assumed] the appeal procedure of the Law on public services (art. 25) and the Administrative
# procedural code; a university may set refusal_appeal_ru / _kk in config/university.yaml.
APPEAL_RU = (
    "Настоящее решение может быть обжаловано в порядке, установленном статьёй 25 Закона Республики "
    "Казахстан «О государственных услугах» и Административным процедурно-процессуальным кодексом "
    "Республики Казахстан: жалоба подаётся в течение трёх месяцев со дня получения настоящего ответа "
    "на имя руководителя университета (услугодателя) либо в уполномоченный орган по оценке и "
    "контролю за качеством оказания государственных услуг. Жалоба рассматривается руководителем "
    "услугодателя в течение пяти рабочих дней, уполномоченным органом — в течение пятнадцати рабочих "
    "дней со дня её регистрации. После досудебного обжалования решение может быть обжаловано в суде.")
APPEAL_KK = (
    "Бұл шешімге «Мемлекеттік көрсетілетін қызметтер туралы» Қазақстан Республикасы Заңының "
    "25-бабында және Қазақстан Республикасының Әкімшілік рәсімдік-процестік кодексінде белгіленген "
    "тәртіппен шағым жасалуы мүмкін: шағым осы жауапты алған күннен бастап үш ай ішінде университет "
    "(көрсетілетін қызметті беруші) басшысының атына не мемлекеттік қызметтер көрсету сапасын "
    "бағалау және бақылау жөніндегі уәкілетті органға беріледі. Шағымды көрсетілетін қызметті "
    "берушінің басшысы бес жұмыс күні ішінде, уәкілетті орган тіркелген күнінен бастап он бес жұмыс "
    "күні ішінде қарайды. Сотқа дейінгі шағымданудан кейін шешімге сотқа шағым жасауға болады.")

# [assumed] the rules each public service is rendered under (the legal reference of a refusal);
# a university may override them per service in config/university.yaml (refusal_legal_basis).
RULES_19 = ("Правила перевода и восстановления обучающихся по типам организаций образования, "
            "утверждённые приказом Министра образования и науки Республики Казахстан от 20 января "
            "2015 года № 19",
            "Қазақстан Республикасы Білім және ғылым министрінің 2015 жылғы 20 қаңтардағы № 19 "
            "бұйрығымен бекітілген Білім беру ұйымдарының түрлері бойынша білім алушыларды ауыстыру "
            "және қайта қабылдау қағидалары")
RULES_595 = ("Типовые правила деятельности организаций высшего и (или) послевузовского образования, "
             "утверждённые приказом Министра образования и науки Республики Казахстан от 30 октября "
             "2018 года № 595",
             "Қазақстан Республикасы Білім және ғылым министрінің 2018 жылғы 30 қазандағы № 595 "
             "бұйрығымен бекітілген Жоғары және (немесе) жоғары оқу орнынан кейінгі білім беру "
             "ұйымдары қызметінің үлгілік қағидалары")
LEGAL_BASIS: dict[str, tuple[str, str]] = {
    "transfer_in": RULES_19, "transfer_internal": RULES_19, "reinstatement": RULES_19,
    "academic_leave": (
        "Правила предоставления академических отпусков обучающимся в организациях образования, "
        "утверждённые приказом Министра образования и науки Республики Казахстан от 4 декабря "
        "2014 года № 506",
        "Қазақстан Республикасы Білім және ғылым министрінің 2014 жылғы 4 желтоқсандағы № 506 "
        "бұйрығымен бекітілген Білім беру ұйымдарында білім алушыларға академиялық демалыс беру "
        "қағидалары"),
    "cert_incomplete": RULES_595, "duplicate": RULES_595,
}
# Where the free explanation of an «other» ground is written, by who refused.
_COMMENTS = {"registrar": ("check_comment", "registrar_comment", "archive_comment"),
             "dean": ("dean_comment",), "vice_rector": ("vr_comment",),
             "accountant": ("accounting_comment",)}


def _applicant(data: dict[str, Any]) -> dict[str, Any]:
    """The person a letter is about: the registered student, else the application's applicant
    (a model may keep a partial `applicant` next to `student`)."""
    for key in ("student", "applicant"):
        person = data.get(key)
        if isinstance(person, dict) and person.get("iin"):
            return person
    return {}


@builder("letter_refusal")
def letter_refusal(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Reasoned refusal of a public service. `data` is the case's final data with `refusal`
    added by the issuing service: {service: {code, name_ru, name_kk}, ground: {code, ru, kk},
    received_at}. The ground is printed in words from the catalog; for an «other» ground the
    refusing step's explanation replaces it (in the Kazakh letter only `refusal_comment_kk`, an
    explanation written in Kazakh: otherwise the catalog's Kazakh text stays)."""
    refusal = data["refusal"]
    person = _applicant(data)
    ground = refusal["ground"]
    ground_ru, ground_kk = ground["ru"], ground["kk"]
    if ground["code"] == "other":
        # the refusing step's explanation; in Kazakh only when it was given in Kazakh
        keys = (*_COMMENTS.get(str(data.get("refused_by") or ""), ()), "refusal_comment")
        ground_ru = next((str(data[k]).strip() for k in keys if str(data.get(k) or "").strip()), ground_ru)
        ground_kk = str(data.get("refusal_comment_kk") or "").strip() or ground_kk
    code = refusal["service"]["code"]
    override = (uni.get("refusal_legal_basis") or {}).get(code) or {}
    legal = LEGAL_BASIS.get(code, RULES_595)
    sex = _sex(person)
    return {
        **_letter(uni, number, today),
        "applicant": {"full_name": _full_name(person), "iin": str(person.get("iin") or ""),
                      "full_name_dat": decline_full_name(person.get("last_name", ""),
                                                         person.get("first_name", ""),
                                                         person.get("middle_name") or None,
                                                         "dative", sex),
                      "full_name_dat_kk": decline_full_name_kk(person.get("last_name", ""),
                                                               person.get("first_name", ""),
                                                               person.get("middle_name"), "dative")},
        "service": {"name_ru": refusal["service"]["name_ru"], "name_kk": refusal["service"]["name_kk"]},
        "received": ddmmyyyy(refusal.get("received_at")),
        "ground": {"ru": ground_ru.rstrip("."), "kk": ground_kk.rstrip(".")},
        "legal_basis_ru": override.get("ru") or legal[0],
        "legal_basis_kk": override.get("kk") or legal[1],
        "appeal_ru": uni.get("refusal_appeal_ru") or APPEAL_RU,
        "appeal_kk": uni.get("refusal_appeal_kk") or APPEAL_KK,
    }


# ----------------------------------------------------------------------------- personal file

_ENROLLED_RU = {"M": "зачислен", "F": "зачислена"}


@builder("letter_personal_file")
def letter_personal_file(data: dict[str, Any], uni: dict[str, Any], number: str,
                         today: date) -> dict[str, Any]:
    """Request for the personal file of a student enrolled by transfer (procedure 1), addressed
    to the sending university's rector: the student, the enrolment order, the request."""
    person = _applicant(data)
    order = data.get("order") or {}
    student = _student({**person, "year": data.get("enrol_year") or person.get("year")})
    university_kk = _required(person, "sending_university_kk")
    return {
        **_letter(uni, number, today),
        "sending_university_ru": _required(person, "sending_university"),
        "sending_university_kk": university_kk,
        # «… университетінің ректорына»: the name in the genitive before «ректорына»
        "sending_university_kk_gen": decline_phrase_kk(university_kk, "genitive"),
        "student": student,
        "enrolled_ru": _ENROLLED_RU.get(str(_sex(person) or ""), "зачислен(а)"),
        "legal_basis_ru": uni["legal_basis_ru"], "legal_basis_kk": uni["legal_basis_kk"],
        "order": {"number": _required(order, "number", "order.number"),
                  "date": ddmmyyyy(data.get("signed_date")) or today.strftime("%d.%m.%Y")},
    }


# ----------------------------------------------------------------------------- military office

# event -> («приказом … зачислены следующие …», «… білім алушылардың оқуға қабылданғанын хабарлайды»)
EVENTS = {"enrolment": ("зачислены", "оқуға қабылданғанын"),
          "expulsion": ("отчислены", "оқудан шығарылғанын"),
          # an order on reinstatement enrols the former student again
          "reinstatement": ("восстановлены в число обучающихся",
                            "білім алушылар қатарына қайта қабылданғанын")}


@builder("letter_military")
def letter_military(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Notice to the military office (procedure 14): the conscription-age male citizens of an
    enrolment or expulsion order. `data["letter"]` = {event, order: {number, date}, students}
    (the issuing operator keeps only the students `military_liable` on the order's date)."""
    letter = data["letter"]
    event_ru, event_kk = EVENTS[letter["event"]]
    order = letter.get("order") or {}
    return {
        **_letter(uni, number, today),
        "office_ru": _required(uni, "military_office_ru"),
        "office_kk": _required(uni, "military_office_kk"),
        "event_ru": event_ru, "event_kk": event_kk,
        "order": {"number": _required(order, "number", "order.number"),
                  "date": ddmmyyyy(order.get("date")) or today.strftime("%d.%m.%Y")},
        "students": [_student(p) for p in letter["students"]],
    }


# ----------------------------------------------------------------------------- migration service

# deregistration_reason -> (ru, kk) in the notice of departure
DEPARTURE_REASONS = {
    "expulsion": ("отчисление", "оқудан шығару"),
    "academic_leave": ("академический отпуск", "академиялық демалыс"),
    "graduation": ("окончание обучения", "оқуды аяқтау"),
    "transfer": ("перевод в другую организацию образования", "басқа білім беру ұйымына ауысу"),
}


@builder("letter_migration")
def letter_migration(data: dict[str, Any], uni: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """Notice to the migration service of a foreign student's arrival or departure (procedure
    9): the university as host party, the student, the date and (departure) the reason."""
    person = _applicant(data)
    arrival = data.get("registration_kind", "arrival") == "arrival"
    reason = str(data.get("deregistration_reason") or "")
    if not arrival and reason not in DEPARTURE_REASONS:
        raise LetterDataMissing("deregistration_reason")
    reason_ru, reason_kk = DEPARTURE_REASONS.get(reason, ("", ""))
    order = str(data.get("order_number") or "")
    return {
        **_letter(uni, number, today),
        "office_ru": _required(uni, "migration_service_ru"),
        "office_kk": _required(uni, "migration_service_kk"),
        "arrival": arrival,
        "event_date": ddmmyyyy(data.get("arrival_date") if arrival else data.get("departure_date")),
        "reason_ru": reason_ru, "reason_kk": reason_kk, "order_number": order,
        "student": _student(person),
    }
