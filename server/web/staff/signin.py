"""Signing in and out, the interface language, and the home page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from server.services.people.throttle import SignInFailed, sign_in
from server.services.tasks import home as home_page
from server.web.i18n import LANGUAGES, localized_message
from server.web.session import (
    actor,
    ctx,
    login_required,
    safe_next,
    sign_in_session,
    sign_out_session,
)
from server.web.staff import (
    staff_bp,
)


# --- sign-in, language -----------------------------------------------------------------------
@staff_bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error, status = None, 200
    if request.method == "POST":
        try:
            who = sign_in(ctx(), request.form.get("username", ""), request.form.get("password", ""),
                          request.remote_addr or "")
        except SignInFailed as exc:  # one answer for a wrong name, a wrong password, a wait
            error, status = localized_message(exc), 401
        else:
            sign_in_session(who)
            target = request.args.get("next")  # no `next`: the home page
            return redirect(safe_next(target) if target else url_for("staff.home"))
    return render_template("staff/login.html", error=error,
                           username=request.form.get("username", "")), status


@staff_bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    sign_out_session(everywhere=request.form.get("everywhere") == "1")
    flash(_("You have signed out."), "info")
    return redirect(url_for("staff.login"))


@staff_bp.get("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@staff_bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """The home page: what waits for me and my groups, what is overdue or due today, the cases I
    registered this week; the office-wide view for the head, the orders to sign for the rector."""
    return render_template("staff/home.html", home=home_page.home(ctx(), actor()))
