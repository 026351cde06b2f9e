"""`regoffice check`: every model, form and template, validated together."""

from __future__ import annotations

from server.config import Settings
from server.engine import ModelError, compile_model
from server.services.forms import FormRegistry


def check_all(settings: Settings) -> list[str]:
    from server.services.context import AppContext
    from server.services.deployments import catalog_codes, check_operators

    problems: list[str] = []
    forms = FormRegistry(settings.forms_dir)
    problems += forms.check_all()
    files = sorted(settings.workflows_dir.glob("*.dmn")) + sorted(settings.workflows_dir.glob("*.bpmn"))
    sources = {p.name: p.read_text(encoding="utf-8") for p in files}
    ctx = AppContext(settings, db=None)  # type: ignore[arg-type]
    allowed = ctx.script_functions.names
    codes = catalog_codes(ctx)
    for path in files:
        try:
            model = compile_model(path.name, sources[path.name], sources, form_exists=forms.exists,
                                  allowed_calls=allowed)
            for pid in model.ids:  # the same operator checks as at deploy
                check_operators(path.name, model.bundles[pid], codes)
        except ModelError as exc:
            problems += [f"workflows/{issue}" for issue in exc.issues]
    problems += _check_templates(settings, sources)
    return problems


def _check_templates(settings: Settings, sources: dict[str, str]) -> list[str]:
    """Every template a model's document step names exists in templates/ (ru and kk)."""
    import re

    problems = []
    for name, text in sources.items():
        for match in re.finditer(r'id="template"[^>]*value="\'([^\']+)\'"', text):
            template = match.group(1)
            for lang in ("ru", "kk"):
                if not (settings.templates_dir / f"{template}_{lang}.docx").is_file():
                    problems.append(f"workflows/{name}: template '{template}_{lang}.docx' "
                                    "not found in templates/")
    return problems
