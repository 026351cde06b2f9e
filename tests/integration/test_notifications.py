"""E-mail notifications through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest

from server.auth import Actor
from server.jobs.inprocess import drain
from server.services.procedures import deployments
from tests.integration.api import complete
from tests.integration.test_transfer_in import ALL_DOCS, _start

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    import socket

    with socket.socket() as probe:  # a free loopback port (the controller checks it connects)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mail_ctx(ctx, smtp, people):
    from server.models import User

    controller, _ = smtp
    ctx.settings = replace(ctx.settings, smtp_host="127.0.0.1", smtp_port=controller.port)
    with ctx.db.unit_of_work() as s:
        for user in s.query(User).all():
            user.email = f"{user.username}@university.example"
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return ctx


def _subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def test_new_tasks_mail_their_candidates_only(client, mail_ctx, people, smtp):
    _, inbox = smtp
    cid = _start(client, people)["id"]
    drain(mail_ctx)
    assert len(inbox.messages) == 1
    to, msg = inbox.messages[0]
    assert sorted(to) == ["registrar2@university.example", "registrar@university.example"]
    assert _subject(msg).startswith("Новая задача: Проверка комплектности документов")
    assert f"№ {cid}" in _subject(msg)
    assert "Иванов Пётр Сергеевич" in msg.get_content()

    complete(client, people, "registrar", cid, "check_documents", ALL_DOCS)
    drain(mail_ctx)
    to, msg = inbox.messages[-1]
    assert to == ["dean_it@university.example"]  # the dean of the applicant's faculty only
    assert drain(mail_ctx) == 0 and len(inbox.messages) == 2  # each task mailed once


def test_mail_off_by_default_writes_no_jobs(client, ctx, people):
    from sqlalchemy import func, select

    from server.models import OutboxJob

    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    _start(client, people)
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxJob)) == 0


def test_mails_name_procedures_and_steps_in_russian_and_kazakh(client, mail_ctx, people, smtp):
    """A new task's and an escalation's mail say the procedure's and the step's names (not their
    codes), dates as dd.mm.yyyy, in Russian and then in Kazakh."""
    from server.domain.labels import has_iso_date
    from server.models import OutboxJob
    from server.services.background.notifications import compose

    _, inbox = smtp
    cid = _start(client, people)["id"]
    drain(mail_ctx)
    body = inbox.messages[0][1].get_content()
    assert "Перевод из другой организации высшего образования" in body and "transfer_in" not in body
    assert "Жаңа тапсырма:" in body and "Мерзімі:" in body and not has_iso_date(body)
    with mail_ctx.db.read() as session:
        msg = compose(mail_ctx, session, OutboxJob(
            kind="notify/escalation", case_id=cid, idempotency_key="t",
            payload={"to_role": "registrar_head", "element": "check_documents"}))
    assert msg is not None
    text = msg.get_content()
    assert "Этап: Проверка комплектности документов" in text and "check_documents" not in text
    assert "Кезең:" in text and "Кезеңнің мерзімі өтті" in text
