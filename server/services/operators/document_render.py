"""`document/render` (params: `template`, e.g. 'order_transfer_in' for templates/
order_transfer_in_ru.docx and _kk.docx; `register`, e.g. 'orders'; optional `languages`, the
languages to issue in, e.g. the application's `languages` — Russian and Kazakh when not given):
issues the document in its register in a background job, which resumes the case
(server/services/documents/issue.py)."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from server.documents.checking import (
    TemplateProblem,
    check_template,
    example_context,
    example_path,
    template_path,
)
from server.documents.contexts import BUILDERS
from server.services.context import Operator, ParamCheck
from server.services.documents.issue import DOCUMENT_LANGUAGES, LANGUAGES, render_case_document
from server.services.documents.registers import REGISTERS
from server.services.documents.template_versions import problem_message
from server.services.errors import joined, tr


def _literal(expression: str | None) -> object:
    try:
        return ast.literal_eval(expression or "")
    except (ValueError, SyntaxError):
        return None


def _template_problems(templates_dir: Path, base: str,
                       languages: tuple[str, ...] = LANGUAGES) -> list[TemplateProblem]:
    """The base's files of `languages` rendered with its example context; remembered per
    file state, so deploying many models renders each template once."""
    paths = [template_path(templates_dir, base, lang) for lang in languages]
    example = example_path(templates_dir, base)
    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in [*paths, example] if p.is_file())
    return _checked(templates_dir, base, languages, stamp)


@lru_cache(maxsize=128)
def _checked(templates_dir: Path, base: str, languages: tuple[str, ...],
             _stamp: tuple[tuple[int, int], ...]) -> list[TemplateProblem]:
    if not example_path(templates_dir, base).is_file():
        return [TemplateProblem(f"{base}.example.json", "no_example")]
    context = example_context(templates_dir, base)
    return [p for lang in languages
            for p in check_template(f"{base}_{lang}.docx", template_path(templates_dir, base, lang), context)]


def _languages(expression: str | None) -> tuple[tuple[str, ...], list[str]]:
    """The languages whose files a call may render: Russian and Kazakh without `languages`;
    those of a literal list; every document language for an expression (the application's
    choice). With the problems of a literal that names an unknown language."""
    if not expression:
        return LANGUAGES, []
    value = _literal(expression)
    if value is None:
        return DOCUMENT_LANGUAGES, []
    chosen = [value] if isinstance(value, str) else value
    if not isinstance(chosen, (list, tuple)) or not chosen \
            or any(x not in DOCUMENT_LANGUAGES for x in chosen):
        return LANGUAGES, [tr("оператор document/render: параметр languages — список языков из %(known)s",
                              known=", ".join(DOCUMENT_LANGUAGES))]
    return tuple(x for x in DOCUMENT_LANGUAGES if x in chosen), []


def _check(check: ParamCheck) -> list[str]:
    template = _literal(check.params.get("template"))
    if not isinstance(template, str):
        return [tr("оператор document/render: параметр template должен быть строкой в кавычках "
                   "('order_…')")]
    languages, problems = _languages(check.params.get("languages"))
    if template not in BUILDERS:
        problems.append(tr("оператор document/render: для шаблона «%(template)s» нет построителя "
                           "контекста документа", template=template))
    if check.templates_dir is not None:
        missing = [f"{template}_{lang}.docx" for lang in languages
                   if not (check.templates_dir / f"{template}_{lang}.docx").is_file()]
        if missing:
            problems.append(tr("оператор document/render: нет файла шаблона %(files)s в templates/",
                               files=", ".join(missing)))
        else:
            problems += [tr("оператор document/render: %(problem)s", problem=problem_message(p))
                         for p in _template_problems(check.templates_dir, template, languages)]
    register = _literal(check.params.get("register") or "'orders'")
    if register not in REGISTERS:
        problems.append(tr("оператор document/render: неизвестный журнал «%(register)s»; допустимы: "
                           "%(known)s", register=register, known=", ".join(REGISTERS)))
    return [joined(problems)] if problems else []


OPERATOR = Operator("document/render", "background", "issue a document from a template",
                    run_job=render_case_document, check=_check)
