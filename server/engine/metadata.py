"""Per-user-task metadata computed at deploy: lane, roles, form key, assignee, instructions,
the step's name in Kazakh and English.

Stored with the version, so projecting the inbox after a step is a dictionary lookup.

A model names its elements in Russian (`name`); the spiffworkflow properties `nameKk` and
`nameEn` give the same name in Kazakh and English (`element_names`). The process map, the
case's history and the inbox show the name in the UI's language.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from server.engine.errors import ModelIssue, tr

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
#: The property that names an element in a language other than the model's Russian `name`.
NAME_PROPERTIES = {"kk": "nameKk", "en": "nameEn"}
#: Named BPMN elements nobody reads a name of (a process's data inputs and outputs).
UNSHOWN_KINDS = frozenset({"definitions", "dataInput", "dataOutput", "dataObject", "dataObjectReference",
                           "inputSet", "outputSet", "ioSpecification"})
HUMAN_TAGS = ("userTask", "manualTask")
#: A user task's `dueDate` property: a path into the case data (`leave_end`, `difference.deadline`).
DUE_DATE_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def xml_task_attributes(roots: Iterable[etree._Element]) -> dict[str, dict[str, str]]:
    """camunda:* attributes of human tasks by element id (SpiffWorkflow ignores them)."""
    found: dict[str, dict[str, str]] = {}
    for root in roots:
        for tag in HUMAN_TAGS:
            for el in root.iter(f"{{{BPMN_NS}}}{tag}"):
                attrs = {
                    key: el.get(f"{{{CAMUNDA_NS}}}{key}")
                    for key in ("candidateGroups", "candidateUsers", "assignee", "formKey", "dueDate")
                }
                found[el.get("id", "")] = {k: v.strip() for k, v in attrs.items() if v}
    return found


def element_names(el: etree._Element) -> dict[str, str]:
    """An element's name by language: `ru` from its `name`, `kk`/`en` from its properties
    nameKk/nameEn (an absent one is left out)."""
    names = {"ru": (el.get("name") or "").strip()}
    ext = el.find(f"{{{BPMN_NS}}}extensionElements")
    if ext is not None:
        for prop in ext.iterfind(f"{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"):
            for lang, key in NAME_PROPERTIES.items():
                if prop.get("name") == key and (prop.get("value") or "").strip():
                    names[lang] = prop.get("value", "").strip()
    return names


def named_elements(roots: Iterable[etree._Element]) -> dict[str, dict[str, str]]:
    """Every named element people see (steps, events, gateways, flows, lanes, pools,
    processes): id -> its names by language."""
    found: dict[str, dict[str, str]] = {}
    for root in roots:
        for el in root.iter(f"{{{BPMN_NS}}}*"):
            kind = etree.QName(el).localname
            if kind in UNSHOWN_KINDS or not (el.get("name") or "").strip() or not el.get("id"):
                continue
            found[el.get("id", "")] = element_names(el)
    return found


def missing_names(filename: str, roots: Iterable[etree._Element]) -> list[ModelIssue]:
    """The named elements without their Kazakh or English name (nameKk / nameEn): the
    shipped models name every element in three languages (`regoffice check`)."""
    issues = []
    for el_id, names in named_elements(roots).items():
        absent = [NAME_PROPERTIES[lang] for lang in ("kk", "en") if lang not in names]
        if absent:
            issues.append(ModelIssue(filename, el_id, tr(
                "у элемента «%(name)s» нет названия на казахском или английском (%(properties)s)",
                name=names["ru"], properties=", ".join(absent))))
    return issues


def _form_file_exists(form_exists: Callable[[str], bool] | None, form_key: str) -> bool:
    """Whether forms/<form_key>.schema.json exists; a key that cannot name a file does not."""
    if form_exists is None:
        return False
    try:
        return form_exists(form_key)
    except Exception:
        return False


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def collect_task_meta(
    filename: str,
    specs: list[Any],
    xml_attrs: dict[str, dict[str, str]],
    form_exists: Callable[[str], bool] | None,
) -> tuple[dict[str, Any], dict[str, Any], list[ModelIssue]]:
    meta: dict[str, Any] = {}
    forms: dict[str, Any] = {}
    issues: list[ModelIssue] = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            bpmn_id = task_spec.bpmn_id or task_spec.name
            ext = getattr(task_spec, "extensions", None) or {}
            props = ext.get("properties", {}) if isinstance(ext, dict) else {}
            attrs = xml_attrs.get(bpmn_id, {})
            roles = _split(props.get("role")) or _split(attrs.get("candidateGroups"))
            form_key = props.get("formKey") or attrs.get("formKey")
            camunda_form = getattr(task_spec, "form", None)
            has_file = bool(form_key) and _form_file_exists(form_exists, form_key)
            if camunda_form is not None and getattr(camunda_form, "fields", None) and not has_file:
                # Camunda Modeler writes a formKey for its own form engine ("Feature Request",
                # "embedded:app:forms/x.html"): with no such file here, the declared fields are the form.
                form_key = f"camunda:{spec.name}/{bpmn_id}"
                forms[form_key] = camunda_form_schema(task_spec.bpmn_name or bpmn_id, camunda_form)
            elif form_key and form_exists is not None and not has_file:
                issues.append(ModelIssue(filename, bpmn_id, tr(
                    "форма «%(form_key)s» не найдена (forms/%(form_key)s.schema.json), и задача не "
                    "объявляет полей camunda:formData", form_key=form_key)))
            due_date = props.get("dueDate")
            if due_date and not DUE_DATE_PATH.match(due_date.strip()):
                issues.append(ModelIssue(filename, bpmn_id, tr(
                    "свойство dueDate «%(value)s» должно называть данные дела (например, leave_end)",
                    value=due_date)))
            meta[task_spec.name] = {
                "bpmn_id": bpmn_id,
                "name": task_spec.bpmn_name or bpmn_id,
                # the step's name in Kazakh and English (properties nameKk, nameEn)
                "name_kk": props.get("nameKk"),
                "name_en": props.get("nameEn"),
                "lane": task_spec.lane,
                "roles": roles,
                "assignee": attrs.get("assignee"),
                "form_key": form_key,
                "instructions": ext.get("instructionsForEndUser") if isinstance(ext, dict) else None,
                # The same in Kazakh (property instructionsKk), shown when the UI speaks Kazakh.
                "instructions_kk": props.get("instructionsKk"),
                # e.g. "returned" on a return-for-correction step: the case shows that status
                "case_status": props.get("caseStatus"),
                # e.g. "issued" on the step that follows the signed order: the service is
                # rendered (decided) when this step opens, though the case goes on
                "case_decision": props.get("caseDecision"),
                # a data path (leave_end, notify_due): the task is due at the end of that day
                "due_date": due_date.strip() if due_date else None,
                "documentation": getattr(task_spec, "documentation", None),
            }
    return meta, forms, issues


_CAMUNDA_TYPES = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}


def camunda_form_schema(title: str, form: Any) -> dict[str, Any]:
    """Turn camunda:formData into a JSON Schema the server validates and the UI renders."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for fld in form.fields:
        prop: dict[str, Any] = dict(_CAMUNDA_TYPES.get(fld.type, {"type": "string"}))
        prop["title"] = fld.label or fld.id
        if fld.type == "enum":
            prop = {"type": "string", "title": prop["title"],
                    "enum": [o.id for o in fld.options],
                    "x-enum-titles": {"ru": [o.name for o in fld.options]}}
        if fld.default_value not in (None, ""):
            prop["default"] = _coerce_default(fld.default_value, prop.get("type"))
        for v in fld.validation:
            if v.name == "required" and str(v.config).lower() in ("true", "", "none"):
                required.append(fld.id)
            elif v.name in ("minlength", "maxlength") and str(v.config).isdigit():
                prop["minLength" if v.name == "minlength" else "maxLength"] = int(v.config)
            elif v.name in ("min", "max"):
                with contextlib.suppress(ValueError):
                    prop["minimum" if v.name == "min" else "maximum"] = float(v.config)
        properties[fld.id] = prop
    schema: dict[str, Any] = {"type": "object", "title": title, "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _coerce_default(value: str, json_type: str | None) -> Any:
    if json_type == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if json_type == "boolean":
        return str(value).lower() == "true"
    return value
