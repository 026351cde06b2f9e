"""Application factory: config, extensions, blueprints, error handlers."""

from __future__ import annotations

import logging
from typing import Any

from apiflask import APIFlask
from flask import jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from server.api import api_bp
from server.api.admin_routes import admin_bp
from server.api.register_routes import registers_bp
from server.api.report_routes import reports_bp
from server.api.template_routes import templates_bp
from server.bootstrap import build_context
from server.config import Settings
from server.db import DATABASE_ERRORS, DB_INT_MAX, is_busy_error, is_timeout_error
from server.jobs.inprocess import InProcessDispatcher
from server.request_guard import init_guard
from server.services import errors as domain
from server.services.background.heartbeat import worker_health
from server.services.context import AppContext
from server.services.errors import tr
from server.services.people.users import actor_for_token
from server.too_large import register_too_large
from server.web import html_error, init_web, is_staff_page, public_bp
from server.web.i18n import api_error_body, localized, localized_message
from server.web.session import current_actor

log = logging.getLogger(__name__)


class BoundedInt(IntegerConverter):
    """`<int:…>` in routes: a non-negative 32-bit integer, as the ids in the database."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = DB_INT_MAX, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

HSTS = "max-age=31536000"  # a year; this host only (other university sites may lack TLS)

STATUS = {
    domain.NotFound: 404,
    domain.Forbidden: 403,
    domain.Conflict: 409,
    domain.Invalid: 422,
    domain.Unavailable: 503,
}


def _status_of(exc: domain.DomainError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None,
               background: bool | None = None) -> APIFlask:
    """Build the app. `background` starts the in-process dispatcher (default: when the
    settings say background work runs in-process)."""
    settings = settings or (ctx.settings if ctx else Settings.from_env())
    ctx = ctx or build_context(settings)
    app = APIFlask("regoffice", title="regoffice API", version="1",
                   spec_path="/api/v1/openapi.json", docs_path=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        JSON_AS_ASCII=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.behind_tls,
        INFO={"description": "REST API of regoffice, the Registrar Office workflow server."},
        SECURITY_SCHEMES={"BearerAuth": {"type": "http", "scheme": "bearer"}},
    )
    if not 0 <= settings.proxy_hops <= 5:
        raise ValueError(f"REGOFFICE_PROXY_HOPS={settings.proxy_hops}: expected 0 to 5 proxies")
    if settings.proxy_hops:
        # The client's address as the outermost of `proxy_hops` proxies saw it; the scheme as
        # the nearest one (nginx) states it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops,  # type: ignore[method-assign]
                                x_proto=1)
    app.url_map.converters["int"] = BoundedInt  # ids beyond a database integer: 404, not 500
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # form fields keep the model's order
    app.extensions["regoffice"] = ctx
    init_guard(app)  # hostile input refused before any view (server/request_guard.py)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(templates_bp)
    app.register_blueprint(registers_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(public_bp)
    init_web(app)
    _register_transport(app, settings)
    _register_errors(app)
    register_too_large(app, settings)
    _register_health(app, ctx)
    if background if background is not None else settings.background == "inprocess":
        dispatcher = InProcessDispatcher(ctx)
        dispatcher.start()
        app.extensions["regoffice.dispatcher"] = dispatcher
    elif settings.background == "celery" and background is not False:
        from server.jobs.celery_app import web_handoff  # configures Celery: only in this mode

        app.extensions["regoffice.handoff"] = web_handoff(ctx)
    return app


def _register_transport(app: APIFlask, settings: Settings) -> None:
    """Behind a TLS proxy: HSTS on every answer (the cookie is Secure, see create_app)."""
    if settings.behind_tls:
        @app.after_request
        def _hsts(response):  # type: ignore[no-untyped-def]
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            return response


def _error(code: str, message: str, status: int, fields: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """A JSON error: Russian, or the language the client asks for in Accept-Language."""
    return jsonify(api_error_body(code, message, fields)), status


def _register_errors(app: APIFlask) -> None:
    @app.errorhandler(domain.DomainError)
    def _domain(exc: domain.DomainError):  # type: ignore[no-untyped-def]
        if is_staff_page():
            return html_error(localized_message(exc), _status_of(exc))
        return _error(exc.code, exc.message, _status_of(exc), exc.fields)

    @app.error_processor
    def _apiflask_error(error):  # type: ignore[no-untyped-def]
        fields: dict[str, str] = {}
        detail = error.detail or {}
        for _location, errs in (detail.items() if isinstance(detail, dict) else []):
            for name, messages in (errs.items() if isinstance(errs, dict) else []):
                fields[name] = "; ".join(map(str, messages)) if isinstance(messages, list) \
                    else str(messages)
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "too_large", 422: "invalid"}.get(
                    error.status_code, "error")
        message = tr("Запрос содержит ошибки: исправьте отмеченные поля") if fields else error.message
        return api_error_body(code, message, fields), error.status_code, error.headers

    @app.errorhandler(DataError)
    def _data(exc: DataError):  # type: ignore[no-untyped-def]
        # The database refused a value the checks let through (PostgreSQL: too long for its
        # column, a number out of range): the input's fault, and the unit of work rolled back.
        log.warning("value refused by the database on %s %s: %s", request.method, request.path,
                    str(exc.orig)[:200])
        message = tr("Значение не помещается в базу данных (слишком длинное или вне допустимого "
                     "диапазона): исправьте введённые данные")
        if is_staff_page():
            return html_error(localized(message), 422)
        return _error("invalid", message, 422)

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError):  # type: ignore[no-untyped-def]
        message = tr("Данные только что изменил другой пользователь: обновите страницу и повторите "
                     "действие")
        if is_staff_page():
            return html_error(localized(message), 409)
        return _error("conflict", message, 409)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        messages = {404: tr("Адрес не найден"), 405: tr("Метод не поддерживается"),
                    413: tr("Файл слишком большой")}
        if is_staff_page():
            from flask_babel import gettext

            web = {400: gettext("The form has expired. Go back, reload the page and try again."),
                   403: gettext("You have no access to this page."),
                   404: gettext("The page was not found."),
                   413: gettext("The file is too large.")}
            return html_error(web.get(exc.code or 500, exc.name), exc.code or 500)
        return _error(exc.name.lower().replace(" ", "_"),
                      messages.get(exc.code or 500, exc.description or exc.name), exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        if is_staff_page():
            from flask_babel import gettext

            return html_error(gettext("Internal server error: nothing was changed. Tell the administrator."),
                              500)
        return _error("internal", tr("Внутренняя ошибка сервера; запрос не выполнен, данные не "
                                     "изменены. Сообщите администратору."), 500)

    def _database(exc: Exception):  # type: ignore[no-untyped-def]
        """A lock held too long (lock_timeout, SQLite's busy timeout): 409, try again; a
        statement stopped at statement_timeout: 503. The transaction was rolled back."""
        if is_busy_error(exc):
            code, status = "busy", 409
            message = tr("Дело сейчас обрабатывается другим запросом или фоновым заданием: "
                         "повторите действие через несколько секунд")
        elif is_timeout_error(exc):
            code, status = "timeout", 503
            message = tr("Запрос выполнялся слишком долго и был прерван, данные не изменены: "
                         "повторите его позже")
        else:
            return _unexpected(exc)
        log.warning("%s %s: %s (%s)", request.method, request.path, code,
                    str(getattr(exc, "orig", exc)).strip().splitlines()[0])
        if is_staff_page():
            response = html_error(localized(message), status)
        else:
            response = _error(code, message, status)
        return _with_header(response, "Retry-After", "2")

    for error in DATABASE_ERRORS:
        app.register_error_handler(error, _database)


def _with_header(response: Any, name: str, value: str) -> Any:
    """`response` (a Response or a (body, status) tuple) with one more header."""
    from flask import make_response

    made = make_response(response)
    made.headers[name] = value
    return made


def _register_health(app: APIFlask, ctx: AppContext) -> None:
    @app.get("/")
    @app.doc(hide=True)
    def index():  # type: ignore[no-untyped-def]
        from flask import redirect

        from server import __version__

        if request.accept_mimetypes.best == "text/html":  # a browser: the staff UI
            return redirect("/app/")

        return {"name": "regoffice", "version": __version__,
                "description": "Офис регистратора: процессы, задачи и документы",
                "api": "/api/v1/openapi.json", "health": "/healthz"}

    @app.get("/healthz")
    @app.doc(hide=True)
    def healthz():  # type: ignore[no-untyped-def]
        """ok/unavailable per component for anyone; what failed only to an admin (and the log)."""
        try:
            with ctx.db.read() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check: the database is unavailable: %s", exc)
            body: dict[str, Any] = {"status": "unavailable", "database": "unavailable"}
            if _admin_asks(ctx):
                body["detail"] = {"database": str(exc)}
            return body, 503
        return {"status": "ok", "database": "ok"}

    @app.get("/healthz/worker")
    @app.doc(hide=True)
    def healthz_worker():  # type: ignore[no-untyped-def]
        try:
            health = worker_health(ctx)
        except Exception as exc:
            log.warning("health check: could not check the worker: %s", exc)
            body: dict[str, Any] = {"status": "unavailable",
                                    "message": "Не удалось проверить исполнителя"}
            if _admin_asks(ctx):
                body["detail"] = str(exc)
            return body, 503
        body = {"status": "ok" if health.ok else "error", "heartbeat": health.name,
                "age_seconds": None if health.age_seconds is None else round(health.age_seconds, 1),
                "max_age_seconds": health.max_age_seconds, "message": health.message}
        return body, 200 if health.ok else 503


def _admin_asks(ctx: AppContext) -> bool:
    """Whether the request carries an admin's API token or staff session. Never raises: with
    the database down nobody can be recognised, and the details stay in the log."""
    try:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            actor = actor_for_token(ctx, header[7:].strip())
        else:
            actor = current_actor()
    except Exception:
        return False
    return actor is not None and "admin" in actor.roles
