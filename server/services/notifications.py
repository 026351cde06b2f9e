"""E-mail notifications, sent by jobs. Off unless SMTP_HOST is configured."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Case, OutboxJob, User, UserRole
from server.services.context import AppContext


def send_for_job(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    host = os.environ.get("SMTP_HOST")
    if not host:
        job.last_error = None
        return
    role = job.payload.get("to_role")
    case = session.get(Case, job.case_id) if job.case_id else None
    recipients = list(session.scalars(
        select(User.email).join(UserRole).where(UserRole.role == role, User.active,
                                                User.email.is_not(None))))
    if not recipients:
        return
    msg = EmailMessage()
    msg["From"] = os.environ.get("SMTP_FROM", "regoffice@localhost")
    msg["To"] = ", ".join(recipients)
    subject = f"Дело №{case.id}: требуется внимание" if case else "regoffice"
    msg["Subject"] = subject
    msg.set_content(f"{subject}\nЭтап: {job.payload.get('element')}\n"
                    f"Заявитель: {case.subject_name if case else ''}")
    with smtplib.SMTP(host, int(os.environ.get("SMTP_PORT", "25")), timeout=20) as smtp:
        smtp.send_message(msg)
    del ctx
