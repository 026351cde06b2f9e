#!/usr/bin/env python
"""How fast are documents produced? Compares, on the same template and context:

  raw       docxtpl alone: DocxTemplate(path).render(context) and save (the baseline);
  render    our renderer (server.documents.render_docx: strict variables, escaping, cleaning);
  service   the whole issue through the services: transfer cases brought to their order step,
            then the background jobs run (gap-free number in the transaction, the context built
            from the case with declined names, Russian + Kazakh files, QR code, stored, audited,
            the case resumed) — reported per document;
  batch     a course-promotion order of 500 students (order_contingent, one table row each),
            Russian + Kazakh, built by the service's context builder and rendered; then the
            same two files to PDF with the warm converter (render + PDF, as the issue does);
  pdf       a one-page document (cert_study_ru with its example context) to PDF: the warm
            converter (a LibreOffice kept running, server/documents/pdf.py) against a cold
            `soffice --convert-to` per document.

The service figure is measured twice: as issued now (each file also converted to PDF, warm) and
with PDF off (REGOFFICE_SOFFICE empty: the .docx alone, as before the PDF was fixed at issue).

    python bench/documents.py [--runs 30] [--cases 20] [--batch 500] [--pdf-runs 15] [--json FILE]

Targets (issue "Documents"): render ≥ 0.8 × raw documents/s; the 500-student order under 1 s
(.docx), in seconds with its PDF; a one-page PDF ≤ 0.3 s with the warm converter.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
logging.basicConfig(level=logging.ERROR)

from _common import machine, machine_line, write_json  # noqa: E402
from docxtpl import DocxTemplate  # noqa: E402
from sqlalchemy import select  # noqa: E402

from server.auth import Actor  # noqa: E402
from server.bootstrap import build_context  # noqa: E402
from server.config import ROOT, Settings  # noqa: E402
from server.documents import pdf, render_docx  # noqa: E402
from server.documents.checking import example_context  # noqa: E402
from server.documents.contexts import BUILDERS, university  # noqa: E402
from server.domain.iin import make_iin  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Document, HumanTask, User  # noqa: E402
from server.services.cases import lifecycle as cases  # noqa: E402
from server.services.context import AppContext  # noqa: E402
from server.services.documents.verification import QR_WIDTH_MM, qr_png  # noqa: E402
from server.services.people.users import NewUser, create_user  # noqa: E402
from server.services.procedures import deployments  # noqa: E402
from server.services.tasks import human_tasks as tasks  # noqa: E402

TEMPLATE = ROOT / "templates" / "order_transfer_in_ru.docx"


def _example_context() -> dict[str, Any]:
    """templates/order_transfer_in.example.json: the context the template is checked with."""
    # the QR code as text (both renderers print it the same way): the image is the service's cost
    return {**example_context(ROOT / "templates", "order_transfer_in"), "qr": ""}


def _rate(fn: Any, runs: int) -> float:
    """Documents per second (median of per-document times over `runs`)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1 / statistics.median(times)


def raw_docxtpl(context: dict[str, Any]) -> None:
    template = DocxTemplate(str(TEMPLATE))
    template.render(context, autoescape=True)
    template.save(io.BytesIO())


def our_render(context: dict[str, Any]) -> None:
    render_docx(TEMPLATE, context)


def _context_for_service(folder: Path) -> AppContext:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = replace(Settings.from_env(), instance_dir=folder / "instance", database_url=url,
                       secret_key="bench", workflows_dir=ROOT / "workflows", forms_dir=ROOT / "forms",
                       templates_dir=ROOT / "templates", config_dir=ROOT / "config", background="none",
                       celery_broker_url=None)
    ctx = build_context(settings)
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    from server.models import Faculty
    from server.services.students.names import record_programme

    with ctx.db.unit_of_work() as session:
        session.add(Faculty(code="IT", name_ru="ИТ", name_kk="АТ"))
        record_programme(session, "6B06102", "Программная инженерия", "Бағдарламалық инженерия")
    create_user(ctx, NewUser("bench", "Bench", ("admin",), None))
    # a dean for the faculty: a transfer's dean step must reach someone to be registered
    create_user(ctx, NewUser("bench_dean", "Bench Dean", ("dean",), None, faculty_code="IT"))
    return ctx


ANSWERS = {
    "check_documents": {"doc_application": True, "doc_sending_consent": True, "doc_transcript": True,
                        "doc_unt_certificate": True, "doc_identity": True, "documents_complete": True},
    "determine_difference": {"final_year": False, "difference": [], "difference_credits": 0,
                             "dean_decision": "approve"},
    "paid_contract": {"contract_number": "Д-1", "contract_date": "2026-08-12", "prepayment_received": True},
    "vr_approval": {"vr_decision": "approve"},
}


def service_rate(cases_n: int) -> float:
    """Documents per second through the document/render jobs of `cases_n` transfer cases."""
    from server.jobs.inprocess import drain

    with tempfile.TemporaryDirectory() as tmp:
        ctx = _context_for_service(Path(tmp))
        with ctx.db.read() as session:
            user_id = session.scalar(select(User.id))
        actor = Actor(user_id, "bench", frozenset({"registrar", "dean", "accountant", "vice_rector",
                                                  "admin"}), None)
        for i in range(cases_n):
            applicant = {"iin": make_iin(date(2004, 3, 9), "M", 2000 + i), "last_name": "Иванов",
                         "first_name": "Пётр", "middle_name": "Сергеевич", "sending_university": "КарУ",
                         "sending_university_kk": "ҚарУ",
                         "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": 2,
                         "level": "bachelor", "form": "full_time", "language": "ru", "funding": "paid",
                         "faculty_code": "IT"}
            case_id = cases.start_case(ctx, actor, cases.StartRequest(
                "transfer_in", data={"applicant": applicant}))
            for spec, answer in ANSWERS.items():
                with ctx.db.read() as session:
                    task_id = session.scalar(select(HumanTask.id).where(
                        HumanTask.case_id == case_id, HumanTask.spec_name == spec,
                        HumanTask.status == "open"))
                tasks.complete_task(ctx, Actor.system(), task_id, answer)
        start = time.perf_counter()
        while drain(ctx):
            pass
        elapsed = time.perf_counter() - start
        with ctx.db.read() as session:
            documents = len(session.scalars(select(Document.id)).all())
        ctx.db.dispose()
    return documents / elapsed


def service_rate_without_pdf(cases_n: int) -> float:
    """`service_rate` with no LibreOffice: the .docx alone (the PDF is left to a later job)."""
    saved = os.environ.get("REGOFFICE_SOFFICE")
    os.environ["REGOFFICE_SOFFICE"] = ""
    try:
        return service_rate(cases_n)
    finally:
        if saved is None:
            del os.environ["REGOFFICE_SOFFICE"]
        else:
            os.environ["REGOFFICE_SOFFICE"] = saved


def one_page_docx() -> bytes:
    """cert_study_ru rendered with its example context and a QR code: one page."""
    context = json.loads((ROOT / "templates" / "cert_study.example.json").read_text(encoding="utf-8"))
    return render_docx(ROOT / "templates" / "cert_study_ru.docx", context,
                       images={"qr": qr_png("https://example.org/verify/s.bench")},
                       image_width_mm=QR_WIDTH_MM)


def pdf_seconds(content: bytes, runs: int, *, warm: bool) -> float:
    """Median seconds of one conversion (warm: the process's converter, started beforehand)."""
    convert = pdf.docx_to_pdf if warm else pdf.cold_convert
    if warm:
        convert(content)  # start LibreOffice once, as a worker does at its first document
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        convert(content)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch_order_seconds(students: int, *, with_pdf: bool = False) -> float:
    rows = [{"iin": make_iin(date(2005, 1 + i % 12, 1 + i % 27), "M" if i % 2 else "F", 1000 + i),
             "last_name": "Абенов" if i % 2 else "Абенова", "first_name": "Алмас" if i % 2 else "Айгерим",
             "sex": "M" if i % 2 else "F", "faculty_code": "IT",
             "faculty_name": "Факультет информационных технологий",
             "faculty_name_kk": "Ақпараттық технологиялар факультеті", "programme_code": "6B06102",
             "programme_name": "Программная инженерия", "programme_name_kk": "Бағдарламалық инженерия",
             "year": 2, "group": "ПИ-24-1", "form": "full_time",
             "language": "ru", "funding": "grant"} for i in range(students)]
    data = {"order_kind": "promotion", "effective_date": "2026-09-01", "students": rows}
    start = time.perf_counter()
    context = BUILDERS["order_contingent"](data, university(ROOT / "config"), "1-у", date(2026, 8, 25))
    context["verification_url"] = "https://example.org/verify/s.bench"
    for lang in ("ru", "kk"):
        content = render_docx(ROOT / "templates" / f"order_contingent_{lang}.docx", context,
                              images={"qr": qr_png("https://example.org/verify/s.bench")},
                              image_width_mm=QR_WIDTH_MM)
        if with_pdf:
            pdf.docx_to_pdf(content)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pdf-runs", type=int, default=15, help="conversions per PDF figure")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    print(machine_line())
    context = _example_context()
    raw_docxtpl(context)
    our_render(context)  # warm up both
    raw = _rate(lambda: raw_docxtpl(context), args.runs)
    ours = _rate(lambda: our_render(context), args.runs)
    print(f"raw docxtpl        {raw:7.1f} documents/s   ({TEMPLATE.name}, median of {args.runs})")
    print(f"our renderer       {ours:7.1f} documents/s   ratio {ours / raw:.2f} (target >= 0.8)")
    docx_only = service_rate_without_pdf(args.cases)
    print(f"through services   {docx_only:7.1f} documents/s   ratio {docx_only / raw:.2f} "
          f"({args.cases} cases, ru + kk each, numbered, stored, case resumed; PDF off)")
    figures: dict[str, Any] = {}
    if pdf.soffice() is None:
        print("PDF figures: skipped, LibreOffice is not installed (apt-get install libreoffice-writer-nogui "
              "python3-uno)")
    else:
        service = service_rate(args.cases)
        print(f"  with the PDF     {service:7.1f} documents/s   (each file also converted, warm, and stored)")
        content = one_page_docx()
        warm = pdf_seconds(content, args.pdf_runs, warm=True)
        way = "warm" if pdf.warm_converter() is not None else "cold: no python3-uno"
        cold = pdf_seconds(content, max(3, args.pdf_runs // 5), warm=False)
        print(f"PDF, one page      {warm * 1000:7.0f} ms {way} (target <= 300 ms), {cold * 1000:.0f} ms cold "
              f"(cert_study_ru, median of {args.pdf_runs} / {max(3, args.pdf_runs // 5)})")
        batch_pdf = batch_order_seconds(args.batch, with_pdf=True)
        print(f"batch order + PDF  {batch_pdf * 1000:7.0f} ms for {args.batch} students, ru + kk, rendered "
              "and converted")
        figures = {"service_pdf_per_s": round(service, 2), "pdf_one_page_warm_ms": round(warm * 1000, 1),
                   "pdf_one_page_cold_ms": round(cold * 1000, 1), "batch_pdf_ms": round(batch_pdf * 1000, 1)}
    seconds = batch_order_seconds(args.batch)
    print(f"batch order        {seconds * 1000:7.0f} ms for {args.batch} students, ru + kk (target < 1 s)")
    write_json(args.json, {"machine": machine(), "runs": args.runs, "cases": args.cases, "batch": args.batch,
                           "raw_per_s": round(raw, 2), "render_per_s": round(ours, 2),
                           "render_ratio": round(ours / raw, 3), "service_per_s": round(docx_only, 2),
                           "service_ratio": round(docx_only / raw, 3), "batch_ms": round(seconds * 1000, 1),
                           **figures,
                           "targets": {"render_ratio": 0.8, "batch_ms": 1000, "pdf_one_page_warm_ms": 300}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
