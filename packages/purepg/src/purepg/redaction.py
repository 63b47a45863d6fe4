"""Keep passwords and tokens out of messages (purepg's errors, and pgfacade's on top)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def redact_fields(fields: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    """A server's ErrorResponse/NoticeResponse fields with every secret masked."""
    secrets = list(secrets)
    return {key: redact(value, secrets) for key, value in fields.items()}


# A password's value in a conninfo string (quoted or not), in a URI's user info, in its query.
_DSN_PASSWORDS = (
    r"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|(?:[^\s\\]|\\.)*)",
    r"(://[^:/@?]*:)([^@/?]*)(?=@)",
    r"([?&]password=)([^&]*)",
)


def masked_dsn(dsn: str) -> str:
    """``dsn`` with every password value shown as ``********`` (as psycopg2's ``conn.dsn``)."""
    import re

    for pattern in _DSN_PASSWORDS:
        dsn = re.sub(pattern, lambda match: match.group(1) + MASK, dsn)
    return dsn
