"""File answers (a download of bytes) shared by the REST API and the staff UI."""

from __future__ import annotations

from io import BytesIO

from flask import Response, send_file


def send_bytes(content: bytes, mimetype: str, filename: str, etag: str | bool = True) -> Response:
    """`content` as an attachment named `filename` (the ETag: a stored file's checksum)."""
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename,
                     etag=etag)
