"""Charts drawn by the server as SVG strings (no JavaScript): pure functions of their data.

The staff web UI embeds them; tests read their text. Labels are escaped; values are numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

COLORS = ("#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037")
FONT = 'font-family="Arial, sans-serif" font-size="12"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.0f}" y="20" text-anchor="middle" {FONT} font-weight="bold">'
        f"{escape(title)}</text>",
        *body, "</svg>"])


def _legend(series: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(series):
        cx = x + i * 160
        out.append(f'<rect x="{cx:.0f}" y="{y - 10:.0f}" width="12" height="12" '
                   f'fill="{COLORS[i % len(COLORS)]}"/>')
        out.append(f'<text x="{cx + 16:.0f}" y="{y:.0f}" {FONT}>{escape(name)}</text>')
    return out


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                 width: int = 760, label_width: int = 300) -> str:
    """Horizontal bars, one per label, each stacked from the series (e.g. on time, late);
    the total is written at the end of the bar."""
    row_h, top = 26, 44
    height = top + row_h * max(1, len(labels)) + 40
    totals = [sum(values[i] for _n, values in series) for i in range(len(labels))]
    scale = (width - label_width - 60) / max([1.0, *totals])
    body: list[str] = []
    for i, label in enumerate(labels):
        y = top + i * row_h
        short = label if len(label) <= 45 else label[:44] + "…"
        body.append(f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" {FONT}>'
                    f"{escape(short)}</text>")
        x = float(label_width)
        for s, (_name, values) in enumerate(series):
            w = values[i] * scale
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                            f'fill="{COLORS[s % len(COLORS)]}"><title>{escape(_name)}: '
                            f"{values[i]:g}</title></rect>")
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 16}" {FONT}>{totals[i]:g}</text>')
    body += _legend([name for name, _v in series], label_width, height - 12)
    return _svg(width, height, title, body)


def line_chart(title: str, labels: Sequence[str], values: Sequence[float | None],
               *, percent: bool = True, width: int = 760, height: int = 300) -> str:
    """A line over the labels (months); gaps where a value is None; 0..100 % scale if `percent`."""
    left, right, top, bottom = 50, 20, 40, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = 1.0 if percent else max([1.0, *(v for v in values if v is not None)])
    step = plot_w / max(1, len(labels) - 1)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
            'stroke="#999"/>']
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        text = f"{frac * 100:.0f}%" if percent else f"{frac * top_value:g}"
        body.append(f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end" {FONT}>{text}</text>')
    points: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step
        body.append(f'<text x="{x:.0f}" y="{height - 18}" text-anchor="middle" {FONT}>'
                    f"{escape(label)}</text>")
        if value is None:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" '
                            f'stroke="{COLORS[2]}" stroke-width="2"/>')
            points = []
            continue
        y = top + plot_h * (1 - value / top_value)
        points.append(f"{x:.1f},{y:.1f}")
        shown = f"{value * 100:.0f}%" if percent else f"{value:g}"
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS[2]}">'
                    f"<title>{escape(label)}: {shown}</title></circle>")
    if len(points) > 1:
        body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{COLORS[2]}" '
                    'stroke-width="2"/>')
    return _svg(width, height, title, body)


# -- the report's and the dashboard's charts --------------------------------------------------


ON_TIME_WORDS = {
    "ru": ("Оказано в срок и с нарушением срока", "В срок", "С нарушением срока"),
    "kk": ("Мерзімінде және мерзімі бұзылып көрсетілгені", "Мерзімінде", "Мерзімі бұзылып"),
    "en": ("Rendered on time and late", "On time", "Late"),
}


def on_time_vs_late(report: dict, lang: str = "ru") -> str:
    """The public-service report: decisions on time vs late, per service (titles in `lang`,
    the period as dd.mm.yyyy)."""
    rows = report["rows"]
    title, on_time, late = ON_TIME_WORDS.get(lang, ON_TIME_WORDS["ru"])
    first, last = (f"{d[8:10]}.{d[5:7]}.{d[:4]}" for d in (report["from"], report["to"]))
    return stacked_bars(f"{title}, {first} — {last}",
                        [str(r.get(f"name_{lang}") or r["name_ru"]) for r in rows],
                        [(on_time, [r["on_time"] for r in rows]),
                         (late, [r["late"] for r in rows])])


# The dashboard charts' words: ru, kk, en.
DASHBOARD_WORDS = {
    "in_progress": ("Дела в работе по процедурам", "Рәсімдер бойынша орындалудағы істер",
                    "Cases in progress by procedure"),
    "on_time": ("В срок", "Мерзімінде", "On time"),
    "overdue": ("Просрочено", "Мерзімі өтіп кеткен", "Overdue"),
    "trend": ("Доля решений, принятых в срок, по месяцам", "Мерзімінде қабылданған шешімдердің үлесі, "
              "айлар бойынша", "Share of decisions on time, by month"),
    "processing": ("Среднее время рассмотрения, рабочих дней (за %s дней)",
                   "Қараудың орташа уақыты, жұмыс күндері (соңғы %s күн ішінде)",
                   "Average processing time, working days (over %s days)"),
    "working_days": ("Рабочих дней", "Жұмыс күндері", "Working days"),
}


def _word(key: str, lang: str) -> str:
    ru, kk, en = DASHBOARD_WORDS[key]
    return {"kk": kk, "en": en}.get(lang, ru)


def _name(item: dict, lang: str) -> str:
    return str(item.get(f"name_{lang}") or item["name_ru"])


def in_progress_by_procedure(dash: dict, lang: str = "ru") -> str:
    """The dashboard: open cases per procedure."""
    per: dict[str, float] = {}
    for item in dash["in_progress"]:
        per[_name(item, lang)] = per.get(_name(item, lang), 0) + item["count"]
    overdue = {_name(i, lang): i["count"] for i in dash["overdue_now"]}
    labels = sorted(per)
    return stacked_bars(_word("in_progress", lang), labels,
                        [(_word("on_time", lang), [per[k] - overdue.get(k, 0) for k in labels]),
                         (_word("overdue", lang), [overdue.get(k, 0) for k in labels])])


def on_time_trend(dash: dict, lang: str = "ru") -> str:
    trend = dash["on_time_trend"]
    # months as the office writes them (11.2026), not as stored (2026-11)
    return line_chart(_word("trend", lang), [f'{t["month"][5:7]}.{t["month"][:4]}' for t in trend],
                      [t["on_time_rate"] for t in trend])


def processing_time(dash: dict, lang: str = "ru") -> str:
    items = dash["processing_time"]
    title = _word("processing", lang) % dash["processing_window_days"]
    return stacked_bars(title,
                        [_name(i, lang) for i in items],
                        [(_word("working_days", lang), [i["avg_working_days"] for i in items])])


DASHBOARD_CHARTS = {"in_progress": in_progress_by_procedure, "on_time_trend": on_time_trend,
                    "processing_time": processing_time}
