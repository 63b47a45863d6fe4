"""Keep passwords and tokens out of messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "********"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and every whitespace-separated piece of it) masked."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, MASK)
        for piece in secret.split():
            if len(piece) >= 3:
                text = text.replace(piece, MASK)
    return text


def contains_secret(text: str, secrets: Iterable[str]) -> bool:
    """True when ``redact`` would change ``text``."""
    return redact(text, secrets) != text


# The password of a conninfo string, of a URI (compiled by `re` on first use, not at import).
_DSN_PASSWORD = (r"(?s)password\s*=\s*(.*)", r"://[^:/@]*:([^@]*)@")


def dsn_secrets(dsn: str) -> list[str]:
    """What follows ``password=`` (or the URI's password) in a DSN: masked in parse errors."""
    for pattern in _DSN_PASSWORD:
        match = re.search(pattern, dsn)
        if match:
            return [match.group(1)]
    return []
