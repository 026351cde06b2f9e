"""E-mail notifications, sent by outbox jobs: a new task for its candidates (or assignee),
an escalation to the role it goes to, and messages a model sends with `notify/send`.

Off unless SMTP_HOST is set; then every new task writes a `notify/task` job in the step's
transaction, and a failed send is retried like any job.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.roles import FACULTY_SCOPED_ROLES, ROLES
from server.models import Case, HumanTask, OutboxJob, Student, User, UserRole
from server.services.context import AppContext


def mail_enabled(ctx: AppContext) -> bool:
    return bool(ctx.settings.smtp_host)


def _role_emails(session: Session, roles: list[str], faculty_id: int | None) -> list[str]:
    emails: list[str] = []
    for role in roles:
        stmt = (select(User.email).join(UserRole).where(
            UserRole.role == role, User.active.is_(True), User.email.is_not(None)))
        if role in FACULTY_SCOPED_ROLES:
            stmt = stmt.where(User.faculty_id == faculty_id)
        emails += [e for e in session.scalars(stmt) if e]
    return sorted(set(emails))


def _student_emails(session: Session, case: Case | None) -> list[str]:
    student = session.get(Student, case.student_id) if case and case.student_id else None
    return [student.email] if student is not None and student.email else []


def _message(ctx: AppContext, to: list[str], subject: str, lines: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = ctx.settings.smtp_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content("\n".join([*lines, "", "— regoffice, Офис регистратора"]))
    return msg


def _due(ctx: AppContext, task: HumanTask) -> str:
    if task.due_at is None:
        return "не установлен"
    return task.due_at.astimezone(ctx.tz).strftime("%d.%m.%Y %H:%M")


def compose(ctx: AppContext, session: Session, job: OutboxJob) -> EmailMessage | None:
    """The message a notification job sends, or None when nobody is to receive it."""
    case = session.get(Case, job.case_id) if job.case_id else None
    subject_name = case.subject_name if case and case.subject_name else "—"
    if job.kind == "notify/task":
        task = session.get(HumanTask, job.payload.get("task_id"))
        if task is None or task.status != "open":
            return None
        if task.assignee_id:
            user = session.get(User, task.assignee_id)
            to = [user.email] if user and user.email and user.active else []
        else:
            roles = (task.candidate_roles or "").split(",") if task.candidate_roles else []
            to = _role_emails(session, roles, task.faculty_id)
        return _message(ctx, to, f"Новая задача: {task.name} (дело № {task.case_id})", [
            f"Задача: {task.name}", f"Дело: № {task.case_id} ({task.process_id})",
            f"Заявитель: {subject_name}", f"Срок: {_due(ctx, task)}"]) if to else None
    role = str(job.payload.get("to_role") or "")
    if role == "applicant":  # a reminder to the student the case is about (procedure 8, …)
        to = _student_emails(session, case)
    else:
        to = _role_emails(session, [role], case.faculty_id if case else None) if role in ROLES else []
    if not to:
        return None
    if job.kind == "notify/report":
        period = str(job.payload.get("period") or "")
        return _message(ctx, to, str(job.payload.get("message") or f"Отчёт за {period}"), [
            str(job.payload.get("message") or ""),
            f"Отчёт сохранён (№ {job.payload.get('snapshot_id')}) и доступен в разделе отчётов: "
            f"/api/v1/reports/public-services?month={period} (XLSX: &format=xlsx, DOCX: &format=docx)."])
    if job.kind == "notify/escalation":
        return _message(ctx, to, f"Эскалация: просрочен этап дела № {job.case_id}", [
            f"Этап: {job.payload.get('element')}", f"Заявитель: {subject_name}",
            "Срок этапа истёк: примите меры."])
    text = str(job.payload.get("message") or "Уведомление по делу")
    return _message(ctx, to, f"Дело № {job.case_id}: {text[:80]}", [text, f"Заявитель: {subject_name}"])


def send_for_job(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    if not mail_enabled(ctx):
        return
    msg = compose(ctx, session, job)
    if msg is None:
        return
    with smtplib.SMTP(ctx.settings.smtp_host or "", ctx.settings.smtp_port, timeout=20) as smtp:
        smtp.send_message(msg)
