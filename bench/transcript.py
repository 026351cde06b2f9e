#!/usr/bin/env python
"""How long does a transcript take? A student with 60 results (8 semesters, a retaken FX among
them) imported through the record's services into a fresh schema, then, `--runs` times each:

  service   what the `record/transcript` and `document/render` steps do for one language: the
            record read and folded (`record.transcripts.transcript_data`: the rows, term and
            cumulative GPA, debt), the context built (`@builder("transcript")` inside the
            registry's names) and the .docx rendered (`render_docx`, with the QR code);
  three     the same with the three files (ru, kk, en) of one issue: one snapshot, three renders;
  floor     docxtpl alone rendering the same context into the same template
            (`DocxTemplate(path).render(context, autoescape=True)` and save), no service.

    python bench/transcript.py [--runs 50] [--db sqlite|postgres|both] [--pg-url URL] [--json FILE]

The snapshot alone (`transcript_data`: the student and ~60 rows read, folded) is timed too.

Target (issue «The academic record», the transcript): one transcript under 100 ms. Nothing
under server/ is changed; no PDF is made (LibreOffice's conversion is bench/documents.py's).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    percentiles,
    pg_arguments,
    run_on_databases,
)
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from server.auth import Actor
from server.bootstrap import build_context
from server.config import Settings
from server.documents.contexts import BUILDERS
from server.documents.render import render_docx
from server.domain.grading import load_scale
from server.domain.iin import make_iin
from server.domain.vocabulary import using
from server.migrate import upgrade
from server.models import Faculty, Student
from server.services.cases.lifecycle import student_context
from server.services.context import AppContext
from server.services.documents.office import university_for
from server.services.documents.verification import QR_WIDTH_MM, qr_png
from server.services.record import imports
from server.services.record.access import academic_year_start
from server.services.record.transcripts import transcript_data
from server.services.students.names import record_programme, registry_names

SYSTEM = Actor.system()
TERMS, PER_TERM = 8, 7  # 56 disciplines + 4 retaken attempts = 60 result rows
LANGUAGES = ("ru", "kk", "en")


def build(ctx: AppContext) -> int:
    """A fourth-year student of one programme with 60 results; the student's id."""
    today = date.today()
    admission = academic_year_start(today) - 3
    iin = make_iin(date(2003, 5, 17), "F", 4242)
    with ctx.db.unit_of_work() as session:
        faculty = Faculty(code="IT", name_ru="Факультет информационных технологий",
                          name_kk="Ақпараттық технологиялар факультеті",
                          name_en="Faculty of Information Technology")
        session.add(faculty)
        record_programme(session, "6B06102", "Программная инженерия", "Бағдарламалық инженерия",
                         "Software Engineering")
        session.flush()
        student = Student(iin=iin, last_name="Жаксылыкова", first_name="Айгерим", middle_name="Серікқызы",
                          faculty_id=faculty.id, programme_code="6B06102",
                          programme_name="Программная инженерия", year=4, sex="F")
        session.add(student)
        session.flush()
        student_id = student.id
    plan = ["programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
            "semester,kind"]
    rows = ["iin;discipline_code;academic_year;term;attempt;points"]
    for term in range(1, TERMS + 1):
        year = admission + (term - 1) // 2
        for i in range(PER_TERM):
            code = f"SE{term}{i:02d}"
            plan.append(f'6B06102,{admission},{code},"Дисциплина профессионального цикла {term}.{i}",'
                        f'"Кәсіптік цикл пәні {term}.{i}","Professional course {term}.{i}",5,exam,{term},'
                        'compulsory')
            attempts = (42, 75) if i == 0 and term % 2 == 0 else (60 + (term * 7 + i * 5) % 41,)
            rows += [f"{iin};{code};{year}-{year + 1};{term};{n};{p}"
                     for n, p in enumerate(attempts, start=1)]
    imports.import_curricula(ctx, SYSTEM, "plan.csv", "\n".join(plan).encode(), dry_run=False)
    report = imports.import_transcripts(ctx, SYSTEM, "results.csv", "\n".join(rows).encode(), dry_run=False)
    assert report.count("new") == 60, report.refused[:3]
    return student_id


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def measure(ctx: AppContext, student_id: int, runs: int) -> dict[str, Any]:
    grades = load_scale(ctx.settings.config_dir)
    templates = {lang: (ctx.settings.templates_dir / f"transcript_{lang}.docx").read_bytes()
                 for lang in LANGUAGES}
    qr = qr_png("https://regoffice.example.kz/verify/BENCH")
    today = date.today()

    def issue(languages: tuple[str, ...]) -> dict[str, Any]:
        with ctx.db.read() as session:
            student = session.get(Student, student_id)
            data = {"student": student_context(student),
                    "transcript_record": transcript_data(session, student, grades)}
            uni = university_for(ctx, session, "certificates")
            with using(registry_names(session)):
                context = BUILDERS["transcript"](data, uni, "1-с", today)
        context["verification_url"] = "https://regoffice.example.kz/verify/BENCH"
        for lang in languages:
            render_docx(templates[lang], context, images={"qr": qr}, image_width_mm=QR_WIDTH_MM)
        return context

    context = issue(("ru",))  # warm: imports, caches, the first read
    service, three, floor, snapshot = [], [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        with ctx.db.read() as session:
            transcript_data(session, session.get(Student, student_id), grades)
        snapshot.append(_ms(start))
        start = time.perf_counter()
        issue(("ru",))
        service.append(_ms(start))
        start = time.perf_counter()
        issue(LANGUAGES)
        three.append(_ms(start))
        start = time.perf_counter()
        doc = DocxTemplate(io.BytesIO(templates["ru"]))
        image = InlineImage(doc, io.BytesIO(qr), width=Mm(QR_WIDTH_MM))
        doc.render({**context, "qr": image}, autoescape=True)
        doc.save(io.BytesIO())
        floor.append(_ms(start))
    lines = sum(len(t["lines"]) for t in context["terms"])
    return {"lines": lines, "terms": len(context["terms"]),
            **{name: {k: round(v, 2) for k, v in percentiles(values).items()}
               for name, values in (("snapshot", snapshot), ("service", service), ("three", three),
                                    ("floor", floor))}}


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    upgrade(url)
    settings = replace(Settings.from_env(), database_url=url, background="none", celery_broker_url=None)
    ctx = build_context(settings)
    try:
        return measure(ctx, build(ctx), args.runs)
    finally:
        ctx.db.dispose()


def _print(title: str, r: dict[str, Any]) -> None:
    print(f"{title}: {r['lines']} disciplines in {r['terms']} semesters (60 result rows)")
    for name, label in (("snapshot", "the record's snapshot alone (transcript_data)"),
                        ("service", "snapshot + context + .docx, one language"),
                        ("three", "snapshot + context + .docx ×3 (ru, kk, en)"),
                        ("floor", "docxtpl alone, same context, one language")):
        f = r[name]
        print(f"  {label:<46} p50 {f['p50']:7.1f} ms   p95 {f['p95']:7.1f} ms")
    print(f"  service / floor (p50): {r['service']['p50'] / r['floor']['p50']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    pg_arguments(parser)
    args = parser.parse_args()
    run_on_databases(args, "transcript", run, _print)


if __name__ == "__main__":
    main()
