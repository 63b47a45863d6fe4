"""psycopg2 exceptions -> purepg's exception classes (one hierarchy for the facade)."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg2
from purepg import errors

from ..redaction import redact

# libpq error field codes -> psycopg2 Diagnostics attribute names.
_DIAG_ATTRIBUTES = {
    "S": "severity",
    "V": "severity_nonlocalized",
    "C": "sqlstate",
    "M": "message_primary",
    "D": "message_detail",
    "H": "message_hint",
    "P": "statement_position",
    "p": "internal_position",
    "q": "internal_query",
    "W": "context",
    "s": "schema_name",
    "t": "table_name",
    "c": "column_name",
    "d": "datatype_name",
    "n": "constraint_name",
    "F": "source_file",
    "L": "source_line",
    "R": "source_function",
}
# Client-side failures libpq reports without an SQLSTATE, recognised by their message.
_AUTHENTICATION_FAILURES = ("password authentication failed", "PAM authentication failed")


def translate(exc: BaseException, secrets: Iterable[str] = ()) -> errors.Error:
    """The purepg exception equivalent to ``exc`` (a psycopg2 error, or a parameter formatting
    error psycopg2 raises as TypeError/IndexError/KeyError/ValueError)."""
    if not isinstance(exc, psycopg2.Error):
        message = f"query parameters do not match the placeholders: {type(exc).__name__}: {exc}"
        return errors.ProgrammingError(redact(message, secrets))
    fields = _fields(exc)
    if fields.get("C"):
        if secrets:
            fields = {key: redact(value, secrets) for key, value in fields.items()}
        return errors.error_from_fields(fields)
    message = redact(str(exc).strip(), secrets)
    if any(marker in message for marker in _AUTHENTICATION_FAILURES):
        return errors.lookup("28P01")(message, fields={"C": "28P01", "M": message})
    return _dbapi_class(exc)(message)


def _fields(exc: psycopg2.Error) -> dict[str, str]:
    fields: dict[str, str] = {}
    diag = exc.diag
    for code, attribute in _DIAG_ATTRIBUTES.items():
        value = getattr(diag, attribute, None)
        if value is not None:
            fields[code] = value
    return fields


def _dbapi_class(exc: psycopg2.Error) -> type[errors.Error]:
    """purepg's class named as the nearest psycopg2 class of ``exc`` (``OperationalError``...)."""
    for klass in type(exc).__mro__:
        if klass.__module__.startswith("psycopg2"):
            translated = getattr(errors, klass.__name__, None)
            if isinstance(translated, type) and issubclass(translated, errors.Error):
                return translated
    return errors.Error
