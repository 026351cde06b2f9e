"""Context builders: what each document template prints, built from a case's data.

One module per family of templates; each builder is registered under its template's name
(`@builder("order_transfer_in")`). A model's `document/render` step may name only a
template that has a builder here (checked at deploy and by `regoffice check`). The
nominative stays in the case data; declined forms are computed here for the wording.
"""

from __future__ import annotations

from server.documents.contexts import (
    certificates,
    contingent,
    letters,
    mobility,
    student_orders,
    transcripts,
    transfers,
)
from server.documents.contexts.common import BUILDERS, Builder, university

FAMILIES = (certificates, contingent, letters, mobility, student_orders, transcripts, transfers)

__all__ = ["BUILDERS", "FAMILIES", "Builder", "university"]
