"""purepg exchanges text with the server in UTF-8 only, and refuses any other client encoding.

Every str crosses the wire as UTF-8: SQL text, parameters, results, COPY data, notices,
errors, notifications, identifiers. The server converts between UTF8 and the database's
encoding (LATIN1, WIN1251, ...), so any database works. Honouring other client encodings
would put a transcoding step on every text value of the hot path; decoding with the wrong
codec would corrupt data silently. So a client encoding other than UTF8, wherever it comes
from (the ``client_encoding`` keyword, ``PGCLIENTENCODING``, ``options=-c client_encoding=``,
a ``SET client_encoding``, a role or database setting, the server), is an error naming it.
"""

from __future__ import annotations

from purepg.errors import NotSupportedError

UTF8_NAMES = frozenset(("utf8", "unicode"))
"""PostgreSQL's names of UTF-8, cleaned as the server cleans them (lower case, letters and
digits only: ``UTF-8``, ``utf_8`` and ``Unicode`` are all UTF8)."""

AUTO = "auto"
"""libpq's ``client_encoding=auto`` (from the locale): purepg's choice is always UTF8."""


def is_utf8(name: str) -> bool:
    """True when ``name`` is one of PostgreSQL's spellings of UTF8."""
    return "".join(ch for ch in name.lower() if ch.isalnum()) in UTF8_NAMES


def check_requested(value: str | None, options: str | None) -> None:
    """Refuse a client encoding other than UTF8 (or ``auto``) asked for by the
    ``client_encoding`` connection parameter (or PGCLIENTENCODING) or by ``options``."""
    if value and value.strip().lower() != AUTO and not is_utf8(value):
        _refuse(value, "connection parameter or PGCLIENTENCODING")
    for name, setting in _option_settings(options or ""):
        if name == "client_encoding" and not is_utf8(setting):
            _refuse(setting, "set in options or PGOPTIONS")


def _refuse(value: str, source: str) -> None:
    raise NotSupportedError(
        f"client_encoding={value!r} ({source}) is not supported: purepg exchanges text in "
        "UTF8 only; leave client_encoding unset or set it to UTF8 (the server converts to and "
        "from the database's encoding)"
    )


def _option_settings(options: str) -> list[tuple[str, str]]:
    """The ``-c name=value`` / ``-cname=value`` / ``--name=value`` settings of an ``options``
    string, split as the server splits it (whitespace, backslash escapes), names normalised
    (lower case, ``-`` read as ``_``)."""
    words: list[str] = []
    letters: list[str] = []
    escaped = False
    for ch in options + " ":
        if escaped:
            letters.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch.isspace():
            if letters:
                words.append("".join(letters))
                letters = []
        else:
            letters.append(ch)
    settings = []
    for index, word in enumerate(words):
        if word.startswith("--"):
            setting = word[2:]
        elif word == "-c" and index + 1 < len(words):
            setting = words[index + 1]
        elif word.startswith("-c"):
            setting = word[2:]
        else:
            continue
        name, _, value = setting.partition("=")
        settings.append((name.lower().replace("-", "_"), value))
    return settings


def check_reported(value: str) -> None:
    """Refuse a client encoding the server reports (ParameterStatus) other than UTF8."""
    if not is_utf8(value):
        raise NotSupportedError(
            f"the server switched client_encoding to {value!r} (a SET client_encoding, or the "
            "server itself): "
            "purepg exchanges text in UTF8 only and will not decode it with another codec; "
            "the connection is closed"
        )
