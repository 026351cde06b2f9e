"""The reports' words for the registry's codes, in Russian, Kazakh and English.

Every code a report prints (form, language, funding, status, sex, citizenship, movement
categories) is turned into words here and nowhere else in the reports, so one switch moves them
to a shared vocabulary. Russian and Kazakh wordings of form, language and funding are those the
documents print (server/documents/contexts/common.py); statuses those of the registry
(server/domain/registry.py)."""

from __future__ import annotations

from collections.abc import Mapping

from server.documents.contexts.common import FORMS, FUNDING, LANGUAGES
from server.domain.registry import STUDENT_STATUSES

Words = dict[str, str]  # language -> words

_EN = {
    "form": {"full_time": "full-time", "part_time": "part-time (extramural)", "distance": "distance",
             "evening": "evening"},
    "language": {"ru": "Russian", "kk": "Kazakh", "en": "English"},
    "funding": {"grant": "state grant", "paid": "paid"},
    "status": {"active": "studying", "on_leave": "on academic leave", "expelled": "expelled",
               "graduated": "graduated", "transferred_out": "transferred to another university"},
}


def _three(pairs: Mapping[str, tuple[str, str]], en: Mapping[str, str]) -> dict[str, Words]:
    return {code: {"ru": ru, "kk": kk, "en": en.get(code, code)} for code, (ru, kk) in pairs.items()}


VOCABULARIES: dict[str, dict[str, Words]] = {
    "form": _three(FORMS, _EN["form"]),
    "language": _three(LANGUAGES, _EN["language"]),
    "funding": _three(FUNDING, _EN["funding"]),
    "status": _three(STUDENT_STATUSES, _EN["status"]),
    "sex": {"M": {"ru": "мужской", "kk": "ер", "en": "male"},
            "F": {"ru": "женский", "kk": "әйел", "en": "female"}},
    # Citizenship: Kazakhstan and the countries most students come from; any other code is
    # printed with the words «иностранное гражданство» and the code.
    "citizenship": {
        "KAZ": {"ru": "Казахстан", "kk": "Қазақстан", "en": "Kazakhstan"},
        "UZB": {"ru": "Узбекистан", "kk": "Өзбекстан", "en": "Uzbekistan"},
        "KGZ": {"ru": "Кыргызстан", "kk": "Қырғызстан", "en": "Kyrgyzstan"},
        "TJK": {"ru": "Таджикистан", "kk": "Тәжікстан", "en": "Tajikistan"},
        "TKM": {"ru": "Туркменистан", "kk": "Түрікменстан", "en": "Turkmenistan"},
        "RUS": {"ru": "Россия", "kk": "Ресей", "en": "Russia"},
        "CHN": {"ru": "Китай", "kk": "Қытай", "en": "China"},
        "MNG": {"ru": "Монголия", "kk": "Моңғолия", "en": "Mongolia"},
        "TUR": {"ru": "Турция", "kk": "Түркия", "en": "Türkiye"},
        "AFG": {"ru": "Афганистан", "kk": "Ауғанстан", "en": "Afghanistan"},
        "IND": {"ru": "Индия", "kk": "Үндістан", "en": "India"},
        "PAK": {"ru": "Пакистан", "kk": "Пәкістан", "en": "Pakistan"},
    },
}
UNKNOWN: Words = {"ru": "не указано", "kk": "көрсетілмеген", "en": "not specified"}
NO_REGISTRY_CODE: Words = {"ru": "код не присвоен", "kk": "код берілмеген", "en": "no code assigned"}


def words(vocabulary: str, code: str | None) -> Words:
    """The code in words; an empty code reads «не указано», an unknown one keeps the code."""
    if not code:
        return dict(UNKNOWN)
    found = VOCABULARIES.get(vocabulary, {}).get(code)
    if found:
        return dict(found)
    if vocabulary == "citizenship":
        return {"ru": f"иностранное гражданство ({code})", "kk": f"шетел азаматтығы ({code})",
                "en": f"foreign citizenship ({code})"}
    return {"ru": code, "kk": code, "en": code}


def pick(value: Words | str | None, lang: str) -> str:
    """One language's words (Russian when that language has none)."""
    if isinstance(value, dict):
        return value.get(lang) or value.get("ru") or ""
    return value or ""
