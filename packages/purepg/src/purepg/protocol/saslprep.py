"""SASLprep (RFC 4013): the stringprep profile SCRAM applies to user names and passwords.

Follows PostgreSQL's server-side rules, so that the client hashes the very bytes the server
hashed when the password was set: the result is also refused when mapping leaves nothing, and
unassigned code points (stringprep table A.1) are refused as for stored strings. Imported only
for text that is not plain ASCII; ``stringprep`` and ``unicodedata`` are not free to import.
"""

from __future__ import annotations

import stringprep
import unicodedata
from collections.abc import Callable


class SaslprepError(ValueError):
    """The text is not allowed by SASLprep (the message names the offending character)."""


def _name(char: str) -> str:
    return f"U+{ord(char):04X}"


_PROHIBITED: tuple[tuple[Callable[[str], bool], str], ...] = (
    (stringprep.in_table_c12, "a non-ASCII space"),
    (stringprep.in_table_c21_c22, "a control character"),
    (stringprep.in_table_c3, "a private use character"),
    (stringprep.in_table_c4, "a non-character code point"),
    (stringprep.in_table_c5, "a surrogate code point"),
    (stringprep.in_table_c6, "inappropriate for plain text"),
    (stringprep.in_table_c7, "inappropriate for canonical representation"),
    (stringprep.in_table_c8, "a display property change or deprecated character"),
    (stringprep.in_table_c9, "a tagging character"),
    (stringprep.in_table_a1, "unassigned in Unicode 3.2"),
)
"""RFC 4013 section 2.3's prohibited tables (and 2.5's unassigned code points), with why."""


def _prohibited_reason(char: str) -> str | None:
    """Why ``char`` may not appear in SASLprep output (RFC 4013 section 2.3), or None."""
    for in_table, reason in _PROHIBITED:
        if in_table(char):
            return reason
    return None


def _check_bidi(text: str) -> None:
    """RFC 3454 section 6: right-to-left text has no left-to-right characters and RTL ends."""
    has_rtl = any(stringprep.in_table_d1(char) for char in text)
    if not has_rtl:
        return
    if any(stringprep.in_table_d2(char) for char in text):
        raise SaslprepError("mixes right-to-left and left-to-right characters")
    if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
        raise SaslprepError("right-to-left text must start and end with a right-to-left character")


def saslprep(text: str) -> str:
    """``text`` prepared by SASLprep; raises SaslprepError when SASLprep refuses it."""
    mapped = []
    for char in text:
        if stringprep.in_table_c12(char):  # non-ASCII space -> SPACE
            mapped.append(" ")
        elif not stringprep.in_table_b1(char):  # B.1: commonly mapped to nothing
            mapped.append(char)
    if not mapped:
        raise SaslprepError("nothing is left after mapping")
    normalized = unicodedata.normalize("NFKC", "".join(mapped))
    for char in normalized:
        reason = _prohibited_reason(char)
        if reason is not None:
            raise SaslprepError(f"{_name(char)} is prohibited ({reason})")
    _check_bidi(normalized)
    return normalized
