"""Moving a procedure's running cases to a newer deployed version (the office fixes a model
mid-year while cases are open). A dry run lists, per case, the steps it is at and whether
the new version has them (by element id); the real run moves those that can, one
transaction per case, and leaves the others on their version with the reason. Every case
gets an audit event either way."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import DEPLOYERS
from server.engine import EngineError, MigrationPlan
from server.models import Case, ProcessDefinition
from server.models.case import OPEN_STATUSES
from server.services.cases.audit_trail import audit
from server.services.cases.lifecycle import lock_case
from server.services.cases.steps import persist_step
from server.services.context import AppContext
from server.services.errors import Forbidden, Msg, NotFound, tr
from server.services.procedures.deployments import definition_info


@dataclass(frozen=True)
class CaseMigration:
    case_id: int
    from_version: int
    to_version: int
    at: list[str]  # element ids the case is at
    missing: list[str]  # of those, the ones the new version lacks
    action: str  # dry run: "migrate" | "stay"; real run: "migrated" | "stayed"
    reason: Msg | None = None


def migrate_cases(ctx: AppContext, actor: Actor, process_id: str, to_version: int, *,
                  dry_run: bool) -> list[CaseMigration]:
    if not actor.has_any(DEPLOYERS):
        raise Forbidden("Переносить дела на другую версию процедуры может только администратор")
    with ctx.db.read() as session:
        target = session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.process_id == process_id, ProcessDefinition.version == to_version,
            ProcessDefinition.kind == "bpmn"))
        if target is None:
            raise NotFound("У процедуры «%(process_id)s» нет развёрнутой версии %(version)s",
                           {"to_version": tr("Нет такой версии")}, process_id=process_id, version=to_version)
        target_id = target.id
        versions = dict(session.execute(select(ProcessDefinition.id, ProcessDefinition.version)
                                        .where(ProcessDefinition.process_id == process_id)).all())
        cases = session.execute(select(Case.id, Case.definition_id).where(
            Case.process_id == process_id, Case.status.in_(OPEN_STATUSES),
            Case.definition_id != target_id).order_by(Case.id)).all()
    results = []
    for case_id, definition_id in cases:
        from_version = versions.get(definition_id, 0)
        try:
            with ctx.db.unit_of_work() as session:
                results.append(_migrate_one(ctx, session, actor, case_id, (from_version, to_version),
                                            target_id, dry_run=dry_run))
        except EngineError as exc:  # the case stays as it was (the transaction rolled back)
            results.append(_refused(ctx, actor, case_id, from_version, to_version,
                                    tr("процесс остановился с ошибкой: %(error)s", error=exc)))
    return results


def _migrate_one(ctx: AppContext, session: Session, actor: Actor, case_id: int,
                 versions: tuple[int, int], target_id: int, *, dry_run: bool) -> CaseMigration:
    case = lock_case(ctx, session, case_id)
    old = definition_info(ctx, session, case.definition_id).bundle
    new = definition_info(ctx, session, target_id).bundle
    instance = ctx.restore_instance(old, case.state)
    if dry_run:
        return _result(case_id, *versions, instance.migration_plan(new), dry_run=True)
    plan = instance.migrate_to(new)
    result = _result(case_id, *versions, plan, dry_run=False)
    if plan.possible:
        calls = instance.run()
        case.definition_id = target_id
        persist_step(ctx, session, case, instance, calls, actor)
    audit(session, case, actor, "case_migrated" if plan.possible else "case_not_migrated",
          {"from_version": versions[0], "to_version": versions[1], "at": plan.at,
           "missing": plan.missing, "reason": result.reason})
    return result


def _result(case_id: int, from_version: int, to_version: int, plan: MigrationPlan, *,
            dry_run: bool) -> CaseMigration:
    reason = None
    if plan.missing:
        reason = tr("в версии %(version)s нет шагов, на которых стоит дело: %(elements)s",
                    version=to_version, elements=", ".join(plan.missing))
    elif plan.removed_subprocesses:
        reason = tr("в версии %(version)s нет вызываемого процесса: %(elements)s",
                    version=to_version, elements=", ".join(plan.removed_subprocesses))
    if dry_run:
        action = "migrate" if plan.possible else "stay"
    else:
        action = "migrated" if plan.possible else "stayed"
    return CaseMigration(case_id, from_version, to_version, plan.at, plan.missing, action, reason)


def _refused(ctx: AppContext, actor: Actor, case_id: int, from_version: int, to_version: int,
             reason: Msg) -> CaseMigration:
    """A case whose move failed in the engine stays as it was; the refusal is audited."""
    with ctx.db.unit_of_work() as session:
        case = lock_case(ctx, session, case_id)
        audit(session, case, actor, "case_not_migrated",
              {"from_version": from_version, "to_version": to_version, "reason": reason})
    return CaseMigration(case_id, from_version, to_version, [], [], "stayed", reason)
