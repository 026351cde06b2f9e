"""The one decision on where a user-supplied address (`?next=`) may send the browser.

Browsers are lenient: they drop tabs, CR and LF anywhere in a URL, read a backslash as a
slash and percent-decode more than a server expects, so `/\\t/evil.com`, `/\\evil.com` or
`/%2F%2Fevil.com` can become `//evil.com`, another site. A target is therefore accepted only
when it is a plain path on this site: no control or white-space characters, no backslash, no
scheme or host (also after resolving it against this site and after percent-decoding), and
not scheme-relative. Anything else falls back to a page of ours.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urljoin, urlsplit

_BASE = "http://regoffice.invalid/app/"
# Characters kept as they are when the target is made ASCII (non-ASCII is percent-encoded).
_SAFE = "/?&=%#:@!$'()*+,;~-._[]"
_DECODE_ROUNDS = 3  # how many layers of percent-encoding are looked through


def _suspicious(text: str) -> bool:
    """Characters a browser may drop or reinterpret on the way to a URL."""
    return "\\" in text or any(
        ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in text)


def _scheme_relative_or_foreign(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return True
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return True
    joined = urlsplit(urljoin(_BASE, text))
    return (joined.scheme, joined.netloc) != ("http", "regoffice.invalid")


def same_site_path(target: str | None) -> str | None:
    """`target` as an ASCII path on this site, or None when it is not certainly one."""
    if not target or len(target) > 2000 or _suspicious(target):
        return None
    layer = target
    for _ in range(_DECODE_ROUNDS):
        # A decoded query may hold anything (a search for "a b"); its path may not.
        if _scheme_relative_or_foreign(layer) or _suspicious(urlsplit(layer).path):
            return None
        decoded = unquote(layer)
        if decoded == layer:
            return quote(target, safe=_SAFE)
        layer = decoded
    return None  # still encoded after several rounds: nothing a page of ours produces
