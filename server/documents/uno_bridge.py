"""The warm converter's bridge to a running LibreOffice (run by a Python that has Debian's
``python3-uno``, not the application's virtualenv).

    python3 uno_bridge.py <UNO connection string> <LibreOffice's process group>

It connects to the ``soffice`` the parent started (retrying while it starts up), prints
``{"ready": true}`` and then answers one JSON line per request read from stdin:
``{"src": "/tmp/a.docx", "dst": "/tmp/a.pdf"}`` → ``{"ok": true}`` or
``{"ok": false, "error": "..."}``. It exits at the end of stdin (the parent closed it, or
died: then it stops that LibreOffice too, so a killed worker leaves none behind), and after an
error that may have lost the connection (the parent then starts LibreOffice and the bridge
again). It imports nothing
of the application: the interpreter running it has only the standard library and ``uno``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

CONNECT_SECONDS = 60.0


def _connect(connection: str) -> Any:
    import uno

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            remote = resolver.resolve(f"uno:{connection};urp;StarOffice.ComponentContext")
            return remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
        except Exception:  # NoConnectException while soffice starts up
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _props(**values: Any) -> tuple[Any, ...]:
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)


def convert(desktop: Any, src: str, dst: str) -> None:
    document = desktop.loadComponentFromURL(Path(src).resolve().as_uri(), "_blank", 0,
                                            _props(Hidden=True, ReadOnly=True))
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        document.storeToURL(Path(dst).resolve().as_uri(), _props(FilterName="writer_pdf_Export"))
    finally:
        document.close(True)


def serve(connection: str) -> int:
    desktop = _connect(connection)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            convert(desktop, request["src"], request["dst"])
        except Exception as exc:
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}), flush=True)
            return 1  # the connection may be gone: the parent starts a fresh pair
        print(json.dumps({"ok": True}), flush=True)
    return 0


def main(connection: str, office_group: int) -> int:
    try:
        return serve(connection)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(office_group, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
