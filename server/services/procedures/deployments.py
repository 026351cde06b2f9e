"""Deploying BPMN/DMN models as versioned process definitions keyed by content hash."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import DEPLOYERS, ROLES
from server.engine import ModelError, ProcessBundle, compile_model, load_bundle
from server.engine.errors import ModelIssue
from server.engine.loader import SPIFF_NS, call_dependencies
from server.engine.xmlsafe import parse_untrusted
from server.hot_path import latest_definition_id as _latest_id
from server.models import AuditEvent, ProcessDefinition
from server.services.context import AppContext, OperatorRegistry, ParamCheck
from server.services.errors import Forbidden, ModelRejected, Msg, NotFound, joined, tr


@dataclass(frozen=True)
class DeployResult:
    process_id: str
    version: int
    definition_id: int
    created: bool  # False when the content was unchanged


def _available_sources(session: Session, exclude: str) -> dict[str, str]:
    """Latest deployed files, by filename, for resolving call activities and decisions."""
    rows = session.scalars(select(ProcessDefinition).where(ProcessDefinition.is_latest)).all()
    sources: dict[str, str] = {}
    for row in rows:
        for name, text in row.sources.items():
            if name != exclude:
                sources.setdefault(name, text)
    return sources


def check_operators(operators: OperatorRegistry, filename: str, bundle_sources: dict[str, str],
                    known_processes: frozenset[str] = frozenset(),
                    templates_dir: Path | None = None) -> None:
    """Every service task names an operator of the registry, with parameters its check
    accepts (a `case/start` of a catalog procedure, a `document/render` of a template that
    has its files and a context builder, registry changes an order can make…)."""
    issues = []
    for name, text in bundle_sources.items():
        for el in parse_untrusted(text).iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
            owner = el.getparent().getparent() if el.getparent() is not None else None
            owner_id = owner.get("id") if owner is not None else None
            operator = operators.get(str(el.get("id")))
            if operator is None:
                issues.append(ModelIssue(name, owner_id, tr(
                    "неизвестный оператор сервисной задачи «%(operator)s»; допустимы: %(known)s",
                    operator=el.get("id"), known=", ".join(sorted(operators.names)))))
                continue
            if operator.check is None:
                continue
            params = {p.get("id"): p.get("value") for p in el.iter(f"{{{SPIFF_NS}}}parameter")}
            for problem in operator.check(ParamCheck(params, known_processes, templates_dir)):
                issues.append(ModelIssue(name, owner_id, problem))
    if issues:
        raise ModelError(issues)


def _check_roles(ctx: AppContext, filename: str, task_meta: dict[str, Any]) -> None:
    """Every user task must go to a role people can hold: a lane missing from
    config/lanes.yaml or a mistyped candidateGroups would leave its tasks with no one."""
    issues = []
    for meta in task_meta.values():
        lane = meta.get("lane")
        roles = list(meta.get("roles") or []) or ([ctx.role_for_lane(lane)] if lane else [])
        for role in roles:
            if role not in ROLES:
                issues.append(ModelIssue(filename, meta.get("bpmn_id"),
                                         _unknown_role(lane, role, from_lane=not meta.get("roles"))))
    if issues:
        raise ModelError(issues)


def _unknown_role(lane: str | None, role: str, *, from_lane: bool) -> str:
    roles = ", ".join(ROLES)
    if from_lane:
        return tr("дорожка «%(lane)s»: неизвестная роль «%(role)s»; добавьте дорожку в config/lanes.yaml "
                  "или укажите роль из: %(roles)s", lane=lane, role=role, roles=roles)
    return tr("роль задачи: неизвестная роль «%(role)s»; добавьте дорожку в config/lanes.yaml или "
              "укажите роль из: %(roles)s", role=role, roles=roles)


def _reason(issue: ModelIssue) -> Msg:
    """The issue's reason as a translatable message (an engine `Text` becomes a `Msg`)."""
    return Msg("%(reason)s", {"reason": issue.reason})


def issues_text(issues: list[ModelIssue]) -> Msg:
    """Every issue as «file [element]: reason», joined by «; », each reason translatable."""
    return joined([Msg("%(where)s: %(reason)s", {"where": f"{i.file} [{i.element}]" if i.element else i.file,
                                                 "reason": i.reason}) for i in issues])


def catalog_codes(ctx: AppContext) -> frozenset[str]:
    try:
        return frozenset(service.code for service in ctx.catalog)
    except (FileNotFoundError, ImportError, ValueError):  # no catalog: any literal code
        return frozenset()


def deploy_file(ctx: AppContext, actor: Actor, filename: str, content: bytes | str,
                *, session: Session | None = None) -> list[DeployResult]:
    """Deploy one BPMN or DMN file. Unchanged content makes no new version."""
    if not actor.has_any(DEPLOYERS):
        raise Forbidden("Развёртывать модели может только администратор")
    filename = Path(filename).name
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    except UnicodeDecodeError:
        raise ModelRejected("Модель %(filename)s не принята: файл не в кодировке UTF-8",
                            {filename: tr("Сохраните модель в кодировке UTF-8")},
                            filename=filename) from None
    if session is not None:
        return _deploy(ctx, session, actor, filename, text)
    with ctx.db.unit_of_work() as s:
        return _deploy(ctx, s, actor, filename, text)


def _deploy(ctx: AppContext, session: Session, actor: Actor, filename: str, text: str) -> list[DeployResult]:
    forms = ctx.forms
    try:
        model = compile_model(
            filename, text, _available_sources(session, filename),
            form_exists=forms.exists, allowed_calls=ctx.script_functions.names,
        )
        codes = catalog_codes(ctx)
        for pid in model.ids:
            check_operators(ctx.operators, filename, model.bundles[pid], codes,
                            ctx.settings.templates_dir)
            _check_roles(ctx, filename, model.task_meta.get(pid, {}))
    except (ModelError, UnicodeDecodeError) as exc:
        issues = getattr(exc, "issues", [])
        fields = {f"{i.file}#{i.element or ''}".rstrip("#"): _reason(i) for i in issues}
        raise ModelRejected("Модель %(filename)s не принята: %(error)s", fields, filename=filename,
                            error=issues_text(issues) if issues else str(exc)) from None
    results = []
    for pid in model.ids:
        existing = session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.process_id == pid, ProcessDefinition.content_hash == model.hashes[pid]))
        if existing is not None:
            results.append(DeployResult(pid, existing.version, existing.id, False))
            continue
        last = session.scalar(select(ProcessDefinition.version).where(
            ProcessDefinition.process_id == pid).order_by(ProcessDefinition.version.desc()).limit(1))
        session.execute(update(ProcessDefinition).where(ProcessDefinition.process_id == pid)
                        .values(is_latest=False))
        row = ProcessDefinition(
            process_id=pid, kind=model.kind, dialect=model.dialect, version=(last or 0) + 1,
            name=model.names.get(pid, pid), filename=filename, content_hash=model.hashes[pid],
            sources=model.bundles[pid], task_meta=model.task_meta.get(pid, {}),
            forms=model.forms, is_latest=True, deployed_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        session.add(AuditEvent(actor_id=actor.user_id, kind="process_deployed",
                               payload={"process_id": pid, "version": row.version,
                                        "hash": row.content_hash, "file": filename}))
        results.append(DeployResult(pid, row.version, row.id, True))
    return results


def deploy_upload(ctx: AppContext, actor: Actor, filename: str, content: bytes) -> list[DeployResult]:
    """An uploaded file: checked for size and type before it is parsed."""
    if not actor.has_any(DEPLOYERS):
        raise Forbidden("Развёртывать модели может только администратор")
    if len(content) > ctx.settings.max_upload_bytes:
        limit = ctx.settings.max_upload_bytes
        raise ModelRejected("Файл слишком большой", {"file": tr("Не более %(limit)s байт", limit=limit)})
    if not filename.lower().endswith((".bpmn", ".dmn", ".xml")):
        raise ModelRejected("Ожидается файл .bpmn или .dmn", {"file": tr("Неверное расширение файла")})
    if not content.strip():
        raise ModelRejected("Файл пуст", {"file": tr("Пустой файл")})
    return deploy_file(ctx, actor, filename, content)


def deploy_folder(ctx: AppContext, actor: Actor, folder: Path) -> list[DeployResult]:
    """Deploy every model in a folder: DMN first, then BPMN (called processes first)."""
    files = sorted(folder.glob("*.dmn")) + _bpmn_in_call_order(sorted(folder.glob("*.bpmn")))
    results: list[DeployResult] = []
    with ctx.db.unit_of_work() as session:
        for path in files:
            results += deploy_file(ctx, actor, path.name, path.read_bytes(), session=session)
            session.flush()
    return results


def _bpmn_in_call_order(paths: list[Path]) -> list[Path]:
    """Files whose processes are called by others come first (simple dependency sort)."""
    info = {}
    for p in paths:
        root = parse_untrusted(p.read_bytes())
        info[p] = call_dependencies(root)
    ordered: list[Path] = []
    remaining = list(paths)
    while remaining:
        provided_later = set().union(*(info[p][0] for p in remaining))
        ready = [p for p in remaining if not (info[p][1] & provided_later - info[p][0])]
        ready = ready or remaining[:1]
        for p in ready:
            ordered.append(p)
            remaining.remove(p)
    return ordered


def latest_definition_id(session: Session, process_id: str) -> int:
    """The id of the version new cases start on (only the id: the sources are read once per
    version, by `definition_info`)."""
    found = _latest_id(session, process_id)  # read at every start: on the driver
    if found is None:
        raise NotFound("Процесс «%(process_id)s» не развёрнут", {"process_id": tr("Неизвестный процесс")},
                       process_id=process_id)
    return found


def bundle_for(definition: ProcessDefinition) -> ProcessBundle:
    return load_bundle(definition.id, definition.process_id, definition.dialect,
                       definition.sources, definition.task_meta, definition.content_hash)


@dataclass(frozen=True)
class DefinitionInfo:
    """What running a case needs of its (immutable) version, cached per process."""

    bundle: ProcessBundle
    version: int
    forms: dict[str, Any]


_DEFINITIONS: dict[tuple[str, int], DefinitionInfo] = {}


def definition_info(ctx: AppContext, session: Session, definition_id: int) -> DefinitionInfo:
    """A version by id without reading its sources again: versions never change, so the
    parsed bundle is cached for the life of the process (keyed by database and id)."""
    key = (ctx.db.url, definition_id)
    info = _DEFINITIONS.get(key)
    if info is None:
        row = session.get(ProcessDefinition, definition_id)
        if row is None:
            raise NotFound("Версия процесса не найдена")
        info = DefinitionInfo(bundle_for(row), row.version, dict(row.forms or {}))
        if len(_DEFINITIONS) > 1024:
            _DEFINITIONS.clear()
        _DEFINITIONS[key] = info
    return info


def list_definitions(ctx: AppContext, *, all_versions: bool = False) -> list[ProcessDefinition]:
    with ctx.db.read() as session:
        return definitions_in(session, all_versions=all_versions)


def definitions_in(session: Session, *, all_versions: bool = False) -> list[ProcessDefinition]:
    query = select(ProcessDefinition).order_by(ProcessDefinition.process_id,
                                               ProcessDefinition.version.desc())
    if not all_versions:
        query = query.where(ProcessDefinition.is_latest)
    return list(session.scalars(query).all())
