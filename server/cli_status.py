"""Human-readable `regoffice status` (Russian labels, local time)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from server.services.background.operations import OpsStatus

STATUS_LABELS = {"pending": "ожидают", "sent": "отправлены исполнителю", "running": "выполняются",
                 "done": "выполнены", "failed": "с ошибкой", "skipped": "пропущены"}


def _local(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S") if at else "—"


def render_status(st: OpsStatus, tz: ZoneInfo) -> str:
    lines = [f"Состояние фоновой работы на {_local(st.at, tz)}",
             f"Очередь заданий: {st.queue_depth}"]
    by_status = ", ".join(f"{STATUS_LABELS.get(k, k)}: {v}" for k, v in sorted(st.jobs.items()))
    lines.append(f"Задания по состояниям: {by_status or 'нет заданий'}")
    if st.oldest_pending:
        o = st.oldest_pending
        case = f", дело {o.case_id}" if o.case_id else ""
        lines.append(f"Самое давнее ожидающее: №{o.job_id} {o.kind}{case}, ждёт {o.age_seconds:.0f} с")
    else:
        lines.append("Самое давнее ожидающее: нет")
    lines.append(f"Ближайшие таймеры: {len(st.timers) or 'нет'}")
    lines += [f"  дело {t.case_id}, {t.element}: {_local(t.due_at, tz)}" for t in st.timers]
    lines.append(f"Инциденты: {len(st.incidents)}")
    for i in st.incidents:
        case = f"дело {i.case_id}" if i.case_id else "без дела"
        lines.append(f"  №{i.job_id} {i.kind}, {case}, попыток {i.attempts}, {_local(i.at, tz)}: "
                     f"{i.last_error or '—'}")
    if st.incidents:
        lines.append("  Повторить: regoffice incidents retry ID; пропустить: "
                     "regoffice incidents skip ID --reason «…»")
    state = "в порядке" if st.worker_ok else "ВНИМАНИЕ"
    lines.append(f"Фоновый исполнитель: {state} — {st.worker_message}")
    for name, age in sorted(st.heartbeats.items()):
        lines.append(f"  сигнал «{name}»: {age:.0f} с назад")
    return "\n".join(lines)
