"""Parsing of untrusted XML: no DTDs, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree

from server.engine.errors import tr

MAX_MODEL_BYTES = 2 * 1024 * 1024
MAX_ELEMENTS = 20_000

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class UnsafeXML(ValueError):
    """The document is not well-formed or uses a forbidden XML feature."""


def parse_untrusted(data: bytes | str, *, max_bytes: int = MAX_MODEL_BYTES) -> etree._Element:
    """Parse a BPMN/DMN document without resolving anything external.

    A DOCTYPE (and with it every entity declaration, the billion-laughs vector) is refused
    outright: BPMN and DMN never need one.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise UnsafeXML(tr("файл больше %(size)s КиБ", size=max_bytes // 1024))
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower():
        raise UnsafeXML(tr("объявления DOCTYPE и сущностей (ENTITY) запрещены"))
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXML(tr("некорректный XML: %(detail)s", detail=exc)) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXML(tr("объявления DOCTYPE и сущностей (ENTITY) запрещены"))
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise UnsafeXML(tr("в модели %(count)s элементов; допустимо не более %(limit)s", count=count,
                           limit=MAX_ELEMENTS))
    return root
