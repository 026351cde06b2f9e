"""The process map of a case: the model's BPMN diagram (DI) drawn as SVG by the server, with
the steps already done, the step the case is at, and the path taken marked. Names are shown in
the page's language: an element's nameKk / nameEn property, else its (Russian) name.

Only the diagram interchange is read (shapes' bounds, edges' waypoints); a model without DI
gets a short note instead of a picture. Every name from the model is XML-escaped.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from server.engine.metadata import element_names
from server.engine.xmlsafe import parse_untrusted

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DD_DI = "http://www.omg.org/spec/DD/20100524/DI"  # waypoints live here, not in BPMN DI

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "○",
            "eventBasedGateway": "◇"}
CONTAINERS = {"participant", "lane"}
PAD = 10
CHAR_WIDTH = 6.2  # average width of a 11 px sans-serif character, for wrapping names


@dataclass
class _Shape:
    kind: str
    name: str
    x: float
    y: float
    w: float
    h: float
    timer: bool = False


@dataclass
class _Edge:
    source: str | None
    target: str | None
    name: str
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class ProcessMap:
    svg: str | None  # None when the model has no diagram
    done: tuple[str, ...]
    current: tuple[str, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(root) -> dict[str, tuple[str, object]]:  # type: ignore[no-untyped-def]
    """Every BPMN element with an id: id -> (kind, element)."""
    found = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith("{" + BPMN):
            continue
        el_id = el.get("id")
        if el_id:
            found[el_id] = (_local(el.tag), el)
    return found


def _wrap(text: str, width: float) -> list[str]:
    per_line = max(4, int((width - 8) / CHAR_WIDTH))
    return textwrap.wrap(text, per_line)[:5] or [""]


def _text(lines: list[str], cx: float, cy: float, css: str = "label") -> str:
    top = cy - (len(lines) - 1) * 6.5
    spans = "".join(f'<tspan x="{cx:.1f}" y="{top + i * 13:.1f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="{css}" text-anchor="middle" dominant-baseline="middle">{spans}</text>'


def _shape_svg(el_id: str, s: _Shape, state: str) -> str:
    cls = f"bpmn {s.kind} {state}".strip()
    title = f"<title>{escape(s.name or el_id)}</title>"
    cx, cy = s.x + s.w / 2, s.y + s.h / 2
    if s.kind in CONTAINERS:
        label = (f'<text class="lane-label" text-anchor="middle" dominant-baseline="middle" '
                 f'transform="translate({s.x + 15:.1f},{cy:.1f}) rotate(-90)">{escape(s.name)}</text>')
        return (f'<g class="{cls}" data-id={quoteattr(el_id)}><rect x="{s.x}" y="{s.y}" width="{s.w}" '
                f'height="{s.h}"/>{label}</g>')
    if s.kind in EVENTS:
        r = min(s.w, s.h) / 2
        inner = f'<circle class="inner" cx="{cx}" cy="{cy}" r="{r - 3:.1f}"/>' if s.timer else ""
        label = _text(_wrap(s.name, 110), cx, s.y + s.h + 14) if s.name else ""
        return (f'<g class="{cls}" data-id={quoteattr(el_id)}>{title}<circle cx="{cx}" cy="{cy}" '
                f'r="{r:.1f}"/>{inner}{label}</g>')
    if s.kind in GATEWAYS:
        points = f"{cx},{s.y} {s.x + s.w},{cy} {cx},{s.y + s.h} {s.x},{cy}"
        label = _text(_wrap(s.name, 120), cx, s.y - 14) if s.name else ""
        return (f'<g class="{cls}" data-id={quoteattr(el_id)}>{title}<polygon points="{points}"/>'
                f'<text class="marker" x="{cx}" y="{cy + 1}" text-anchor="middle" '
                f'dominant-baseline="middle">{GATEWAYS[s.kind]}</text>{label}</g>')
    return (f'<g class="{cls}" data-id={quoteattr(el_id)}>{title}<rect x="{s.x}" y="{s.y}" width="{s.w}" '
            f'height="{s.h}" rx="8"/>{_text(_wrap(s.name, s.w), cx, cy)}</g>')


def _edge_svg(el_id: str, e: _Edge, taken: bool) -> str:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in e.points)
    cls = "flow taken" if taken else "flow"
    label = ""
    if e.name and len(e.points) >= 2:
        (x1, y1), (x2, y2) = e.points[0], e.points[1]
        label = (f'<text class="flow-label" x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2 - 5:.1f}">'
                 f'{escape(e.name)}</text>')
    return (f'<g class="{cls}" data-id={quoteattr(el_id)}><polyline points="{points}" '
            f'marker-end="url(#arrow)"/>{label}</g>')


def _name(el, lang: str) -> str:  # type: ignore[no-untyped-def]
    names = element_names(el)
    return names.get(lang) or names["ru"]


def draw(xml: str, done: list[str], current: list[str], *, title: str = "", lang: str = "ru",
         process_id: str | None = None) -> ProcessMap:
    """SVG of the diagram in `xml` with `done` and `current` BPMN ids marked, its names in
    `lang`; the picture's title is the process `process_id`'s name when it has one, else `title`."""
    root = parse_untrusted(xml)
    elements = _elements(root)
    if process_id and process_id in elements and _name(elements[process_id][1], lang):
        title = _name(elements[process_id][1], lang)
    shapes: dict[str, _Shape] = {}
    edges: dict[str, _Edge] = {}
    for di in root.iter(f"{{{DI}}}BPMNShape", f"{{{DI}}}BPMNEdge"):
        ref = di.get("bpmnElement")
        kind, el = elements.get(ref, (None, None))
        if kind is None:
            continue
        name = _name(el, lang)
        if _local(di.tag) == "BPMNShape":
            bounds = di.find(f"{{{DC}}}Bounds")
            if bounds is None:
                continue
            timer = any(_local(c.tag) == "timerEventDefinition" for c in el)  # type: ignore[attr-defined]
            shapes[ref] = _Shape(kind, name, float(bounds.get("x", 0)), float(bounds.get("y", 0)),
                                 float(bounds.get("width", 0)), float(bounds.get("height", 0)), timer)
        else:
            points = [(float(p.get("x", 0)), float(p.get("y", 0)))
                      for p in di.iter(f"{{{DD_DI}}}waypoint")]
            edges[ref] = _Edge(el.get("sourceRef"), el.get("targetRef"), name, points)  # type: ignore[attr-defined]
    if not shapes:
        return ProcessMap(None, tuple(done), tuple(current))
    done_set, current_set = set(done), set(current)
    xs = [s.x for s in shapes.values()] + [p[0] for e in edges.values() for p in e.points]
    ys = [s.y for s in shapes.values()] + [p[1] for e in edges.values() for p in e.points]
    x2 = [s.x + s.w for s in shapes.values()] + xs
    y2 = [s.y + s.h + 30 for s in shapes.values()] + ys
    min_x, min_y = min(xs) - PAD, min(ys) - PAD - 20
    width, height = max(x2) - min_x + PAD, max(y2) - min_y + PAD
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="process-map" role="img" '
             f'viewBox="{min_x:.0f} {min_y:.0f} {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}">',
             f"<title>{escape(title)}</title>" if title else "",
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>']
    order = sorted(shapes.items(), key=lambda kv: (kv[1].kind not in CONTAINERS, kv[1].kind != "participant"))
    for el_id, shape in order:
        if shape.kind in CONTAINERS:
            parts.append(_shape_svg(el_id, shape, ""))
    for el_id, edge in edges.items():
        reached = edge.target in done_set or edge.target in current_set
        parts.append(_edge_svg(el_id, edge, edge.source in done_set and reached))
    for el_id, shape in order:
        if shape.kind not in CONTAINERS:
            state = "current" if el_id in current_set else "done" if el_id in done_set else ""
            parts.append(_shape_svg(el_id, shape, state))
    parts.append("</svg>")
    return ProcessMap("".join(parts), tuple(done), tuple(current))
