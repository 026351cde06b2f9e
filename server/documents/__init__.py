"""Documents: rendering .docx templates, register numbers, Russian name declension."""

from server.documents.render import (
    REGISTER_FORMATS,
    TemplateRenderError,
    decline_full_name,
    format_number,
    render_docx,
    template_variables,
)

__all__ = [
    "REGISTER_FORMATS",
    "TemplateRenderError",
    "decline_full_name",
    "format_number",
    "render_docx",
    "template_variables",
]
