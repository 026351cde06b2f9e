"""The JSON REST API under /api/v1 (OpenAPI generated from the code at /api/v1/openapi.json)."""

from server.api.fast_dump import install

install()  # before any route declares its output schema

from server.api import message_routes, record_routes, sheet_routes  # noqa: E402,F401  (their routes join api_bp and admin_bp)
from server.api.routes import api_bp  # noqa: E402

__all__ = ["api_bp"]
