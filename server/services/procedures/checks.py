"""`regoffice check`: every model, form and template, validated together."""

from __future__ import annotations

from server.documents.checking import check_folder
from server.engine import ModelError, compile_model
from server.engine.metadata import missing_names
from server.engine.xmlsafe import parse_untrusted
from server.services.context import AppContext
from server.services.documents.template_versions import problem_message
from server.services.procedures.deployments import catalog_codes, check_operators
from server.services.tasks.forms import FormRegistry


def check_all(ctx: AppContext) -> list[str]:
    """Problems of every model, form and template (the same checks as at deploy); the
    context needs no database."""
    settings = ctx.settings
    problems: list[str] = []
    forms = FormRegistry(settings.forms_dir)
    problems += forms.check_all()
    files = sorted(settings.workflows_dir.glob("*.dmn")) + sorted(settings.workflows_dir.glob("*.bpmn"))
    sources = {p.name: p.read_text(encoding="utf-8") for p in files}
    allowed = ctx.script_functions.names
    codes = catalog_codes(ctx)
    for path in files:
        try:
            model = compile_model(path.name, sources[path.name], sources, form_exists=forms.exists,
                                  allowed_calls=allowed)
            for pid in model.ids:  # the same operator checks as at deploy
                check_operators(ctx.operators, path.name, model.bundles[pid], codes,
                                settings.templates_dir)
        except ModelError as exc:
            problems += [f"workflows/{issue}" for issue in exc.issues]
        if path.suffix == ".bpmn":  # the office reads every step's name in ru, kk and en
            problems += [f"workflows/{issue}" for issue in
                         missing_names(path.name, [parse_untrusted(sources[path.name])])]
    # Every template, named by a model or not, renders with its example context.
    problems += [f"templates: {problem_message(p)}" for p in check_folder(settings.templates_dir)]
    return problems
