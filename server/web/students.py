"""A student's page in the staff UI (/app/students/<id>): the registry record with its status,
what each signed order changed in it (before → after, order number), the academic record by term
with GPA, credits and debt, and the student's cases."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import render_template

from server.services.record import queries as record
from server.services.students import imports as students
from server.web.session import actor, ctx, login_required

students_ui_bp = APIBlueprint("staff_students", __name__, url_prefix="/app/students",
                              template_folder="templates", enable_openapi=False)


@students_ui_bp.get("/<int:student_id>")
@login_required
def student_page(student_id: int):  # type: ignore[no-untyped-def]
    card = students.get_student_card(ctx(), actor(), student_id)
    return render_template("staff/student.html", card=card, student=card.student,
                           faculty=card.student.faculty,
                           record=record.student_record(ctx(), actor(), student_id))
