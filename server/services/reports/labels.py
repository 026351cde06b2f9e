"""The reports' words for the registry's codes, in Russian, Kazakh and English.

Every code a report prints (form, language, funding, status, sex, citizenship) is turned into
words here and nowhere else in the reports, through the shared vocabulary
(server/domain/labels.py), with the reports' own fallbacks: an empty code reads «не указано», a
citizenship the vocabulary lacks «иностранное гражданство (XXX)»."""

from __future__ import annotations

from server.domain import labels

Words = dict[str, str]  # language -> words

# the reports' vocabulary name -> the shared vocabulary's kind (server/domain/labels.py)
KINDS = {"form": "form", "language": "language", "funding": "funding", "status": "student_status",
         "sex": "sex", "citizenship": "citizenship", "level": "level"}
_SEX = {"M": "male", "F": "female"}


UNKNOWN: Words = {"ru": "не указано", "kk": "көрсетілмеген", "en": "not specified"}
NO_REGISTRY_CODE: Words = {"ru": "код не присвоен", "kk": "код берілмеген", "en": "no code assigned"}


def words(vocabulary: str, code: str | None) -> Words:
    """The code in words; an empty code reads «не указано», an unknown one keeps the code."""
    if not code:
        return dict(UNKNOWN)
    kind = KINDS.get(vocabulary)
    key = _SEX.get(code, code) if vocabulary == "sex" else code
    if kind is not None and labels.known(kind, key):
        return {lang: labels.label(kind, key, lang) for lang in labels.LANGS}
    if vocabulary == "citizenship":
        return {"ru": f"иностранное гражданство ({code})", "kk": f"шетел азаматтығы ({code})",
                "en": f"foreign citizenship ({code})"}
    return {"ru": code, "kk": code, "en": code}


def pick(value: Words | str | None, lang: str) -> str:
    """One language's words (Russian when that language has none)."""
    if isinstance(value, dict):
        return value.get(lang) or value.get("ru") or ""
    return value or ""
