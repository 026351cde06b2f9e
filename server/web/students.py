"""The students in the staff UI: the list with its search (/app/students/) and a student's
page (/app/students/<id>): the registry record with its status, what each signed order changed
in it (before → after, order number), the academic record by term with GPA, credits and debt,
the student's cases and documents."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import render_template, request

from server.domain import labels
from server.request_guard import int_param, page_param
from server.services.people import administration as staff
from server.services.record import queries as record
from server.services.students import imports as students
from server.services.students.search import StudentQuery, search_students, student_documents
from server.web.i18n import lang
from server.web.session import actor, ctx, login_required

students_ui_bp = APIBlueprint("staff_students", __name__, url_prefix="/app/students",
                              template_folder="templates", enable_openapi=False)
PAGE = 50


@students_ui_bp.get("/")
@login_required
def student_list():  # type: ignore[no-untyped-def]
    page = page_param()
    query = StudentQuery(q=request.args.get("q", "").strip() or None,
                         group=request.args.get("group", "").strip() or None,
                         faculty_id=int_param("faculty"), status=request.args.get("status") or None,
                         limit=PAGE, offset=(page - 1) * PAGE)
    rows, total = search_students(ctx(), actor(), query)
    me = actor()
    faculties = [f for f in staff.list_faculties(ctx()) if me.sees_faculty(f.id)]
    return render_template("staff/students.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), faculties=faculties,
                           statuses=labels.choices("student_status", lang()), args=request.args)


@students_ui_bp.get("/<int:student_id>")
@login_required
def student_page(student_id: int):  # type: ignore[no-untyped-def]
    card = students.get_student_card(ctx(), actor(), student_id)
    return render_template("staff/student.html", card=card, student=card.student,
                           faculty=card.student.faculty,
                           documents=student_documents(ctx(), actor(), student_id),
                           record=record.student_record(ctx(), actor(), student_id))
