"""Admin REST endpoints: background work status, incidents, retry and skip of failed jobs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from apiflask import APIBlueprint

from server.api import schemas as s
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, ctx
from server.services.background import operations

admin_bp = APIBlueprint("admin", __name__, url_prefix="/api/v1/admin", tag="admin")


@admin_bp.get("/status")
@admin_bp.auth_required(token_auth)
@admin_bp.output(s.OpsStatusOut)
@admin_bp.doc(summary="Background work: queue depth, oldest due job, next timers, incidents, "
              "worker heartbeat (admins, registrar head)", **_auth_doc())
def ops_status():  # type: ignore[no-untyped-def]
    return operations.status(ctx(), current_actor()).to_dict()


@admin_bp.get("/incidents")
@admin_bp.auth_required(token_auth)
@admin_bp.output(s.IncidentListOut)
@admin_bp.doc(summary="Open incidents: background jobs that failed every attempt", **_auth_doc())
def list_incidents():  # type: ignore[no-untyped-def]
    return {"items": [asdict(i) for i in operations.list_incidents(ctx(), current_actor())]}


@admin_bp.post("/jobs/<int:job_id>/retry")
@admin_bp.auth_required(token_auth)
@admin_bp.output(s.JobOut)
@admin_bp.doc(summary="Run a failed job again (admins, registrar head)", **_auth_doc(409))
def retry_job(job_id: int):  # type: ignore[no-untyped-def]
    return asdict(operations.retry_job(ctx(), current_actor(), job_id))


@admin_bp.post("/jobs/<int:job_id>/skip")
@admin_bp.auth_required(token_auth)
@admin_bp.input(s.SkipIn, arg_name="body")
@admin_bp.output(s.JobOut)
@admin_bp.doc(summary="Skip a failed job with a reason; a waiting step of the case completes "
              "as skipped and the case moves on (admins, registrar head)", **_auth_doc(409, 422))
def skip_job(job_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return asdict(operations.skip_job(ctx(), current_actor(), job_id, body["reason"]))
