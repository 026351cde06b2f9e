"""Messages into cases (`POST /api/v1/messages`) and moving cases to another version
of their procedure (admins)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from server.api import message_schemas as ms
from server.api.admin_routes import admin_bp
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, api_bp, ctx
from server.services.cases import migration
from server.services.messages import delivery


@api_bp.post("/messages")
@api_bp.auth_required(token_auth)
@api_bp.input(ms.MessageIn, arg_name="body")
@api_bp.output(ms.MessageOut, status_code=201)
@api_bp.doc(summary="Deliver a BPMN message into the case waiting for it (or start a case on "
            "a message start event)",
            description="The case is found by the message's name and its correlation: `case_id`, "
            "the `correlation` values, or the properties the model reads from the payload. "
            "404 when no case waits for it (and no procedure starts with it), 409 when several "
            "cases match. One delivery per `idempotency_key`: a repeat answers the first result "
            "with status 200. Who may send: the registrar office, accounting, the international "
            "office, admins.", responses={
                **_auth_doc(409, 422)["responses"],
                200: {"description": "A repeat of a delivered idempotency key: the first delivery",
                      "content": {"application/json": {"schema": ms.MessageOut}}}})
def send_message(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    result = delivery.send_message(ctx(), current_actor(), delivery.MessageIn(**body))
    return asdict(result), 200 if result.duplicate else 201


@admin_bp.post("/processes/<process_id>/migrate")
@admin_bp.auth_required(token_auth)
@admin_bp.input(ms.MigrateIn, arg_name="body")
@admin_bp.output(ms.MigrationOut)
@admin_bp.doc(summary="Move the open cases of a procedure to another deployed version (admins)",
              description="dry_run (the default) lists per case the steps it is at and whether the "
              "version has them; a real run moves the cases that can and leaves the others with the "
              "reason, each audited.", **_auth_doc(422))
def migrate_cases(process_id: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    items = migration.migrate_cases(ctx(), current_actor(), process_id, body["to_version"],
                                    dry_run=body["dry_run"])
    return {"process_id": process_id, "to_version": body["to_version"], "dry_run": body["dry_run"],
            "items": [asdict(i) for i in items]}
