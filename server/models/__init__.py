"""ORM models, one aggregate per module. Importing this package registers every table."""

from server.models.attachment import Attachment
from server.models.audit import AuditEvent
from server.models.batch import BatchOrderItem
from server.models.case import Case
from server.models.document import Document, RegisterCounter
from server.models.message import MessageDelivery, MessageWait
from server.models.ops import Heartbeat
from server.models.outbox import OutboxJob, Timer
from server.models.process import ProcessDefinition
from server.models.record import (
    CurriculumItem,
    Discipline,
    GradeSheet,
    GradeSheetLine,
    RecordImport,
    RecordImportRow,
    Result,
)
from server.models.registry import StudentChange
from server.models.report import ReportSnapshot, ServiceComplaint
from server.models.signin import LoginThrottle, UserSession
from server.models.student import Faculty, Programme, Student
from server.models.task import HumanTask
from server.models.template import OfficeSetting, OfficeSettingChange, TemplateVersion
from server.models.user import ApiToken, Substitution, User, UserRole

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "BatchOrderItem",
    "Case",
    "CurriculumItem",
    "Discipline",
    "Document",
    "Faculty",
    "GradeSheet",
    "GradeSheetLine",
    "Heartbeat",
    "HumanTask",
    "LoginThrottle",
    "MessageDelivery",
    "MessageWait",
    "OfficeSetting",
    "OfficeSettingChange",
    "OutboxJob",
    "ProcessDefinition",
    "Programme",
    "RecordImport",
    "RecordImportRow",
    "RegisterCounter",
    "ReportSnapshot",
    "Result",
    "ServiceComplaint",
    "Student",
    "StudentChange",
    "Substitution",
    "TemplateVersion",
    "Timer",
    "User",
    "UserRole",
    "UserSession",
]
