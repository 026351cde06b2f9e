"""`document/render` (params: `template`, e.g. 'order_transfer_in' for templates/
order_transfer_in_ru.docx and _kk.docx; `register`, e.g. 'orders'): issues the document in its
register in a background job, which resumes the case (server/services/documents/issue.py)."""

from __future__ import annotations

import ast

from server.documents.contexts import BUILDERS
from server.services.context import Operator, ParamCheck
from server.services.documents.issue import LANGUAGES, render_case_document
from server.services.documents.registers import REGISTERS
from server.services.errors import joined, tr


def _literal(expression: str | None) -> object:
    try:
        return ast.literal_eval(expression or "")
    except (ValueError, SyntaxError):
        return None


def _check(check: ParamCheck) -> list[str]:
    template = _literal(check.params.get("template"))
    if not isinstance(template, str):
        return [tr("оператор document/render: параметр template должен быть строкой в кавычках "
                   "('order_…')")]
    problems = []
    if template not in BUILDERS:
        problems.append(tr("оператор document/render: для шаблона «%(template)s» нет построителя "
                           "контекста документа", template=template))
    if check.templates_dir is not None:
        missing = [f"{template}_{lang}.docx" for lang in LANGUAGES
                   if not (check.templates_dir / f"{template}_{lang}.docx").is_file()]
        if missing:
            problems.append(tr("оператор document/render: нет файла шаблона %(files)s в templates/",
                               files=", ".join(missing)))
    register = _literal(check.params.get("register") or "'orders'")
    if register not in REGISTERS:
        problems.append(tr("оператор document/render: неизвестный журнал «%(register)s»; допустимы: "
                           "%(known)s", register=register, known=", ".join(REGISTERS)))
    return [joined(problems)] if problems else []


OPERATOR = Operator("document/render", "background", "issue a document from a template",
                    run_job=render_case_document, check=_check)
