"""The JSON REST API under /api/v1 (OpenAPI generated from the code at /api/v1/openapi.json)."""

from server.api.routes import api_bp

__all__ = ["api_bp"]
