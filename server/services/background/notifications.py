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
from server.domain.labels import humanize
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


def _message(ctx: AppContext, to: list[str], subject: str, lines: list[str],
             lines_kk: list[str] | None = None) -> EmailMessage:
    """A message in Russian and, below it, in Kazakh (the staff's two working languages; a
    person's address book says nothing of their language)."""
    msg = EmailMessage()
    msg["From"] = ctx.settings.smtp_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    body = [*lines]
    if lines_kk:
        body += ["", "* * *", "", *lines_kk]
    msg.set_content("\n".join([*body, "", "— regoffice, Офис регистратора / Тіркеуші кеңсесі"]))
    return msg


def _due(ctx: AppContext, task: HumanTask, lang: str = "ru") -> str:
    if task.due_at is None:
        return "белгіленбеген" if lang == "kk" else "не установлен"
    return task.due_at.astimezone(ctx.tz).strftime("%d.%m.%Y %H:%M")


def _procedure(ctx: AppContext, process_id: str | None, lang: str) -> str:
    """The procedure's name in the catalog's words (its code only for a model outside it)."""
    if not process_id:
        return "—"
    service = ctx.catalog.services.get(process_id)
    return service.name(lang) if service is not None else process_id


def _title_kk(ctx: AppContext, form_key: str | None, name: str) -> str:
    """A step's name in Kazakh: its form's `x-title-kk`, else the model's (Russian) name."""
    if form_key and not form_key.startswith("camunda:"):
        try:
            schema, _validator = ctx.forms.load(form_key)
        except (OSError, ValueError):
            return name
        return str(schema.get("x-title-kk") or name)
    return name


def _step(ctx: AppContext, session: Session, case_id: int | None, element: str) -> tuple[str, str]:
    """The name (ru, kk) of the step `element` of a case, as its task was called; the
    element's id only when the step never was a task."""
    task = session.scalars(select(HumanTask).where(
        HumanTask.case_id == case_id, HumanTask.spec_name == element)
        .order_by(HumanTask.created_at.desc()).limit(1)).first() if case_id and element else None
    if task is None:
        return element or "—", element or "—"
    return task.name, _title_kk(ctx, task.form_key, task.name)


def compose(ctx: AppContext, session: Session, job: OutboxJob) -> EmailMessage | None:
    """The message a notification job sends, or None when nobody is to receive it. Procedures
    and steps by their names, dates as dd.mm.yyyy, in Russian and Kazakh."""
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
        name_kk = _title_kk(ctx, task.form_key, task.name)
        return _message(ctx, to, f"Новая задача: {task.name} (дело № {task.case_id})", [
            f"Задача: {task.name}",
            f"Дело: № {task.case_id} ({_procedure(ctx, task.process_id, 'ru')})",
            f"Заявитель: {subject_name}", f"Срок: {_due(ctx, task)}"], [
            f"Жаңа тапсырма: {name_kk}",
            f"Іс: № {task.case_id} ({_procedure(ctx, task.process_id, 'kk')})",
            f"Өтініш беруші: {subject_name}", f"Мерзімі: {_due(ctx, task, 'kk')}"]) if to else None
    role = str(job.payload.get("to_role") or "")
    if role == "applicant":  # a reminder to the student the case is about (procedure 8, …)
        to = _student_emails(session, case)
    else:
        to = _role_emails(session, [role], case.faculty_id if case else None) if role in ROLES else []
    if not to:
        return None
    if job.kind == "notify/report":
        period = str(job.payload.get("period") or "")
        message = humanize(job.payload.get("message") or "")
        return _message(ctx, to, message or f"Отчёт за {period}", [
            message,
            f"Отчёт сохранён (№ {job.payload.get('snapshot_id')}) и доступен в разделе отчётов: "
            f"/api/v1/reports/public-services?month={period} (XLSX: &format=xlsx, DOCX: &format=docx)."], [
            f"Есеп сақталды (№ {job.payload.get('snapshot_id')}), ол есептер бөлімінде: "
            f"/api/v1/reports/public-services?month={period}."])
    if job.kind == "notify/escalation":
        step_ru, step_kk = _step(ctx, session, job.case_id, str(job.payload.get("element") or ""))
        process_id = case.process_id if case else None
        return _message(ctx, to, f"Эскалация: просрочен этап дела № {job.case_id}", [
            f"Этап: {step_ru}", f"Дело: № {job.case_id} ({_procedure(ctx, process_id, 'ru')})",
            f"Заявитель: {subject_name}", "Срок этапа истёк: примите меры."], [
            f"Кезең: {step_kk}", f"Іс: № {job.case_id} ({_procedure(ctx, process_id, 'kk')})",
            f"Өтініш беруші: {subject_name}", "Кезеңнің мерзімі өтті: шара қолданыңыз."])
    text = humanize(job.payload.get("message") or "Уведомление по делу")
    # a model may word its message in Kazakh too (`message_kk`)
    text_kk = humanize(job.payload.get("message_kk") or "")
    return _message(ctx, to, f"Дело № {job.case_id}: {text[:80]}", [text, f"Заявитель: {subject_name}"],
                    [text_kk, f"Өтініш беруші: {subject_name}"] if text_kk else None)


def send_for_job(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    if not mail_enabled(ctx):
        return
    msg = compose(ctx, session, job)
    if msg is None:
        return
    with smtplib.SMTP(ctx.settings.smtp_host or "", ctx.settings.smtp_port, timeout=20) as smtp:
        smtp.send_message(msg)
