"""Schemas of the messages endpoint and of case migration between versions."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length, Range

from server.db import DB_INT_MAX


class MessageIn(Schema):
    name = String(required=True, validate=Length(1, 200), metadata={
        "description": "the BPMN message's name (bpmn:message name=...)"})
    idempotency_key = String(required=True, validate=Length(1, 200), metadata={
        "description": "the sender's id of this message: a repeat with the same key delivers "
        "nothing again and answers the first delivery (200, duplicate true)"})
    case_id = Integer(load_default=None, allow_none=True, validate=Range(1, DB_INT_MAX), metadata={
        "description": "deliver into this case only"})
    correlation = Dict(keys=String(validate=Length(1, 200)), load_default=dict, metadata={
        "description": "correlation property id -> value (bpmn:correlationProperty); properties "
        "the payload holds (by their retrieval expression) need not be repeated here"})
    payload = Raw(load_default=dict, metadata={
        "description": "the message's content; an object's keys land in the case data (or in the "
        "variable the model names, spiffworkflow:messageVariable)"})


class MessageOut(Schema):
    id = Integer(required=True)
    name = String(required=True)
    outcome = String(required=True, metadata={
        "description": "delivered (into a waiting case) or started (a case on a message start event)"})
    case_id = Integer(required=True)
    element = String(allow_none=True, metadata={"description": "the catching element's BPMN id"})
    delivered_at = DateTime(required=True)
    duplicate = Boolean(required=True, metadata={"description": "true: this key was delivered before"})


class MigrateIn(Schema):
    to_version = Integer(required=True, validate=Range(1, DB_INT_MAX))
    dry_run = Boolean(load_default=True, metadata={"description": "list what would happen; change nothing"})


class CaseMigrationOut(Schema):
    case_id = Integer(required=True)
    from_version = Integer(required=True)
    to_version = Integer(required=True)
    at = List(String(), metadata={"description": "element ids the case is at"})
    missing = List(String(), metadata={"description": "of those, the ones the new version lacks"})
    action = String(required=True, metadata={
        "description": "dry run: migrate | stay; real run: migrated | stayed"})
    reason = String(allow_none=True)


class MigrationOut(Schema):
    process_id = String(required=True)
    to_version = Integer(required=True)
    dry_run = Boolean(required=True)
    items = List(Nested(CaseMigrationOut))
