"""Bearer-token authentication for the API."""

from __future__ import annotations

from apiflask import HTTPTokenAuth
from flask import current_app

from server.auth import Actor
from server.services.errors import tr
from server.services.people.users import actor_for_token
from server.web.i18n import api_error_body

token_auth = HTTPTokenAuth(scheme="Bearer", description="API token created by `regoffice users token`")


@token_auth.verify_token
def _verify(token: str) -> Actor | None:
    if not token:
        return None
    return actor_for_token(current_app.extensions["regoffice"], token)


@token_auth.error_processor
def _auth_error(error):  # type: ignore[no-untyped-def]
    return (api_error_body("unauthorized",
                           tr("Нужна авторизация: передайте заголовок Authorization: Bearer <токен>")),
            401, {"WWW-Authenticate": 'Bearer realm="regoffice"'})


def current_actor() -> Actor:
    actor = token_auth.current_user
    assert isinstance(actor, Actor)
    return actor
