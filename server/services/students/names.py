"""The registry's names of programmes and faculties in each language, for the documents
(server/domain/vocabulary.py), and the programmes' names as an import or an order records them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.domain.vocabulary import Names
from server.models import Faculty, Programme


def registry_names(session: Session) -> Names:
    """Every programme's and faculty's names (a few hundred rows at most: one read per document)."""
    programmes = {p.code: {"ru": p.name_ru, "kk": p.name_kk, "en": p.name_en}
                  for p in session.scalars(select(Programme))}
    faculties = {f.code: {"ru": f.name_ru, "kk": f.name_kk, "en": f.name_en}
                 for f in session.scalars(select(Faculty))}
    return Names(programmes=programmes, faculties=faculties)


def record_programme(session: Session, code: str, name_ru: str, name_kk: str | None = None,
                     name_en: str | None = None) -> Programme:
    """Create or update the programme `code`; an empty Kazakh or English name keeps the known one."""
    programme = session.scalars(select(Programme).where(Programme.code == code)).first()
    if programme is None:
        programme = Programme(code=code, name_ru=name_ru)
        session.add(programme)
    programme.name_ru = name_ru or programme.name_ru
    programme.name_kk = name_kk or programme.name_kk
    programme.name_en = name_en or programme.name_en
    return programme
