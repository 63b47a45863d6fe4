"""Keep passwords and tokens out of messages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from purepg.redaction import MASK, contains_secret, redact, redact_fields


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during (``__cause__``/``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def without_secrets(exc: Exception, secrets: Iterable[str]) -> Exception | None:
    """A copy of the purepg error ``exc`` with every secret masked in its message and its
    server fields, to raise outside the handler (nothing chained); None when neither it nor an
    exception chained to it shows a secret."""
    secrets = [secret for secret in secrets if secret]
    shown = [str(item) for item in _chain(exc)]
    shown += list(getattr(exc, "fields", {}).values())
    if not any(contains_secret(text, secrets) for text in shown):
        return None
    message = redact(str(exc), secrets)
    klass: Any = type(exc)
    redacted: Exception
    if hasattr(exc, "fields"):  # a purepg error: its server fields too
        redacted = klass(message, fields=redact_fields(exc.fields, secrets))
        return redacted
    try:
        redacted = klass(message)
        return redacted
    except Exception:  # a class with another signature: keep its name in the text
        return RuntimeError(f"{type(exc).__name__}: {message}")


# The password of a conninfo string, of a URI (compiled by `re` on first use, not at import).
_DSN_PASSWORD = (r"(?s)password\s*=\s*(.*)", r"://[^:/@]*:([^@]*)@")


def dsn_secrets(dsn: str) -> list[str]:
    """What follows ``password=`` (or the URI's password) in a DSN: masked in parse errors."""
    for pattern in _DSN_PASSWORD:
        match = re.search(pattern, dsn)
        if match:
            return [match.group(1)]
    return []


__all__ = ["MASK", "contains_secret", "dsn_secrets", "redact", "without_secrets"]
