"""Verification codes of issued documents and the public check behind /verify/<code>.

A code is ``<key id>.<token><tag>``: the id of the signing key, an unguessable token
(``secrets.token_urlsafe(16)``) and a truncated HMAC-SHA256 tag of both, so a mistyped or
forged code is rejected without a database query. The keys are their own
(``Settings.verify_keys``, ``REGOFFICE_VERIFY_KEYS``): the first signs, all check, so a key
is retired by adding a new one in front, and rotating ``SECRET_KEY`` (which signs sessions)
leaves printed codes alone. Without that setting one key ``s`` comes from ``SECRET_KEY``.

Codes printed before key ids (``<token><tag>``, the tag under ``SECRET_KEY`` itself) keep
verifying: their tag is checked against ``SECRET_KEY`` and against every configured secret,
so after a rotation the old ``SECRET_KEY`` listed as a verification key keeps them valid.

The page shows only what proves the document genuine: type, number, date, the holder's
initials and the SHA-256 of the files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from server.config import Settings
from server.models import Document
from server.services.context import AppContext

TOKEN_CHARS = 22  # secrets.token_urlsafe(16)
TAG_CHARS = 11  # 8 bytes of the HMAC, base64url without padding
QR_WIDTH_MM = 25

#: Document type names per template kind (Russian, Kazakh).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "cert_study": ("Справка с места учёбы", "Оқу орнынан анықтама"),
    "order_transfer_in": ("Приказ о зачислении в порядке перевода",
                          "Ауыстыру тәртібімен қабылдау туралы бұйрық"),
    "cert_incomplete": ("Справка лицам, не завершившим обучение",
                        "Білім беруді аяқтамаған адамдарға анықтама"),
    "duplicate": ("Дубликат документа об образовании", "Білім туралы құжаттың телнұсқасы"),
    "transcript": ("Транскрипт", "Транскрипт"),
    "cert_military": ("Справка для органа военного управления", "Әскери басқару органына анықтама"),
    "letter_refusal": ("Мотивированный отказ в оказании государственной услуги",
                       "Мемлекеттік қызмет көрсетуден дәлелді бас тарту"),
    "letter_personal_file": ("Запрос личного дела обучающегося", "Білім алушының жеке ісін сұрату"),
    "letter_military": ("Уведомление органа военного управления", "Әскери басқару органына хабарлама"),
    "letter_migration": ("Уведомление органа миграционной службы", "Көші-қон қызметі органына хабарлама"),
}


DEFAULT_KEY_ID = "s"
# [key id "."] token tag; a code without a key id is of the legacy scheme.
_CODE = re.compile(rf"(?:([A-Za-z0-9]{{1,16}})\.)?([\w-]{{{TOKEN_CHARS}}})([\w-]{{{TAG_CHARS}}})", re.ASCII)


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:8]).decode().rstrip("=")


def _derived(kid: str, secret: str) -> bytes:
    """The HMAC key of one verification key: its secret, bound to its id and to this use."""
    return hmac.new(secret.encode(), f"regoffice verification code {kid}".encode(),
                    hashlib.sha256).digest()


def verify_keys(settings: Settings) -> tuple[tuple[str, str], ...]:
    """(key id, secret) pairs, the signing one first."""
    return settings.verify_keys or ((DEFAULT_KEY_ID, settings.secret_key),)


def new_code(settings: Settings) -> str:
    kid, secret = verify_keys(settings)[0]
    token = secrets.token_urlsafe(16)
    return f"{kid}.{token}{_mac(_derived(kid, secret), f'{kid}.{token}')}"


def code_is_authentic(settings: Settings, code: str) -> bool:
    """The tag matches a current key (or, for a code without key id, the legacy scheme)."""
    match = _CODE.fullmatch(code) if isinstance(code, str) else None
    if match is None:
        return False
    kid, token, tag = match.groups()
    keys = verify_keys(settings)
    if kid is None:  # printed before key ids: HMAC(secret, token)
        secrets_ = [settings.secret_key, *(secret for _, secret in keys)]
        return any(hmac.compare_digest(tag, _mac(s.encode(), token)) for s in secrets_)
    secret = dict(keys).get(kid)
    return secret is not None and hmac.compare_digest(
        tag, _mac(_derived(kid, secret), f"{kid}.{token}"))


def verification_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/verify/{code}"


def qr_png(url: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def kind_names(kind: str) -> tuple[str, str]:
    return KIND_NAMES.get(kind, (kind, kind))


def initials(full_name: str) -> str:
    """«Иванов Пётр Сергеевич» → «И. П. С.» (hyphenated parts keep one letter each part)."""
    letters = []
    for word in str(full_name or "").split():
        for part in word.split("-"):
            if part and part[0].isalpha():
                letters.append(part[0].upper() + ".")
    return " ".join(letters)


def holder_names(context: dict[str, Any]) -> list[str]:
    """Full names of the people a document is about, from its stored render context."""
    student = context.get("student")
    if isinstance(student, dict) and student.get("full_name"):
        return [str(student["full_name"])]
    return [str(s.get("full_name")) for s in context.get("students") or []
            if isinstance(s, dict) and s.get("full_name")]


@dataclass(frozen=True)
class Verified:
    code: str
    kind: str
    name_ru: str
    name_kk: str
    number: str
    issued_at: datetime  # local time zone
    holder_initials: list[str]
    sha256: dict[str, str]  # language -> SHA-256 of the .docx
    # A later version of the same register entry was issued (the draft was returned and
    # rendered again): this one is genuine but no longer the valid text.
    superseded_at: datetime | None = None
    # language -> SHA-256 of the PDF stored at the issue (the file the case page serves)
    pdf_sha256: dict[str, str] = field(default_factory=dict)


def find(ctx: AppContext, code: str) -> Verified | None:
    """The issue behind a code, or None (unknown, or the HMAC does not match)."""
    if not code_is_authentic(ctx.settings, code):
        return None
    with ctx.db.read() as session:
        docs = list(session.scalars(select(Document).where(Document.verification_code == code)
                                    .order_by(Document.language)))
        if not docs:
            return None
        first = next((d for d in docs if d.language == "ru"), docs[0])
        name_ru, name_kk = kind_names(first.kind)
        newer = session.scalar(select(func.min(Document.created_at)).where(
            Document.register == first.register, Document.year == first.year,
            Document.seq == first.seq, Document.version > first.version)) if first.seq else None
        return Verified(
            code=code, kind=first.kind, name_ru=name_ru, name_kk=name_kk,
            number=first.number or "", issued_at=first.created_at.astimezone(ctx.tz),
            holder_initials=[initials(n) for n in holder_names(first.context or {})],
            sha256={d.language: d.sha256 for d in docs},
            superseded_at=newer.astimezone(ctx.tz) if newer else None,
            pdf_sha256={d.language: d.pdf_sha256 for d in docs if d.pdf_sha256},
        )


def compare_file(found: Verified, content: bytes) -> str | None:
    """The language whose stored .docx or PDF has the same SHA-256 as ``content``, or None."""
    digest = hashlib.sha256(content).hexdigest()
    for hashes in (found.sha256, found.pdf_sha256):
        for lang, stored in hashes.items():
            if hmac.compare_digest(digest, stored):
                return lang
    return None
