"""Parse and validate models at deploy; load cached process bundles at run time.

A deployed version stores its *sources* (the BPMN plus the DMN and BPMN files it calls),
never a serialized spec: parsing ~10 ms once per version per process is cheaper than
keeping a second representation in sync, and the sources also draw the diagram.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser

from server.engine.errors import ModelError, ModelIssue, tr
from server.engine.metadata import collect_task_meta, xml_task_attributes
from server.engine.scripting import RegofficeServiceTask, reason_of
from server.engine.structure import (
    call_cycle,
    call_graph,
    data_store_issues,
    event_issues,
    lane_issues,
    quote_iso_timers,
    rotated,
)
from server.engine.validation import check_dmn_code, check_model_code
from server.engine.xmlsafe import UnsafeXML, parse_untrusted

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


class RegofficeSpiffParser(SpiffBpmnParser):
    """Spiff parser whose service tasks are executed by the server (sync or async)."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, RegofficeServiceTask),
    }


def _parser_for(dialect: str) -> SpiffBpmnParser | CamundaParser:
    return CamundaParser() if dialect == "camunda" else RegofficeSpiffParser()


def _is_dmn(root: etree._Element) -> bool:
    return etree.QName(root).localname == "definitions" and "DMN" in (etree.QName(root).namespace or "")


def _dialect(root: etree._Element) -> str:
    if _is_dmn(root):
        return "dmn"
    # Camunda Modeler declares its namespace on the root; a hand-edited file may declare it
    # on the element that uses it, so attributes are checked too.
    if CAMUNDA_NS in root.nsmap.values():
        return "camunda"
    camunda_attr = f"{{{CAMUNDA_NS}}}"
    for el in root.iter():
        if isinstance(el.tag, str) and any(k.startswith(camunda_attr) for k in el.attrib):
            return "camunda"
    return "spiff"


@dataclass
class CompiledModel:
    """The result of compiling one uploaded file (with its dependencies)."""

    filename: str
    kind: str  # "bpmn" | "dmn"
    dialect: str  # "spiff" | "camunda" | "dmn"
    ids: list[str]  # executable process ids, or decision ids for a DMN file
    names: dict[str, str] = field(default_factory=dict)
    # Per process id: the files this version needs, its hash, task metadata, derived forms.
    bundles: dict[str, dict[str, str]] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    task_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)


def content_hash(sources: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return digest.hexdigest()


def _index_sources(sources: dict[str, str]) -> tuple[dict[str, etree._Element], list[ModelIssue]]:
    roots: dict[str, etree._Element] = {}
    issues: list[ModelIssue] = []
    for name, text in sources.items():
        try:
            roots[name] = parse_untrusted(text)
        except UnsafeXML as exc:
            issues.append(ModelIssue(name, None, reason_of(exc)))
    return roots, issues


def _provided_ids(root: etree._Element) -> tuple[set[str], set[str]]:
    """Executable process ids and decision ids a document provides."""
    processes = {
        el.get("id") for el in root.iter(f"{{{BPMN_NS}}}process")
        if el.get("isExecutable", "true").lower() == "true"
    }
    decisions = {
        el.get("id") for el in root.iter() if isinstance(el.tag, str)
        and etree.QName(el).localname == "decision" and _is_dmn(root)
    }
    return {p for p in processes if p}, {d for d in decisions if d}


def _required_ids(root: etree._Element) -> tuple[set[str], set[str]]:
    """Processes called by call activities and decisions called by business rule tasks."""
    called = {el.get("calledElement") for el in root.iter(f"{{{BPMN_NS}}}callActivity")}
    decisions = {el.text.strip() for el in root.iter(f"{{{SPIFF_NS}}}calledDecisionId") if el.text}
    decisions |= {el.get(f"{{{CAMUNDA_NS}}}decisionRef")
                  for el in root.iter(f"{{{BPMN_NS}}}businessRuleTask")}
    return {c for c in called if c}, {d for d in decisions if d}


def call_dependencies(root: etree._Element) -> tuple[set[str], set[str]]:
    """The process ids a model file provides and the ones its call activities call (deploying
    a folder deploys the called ones first)."""
    return _provided_ids(root)[0], _required_ids(root)[0]


def _closure(
    primary: str, roots: dict[str, etree._Element]
) -> tuple[dict[str, etree._Element], list[ModelIssue]]:
    """The primary file plus every file it needs, transitively."""
    providers: dict[str, str] = {}
    for name, root in roots.items():
        procs, decs = _provided_ids(root)
        for ident in procs | decs:
            providers.setdefault(ident, name)
    needed = {primary: roots[primary]}
    queue = [primary]
    issues: list[ModelIssue] = []
    while queue:
        calls, decisions = _required_ids(roots[queue.pop()])
        for ident in sorted(calls | decisions):
            src = providers.get(ident)
            if src is None:
                reason = (tr("вызываемый процесс «%(ident)s» не развёрнут: сначала разверните его файл",
                             ident=ident) if ident in calls else
                          tr("вызываемое решение (DMN) «%(ident)s» не развёрнуто: сначала разверните "
                             "его файл",
                             ident=ident))
                issues.append(ModelIssue(primary, ident, reason))
            elif src not in needed:
                needed[src] = roots[src]
                queue.append(src)
    return needed, issues


def compile_model(
    filename: str,
    primary: str,
    available: dict[str, str] | None = None,
    *,
    form_exists: Any = None,
    allowed_calls: frozenset[str] = frozenset(),
) -> CompiledModel:
    """Validate a BPMN or DMN file. Raises `ModelError` listing every issue found.

    `available` holds other deployed files (by filename) that call activities and business
    rule tasks may refer to; only those actually needed join the version's sources.
    """
    sources = {**(available or {}), filename: primary}
    roots, issues = _index_sources({filename: primary})
    if issues:
        raise ModelError(issues)
    root = roots[filename]
    dialect = _dialect(root)
    if dialect == "dmn":
        return _compile_dmn(filename, primary, root, allowed_calls)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise ModelError([ModelIssue(filename, None, tr("это не документ BPMN 2.0 или DMN"))])
    others, _ = _index_sources({k: v for k, v in sources.items() if k != filename})
    others[filename] = root
    needed, issues = _closure(filename, others)
    if issues:
        raise ModelError(issues)
    process_ids, _ = _provided_ids(root)
    if not process_ids:
        raise ModelError([ModelIssue(filename, None,
                                     tr("нет исполняемого процесса (isExecutable=\"true\")"))])
    issues = [issue for name, doc in needed.items() if not _is_dmn(doc)
              for issue in lane_issues(name, doc) + data_store_issues(name, doc) + event_issues(name, doc)]
    if issues:
        raise ModelError(issues)
    graph = call_graph(needed.values())
    cycles = {rotated(c) for pid in sorted(process_ids) if (c := call_cycle(pid, graph)) is not None}
    if cycles:
        raise ModelError([ModelIssue(filename, cycle[0], tr(
            "вызовы процессов образуют цикл %(cycle)s: такой процесс вкладывал бы подпроцессы без "
            "конца; разорвите цикл", cycle=" → ".join(cycle))) for cycle in sorted(cycles)])
    model = CompiledModel(filename, "bpmn", dialect, sorted(process_ids))
    bundle_sources = {name: sources[name] for name in needed}
    parser = _parse(dialect, needed, filename)
    xml_attrs = xml_task_attributes(needed.values())
    for pid in model.ids:
        spec, subs = _get_specs(parser, pid, filename)
        model.names[pid] = spec.description or pid
        all_specs = [spec, *subs.values()]
        issues += check_model_code(filename, all_specs, allowed_calls)
        meta, forms, meta_issues = collect_task_meta(filename, all_specs, xml_attrs, form_exists)
        issues += meta_issues
        model.task_meta[pid] = meta
        model.forms.update(forms)
        model.bundles[pid] = bundle_sources
        model.hashes[pid] = content_hash(bundle_sources)
    if issues:
        raise ModelError(issues)
    return model


def _compile_dmn(filename: str, text: str, root: etree._Element, allowed: frozenset[str]) -> CompiledModel:

    parser = RegofficeSpiffParser()
    try:
        parser.add_dmn_xml(root, filename)
    except (ValidationException, SpiffWorkflowException, Exception) as exc:
        raise ModelError([ModelIssue(filename, None, tr("ошибка в DMN: %(detail)s", detail=exc))]) from None
    _, decisions = _provided_ids(root)
    if not decisions:
        raise ModelError([ModelIssue(filename, None, tr("в файле DMN нет ни одного решения (decision)"))])
    issues = check_dmn_code(filename, root, allowed)
    if issues:
        raise ModelError(issues)
    model = CompiledModel(filename, "dmn", "dmn", sorted(decisions))
    for did in model.ids:
        model.names[did] = did
        model.bundles[did] = {filename: text}
        model.hashes[did] = content_hash({filename: text})
    return model


def _parse(dialect: str, roots: dict[str, etree._Element], primary: str) -> Any:
    parser = _parser_for(dialect)
    for name, root in roots.items():
        try:
            if _is_dmn(root):
                parser.add_dmn_xml(root, name)
            else:
                parser.add_bpmn_xml(root.getroottree(), name)
        except ValidationException as exc:
            raise ModelError([_issue_from(exc, name)]) from None
        except SpiffWorkflowException as exc:
            raise ModelError([ModelIssue(name, None,
                                         tr("модель не разбирается: %(detail)s", detail=exc))]) from None
    return parser


def _get_specs(parser: Any, pid: str, filename: str) -> tuple[BpmnProcessSpec, dict[str, Any]]:
    try:
        spec, subs = parser.get_spec(pid), parser.get_subprocess_specs(pid)
        quote_iso_timers([spec, *subs.values()])
        return spec, subs
    except ValidationException as exc:
        raise ModelError([_issue_from(exc, filename)]) from None
    except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ModelError([ModelIssue(filename, pid, tr("модель не разбирается: %(detail)s",
                                                       detail=f"{type(exc).__name__}: {exc}"))]) from None


def _issue_from(exc: ValidationException, filename: str) -> ModelIssue:
    element = getattr(exc, "id", None) or getattr(exc, "name", None)
    message = exc.args[0] if exc.args else str(exc)
    return ModelIssue(getattr(exc, "file_name", None) or filename, element or None,
                      tr("модель не разбирается: %(detail)s", detail=message))


@dataclass
class ProcessBundle:
    """A parsed process version, cached per definition id for the life of the process."""

    definition_id: int
    process_id: str
    dialect: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, Any]
    task_meta: dict[str, Any]

    def start_inputs(self) -> frozenset[str]:
        """The start data the process declares: its BPMN data inputs (`ioSpecification`
        with `dataInput` elements listed in an `inputSet`)."""
        io = self.spec.io_specification
        return frozenset(ref.bpmn_id for ref in (io.data_inputs if io is not None else []))

    def result_variables(self) -> frozenset[str]:
        """The variables the process's service tasks write (`resultVariable`)."""
        specs = [self.spec, *self.subprocess_specs.values()]
        return frozenset(name for spec in specs for task in spec.task_specs.values()
                         if isinstance(name := getattr(task, "result_variable", None), str) and name)


_CACHE: OrderedDict[tuple[str, str], ProcessBundle] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256


def load_bundle(
    definition_id: int, process_id: str, dialect: str, sources: dict[str, str],
    task_meta: dict[str, Any], content_hash: str,
) -> ProcessBundle:
    """Parse a stored version once; later calls return the cached bundle.

    The cache is keyed by content (process id + hash), so it is correct across databases."""
    key = (process_id, content_hash)
    with _CACHE_LOCK:
        bundle = _CACHE.get(key)
        if bundle is not None:
            _CACHE.move_to_end(key)
            return bundle
    roots = {name: parse_untrusted(text) for name, text in sources.items()}
    primary = next(n for n, r in roots.items() if process_id in _provided_ids(r)[0])
    parser = _parse(dialect, roots, primary)
    spec, subs = _get_specs(parser, process_id, primary)
    bundle = ProcessBundle(definition_id, process_id, dialect, spec, subs, task_meta)
    with _CACHE_LOCK:
        _CACHE[key] = bundle
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return bundle
