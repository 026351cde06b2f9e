"""Every Kazakh document, issued for real cases of every procedure, is Kazakh: no word of a
list of Russian-only words appears in it.

Each case below is a procedure's end-to-end test (the same API calls, the same data, the real
engine, database and templates) run again here; then every Kazakh document the case issued is
read (paragraphs and table cells) and searched for the Russian-only words."""

from __future__ import annotations

import importlib
import inspect
import io
import re
from typing import Any

import docx
import pytest
from sqlalchemy import select

from server.models import Document

# Cyrillic words that are Russian and never Kazakh: function words, and the Russian forms of
# the terms a document prints (a Kazakh text writes «университеті», «факультеті», «бойынша»,
# never «университета», «факультета», «по»). Words the two languages share are left out:
# «факультет», «университет», «ректор», «декан», «курс», «грант», «бакалавр», «экономика»,
# «инженерия», and names («Дана»).
_RUSSIAN_ONLY_WORDS = """
в во и или на по для из от до при об за без под над через что как не ни так уже
предоставления предъявления месту требования выдана выдан справка приказ приказом
очная заочная очно-заочная дистанционная вечерняя платная платной бюджет русский казахский английский
обучающийся обучающемуся обучающейся обучающихся обучающимся студенту студента
факультета факультете университета университете имени национальный государственный
информационные информационных технологии технологий системы систем программная
образовательная образовательной программы программа экономики бизнеса финансы
отчислен отчислена отчислить переводом перевод связи основание основании заявление личное
организации организация образования высшего другой другого академическая академической
задолженность дисциплинам дисциплины органа управления обороны района города года
утверждёнными утвержденными правилами министра республики казахстан согласно
квалификация степень область области коммуникационных базы данных алгоритмы структуры
"""
RUSSIAN_ONLY = frozenset(_RUSSIAN_ONLY_WORDS.split())

_WORD = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+(?:-[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+)*")


# The orders' letterhead is bilingual in both versions, as the university's letterhead is.
LETTERHEAD = "БҰЙРЫҚ / ПРИКАЗ"


def russian_only_words(text: str) -> list[str]:
    """The Russian-only words of `text`, in order. A capital letter with a full stop is an
    initial («С. Ахметов»), not the preposition «с»."""
    found = []
    text = text.replace(LETTERHEAD, "")
    for match in _WORD.finditer(text):
        word = match.group(0)
        if len(word) == 1 and (word.isupper() or text[match.end():match.end() + 1] == "."):
            continue
        if word.lower() in RUSSIAN_ONLY:
            found.append(word)
    return found


def test_the_word_list_finds_russian_and_spares_kazakh():
    assert russian_only_words("Анықтама для предоставления в военкомат ұсыну үшін берілді") == [
        "для", "предоставления", "в"]
    assert russian_only_words("Оқу нысаны: очная; Оқу негізі: платная") == ["очная", "платная"]
    kazakh = ("Осы анықтама Ақпараттық технологиялар факультетінің білім алушысы екендігі туралы "
              "берілді. Тіркеуші кеңсесінің басшысы С. Ахметов. Экономика және бизнес факультеті, "
              "2-курс, грант, В. Ли")
    assert russian_only_words(kazakh) == []


def _kazakh_texts(ctx: Any) -> dict[str, list[str]]:
    """template -> the text of each Kazakh document issued so far."""
    texts: dict[str, list[str]] = {}
    with ctx.db.read() as session:
        for kind, content in session.execute(select(Document.kind, Document.content)
                                             .where(Document.language == "kk")):
            document = docx.Document(io.BytesIO(content))
            cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
            texts.setdefault(kind, []).append("\n".join([p.text for p in document.paragraphs] + cells))
    return texts


# (test module, its end-to-end test, the module's fixture, extra arguments, Kazakh templates issued)
CASES = [
    pytest.param("test_cert_study", "test_cert_study_issued_end_to_end", "env", {}, {"cert_study"},
                 id="cert_study"),
    pytest.param("test_cert_incomplete", "test_paid_student_certificate_issued_end_to_end", "env", {},
                 {"cert_incomplete"}, id="cert_incomplete"),
    pytest.param("test_military", "test_certificate_for_the_military_office", "env", {}, {"cert_military"},
                 id="cert_military"),
    pytest.param("test_duplicate", "test_duplicate_issued_end_to_end", "deployed", {}, {"duplicate"},
                 id="duplicate"),
    pytest.param("test_academic_leave", "test_academic_leave_granted_end_to_end", "env", {},
                 {"order_academic_leave"}, id="order_academic_leave"),
    pytest.param("test_reinstatement", "test_reinstatement_approved_end_to_end", "deployed", {},
                 {"order_reinstatement"}, id="order_reinstatement"),
    pytest.param("test_expulsion", "test_foreign_student_expelled_and_deregistration_opened", "env", {},
                 {"order_expulsion"}, id="order_expulsion"),
    pytest.param("test_transfer_in", "test_transfer_in_approved_end_to_end", "deployed", {},
                 {"order_transfer_in"}, id="order_transfer_in"),
    pytest.param("test_transfer_out", "test_transfer_out_end_to_end", "env", {}, {"order_transfer_out"},
                 id="order_transfer_out"),
    pytest.param("test_transfer_internal", "test_transfer_internal_paid_after_grant_lost", "env", {},
                 {"order_transfer_internal"}, id="order_transfer_internal"),
    pytest.param("test_mobility", "test_mobility_sent_and_recredited", "env", {},
                 {"order_mobility", "order_mobility_recredit"}, id="order_mobility"),
    pytest.param("test_contingent_order", "test_list_of_students_approved_once_into_one_order", "env",
                 {"fmt": "csv", "kind": "promotion"}, {"order_contingent"}, id="order_contingent"),
    pytest.param("test_batch_transfers", "test_waiting_transfers_collected_into_one_signed_order",
                 "deployed", {}, {"order_contingent"}, id="order_contingent_transfers"),
    pytest.param("test_vacant_grant", "test_ranking_commission_and_order", "env", {},
                 {"order_vacant_grant"}, id="order_vacant_grant"),
]


@pytest.mark.parametrize(("module", "test", "fixture", "extra", "templates"), CASES)
def test_kazakh_documents_print_no_russian_word(request, ctx, people, module, test, fixture, extra,
                                                templates):
    source = importlib.import_module(f"tests.integration.{module}")
    given = {"ctx": ctx, fixture: getattr(source, fixture).__wrapped__(ctx, people), **extra}
    run = getattr(source, test)
    run(**{name: given[name] if name in given else request.getfixturevalue(name)
           for name in inspect.signature(run).parameters})
    texts = _kazakh_texts(ctx)
    assert templates <= set(texts), f"issued {sorted(texts)}, expected {sorted(templates)}"
    russian = {template: sorted({w for text in texts[template] for w in russian_only_words(text)})
               for template in sorted(templates)}
    assert not any(russian.values()), f"Russian words in Kazakh documents: {russian}"
