"""The answer to a request over the size limit (MAX_CONTENT_LENGTH, `REGOFFICE_MAX_REQUEST_MB`).

Werkzeug refuses such a body before reading it; answering at once and closing would reset
the connection while the client is still sending, and a browser shows "connection reset"
instead of the page. So the rest of the body is read and dropped first — up to a bound, as
a reverse proxy's lingering close does — and the client gets a 413 page (staff UI) or JSON
(API) saying what the limit is.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from server.config import MIB, Settings
from server.services.errors import tr
from server.web import html_error, is_staff_page
from server.web.i18n import api_error_body

DRAIN_LIMIT = 256 * MIB  # beyond this a client is not uploading a scan: let it be cut off


def drain_body(limit: int = DRAIN_LIMIT) -> None:
    """Read and drop what is left of the request's body, at most `limit` bytes."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    left = min(request.content_length or limit, limit)
    try:
        while left > 0:
            chunk = stream.read(min(64 * 1024, left))
            if not chunk:
                break
            left -= len(chunk)
    except (OSError, ValueError):
        pass  # the client went away: nothing left to answer


def register_too_large(app: Any, settings: Settings) -> None:
    """Answer 413 with the limit (the app's MAX_CONTENT_LENGTH, set from the settings)."""

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]

        drain_body()
        limit = int(app.config.get("MAX_CONTENT_LENGTH") or settings.max_request_bytes)
        megabytes = f"{limit / MIB:g}"
        if is_staff_page():
            from flask_babel import gettext

            return html_error(gettext("The request is larger than %(megabytes)s MB: attach fewer or "
                                      "smaller files.", megabytes=megabytes), 413)
        message = tr("Запрос больше %(megabytes)s МБ: приложите меньше файлов или файлы меньшего "
                     "размера", megabytes=megabytes)
        return jsonify(api_error_body("too_large", message)), 413
