"""Step deadlines live in the service catalog, not in the models: every timer that names a
step's deadline finds it in config/catalog.yaml, and every deadline there is used."""

from __future__ import annotations

import re
from pathlib import Path

from server.domain.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
STEP = re.compile(r"step_(?:deadline|days)\(service_code, '([a-z_]+)'\)")


def _models() -> dict[str, str]:
    models = {}
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        text = path.read_text(encoding="utf-8")
        models[re.search(r'<bpmn:process id="([^"]+)"', text).group(1)] = text
    return models


def test_timers_read_their_deadline_from_the_catalog():
    catalog = load_catalog(ROOT / "config" / "catalog.yaml")
    for process_id, text in _models().items():
        steps = dict(catalog.service(process_id).step_deadlines)
        used = set(STEP.findall(text))
        assert used <= steps.keys(), f"{process_id}: {sorted(used - steps.keys())} not in step_deadlines"
        # a fixed number of working days in a timer belongs in the catalog
        assert not re.search(r"timeDuration[^>]*>working_days\(\d+\)<", text), process_id
        for step in used:  # each named step is a task of the model
            assert f'id="{step}"' in text, (process_id, step)


def test_every_catalog_step_deadline_is_used():
    catalog = load_catalog(ROOT / "config" / "catalog.yaml")
    models = _models()
    for service in catalog:
        if service.code not in models or service.code == "foreign_registration":
            continue  # foreign registration's deadlines: config/procedures.yaml (order № 923 switch)
        unused = set(service.step_deadlines) - set(STEP.findall(models[service.code]))
        assert not unused, f"{service.code}: step_deadlines {sorted(unused)} are used by no timer"
