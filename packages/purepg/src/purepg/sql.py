"""psycopg2's ``pyformat`` placeholders turned into server-side parameters ``$1..$n``.

Rules (psycopg2's, checked against psycopg2 2.9 ``cursor.mogrify``):

- Only called when parameters are given: with ``params is None`` the query is sent as-is and
  ``%`` means nothing. With parameters, even an empty tuple, ``%`` is special everywhere.
- ``%s`` is a positional placeholder, ``%(name)s`` a named one (any characters but ``)`` in the
  name; a repeated name is one parameter), ``%%`` is a literal ``%``. Mixing both kinds, any
  other ``%`` sequence outside literals, a ``%`` at the end: ``ProgrammingError``.
- ``%%`` becomes ``%`` inside string literals, quoted identifiers, dollar quotes and comments
  too, so psycopg2 code such as ``LIKE 'abc%%'`` works unchanged.

Where psycopg2 would produce broken SQL, purepg raises instead, because server-side
parameters cannot be spliced into text:

- a placeholder inside a string literal (``'...'``, ``E'...'``), quoted identifier, dollar
  quote or comment (psycopg2 pastes a quoted value there) raises ``ProgrammingError``;
- ``$1`` style parameters in a query given parameters raise ``ProgrammingError``.

And where psycopg2 raises for a lone ``%`` inside a literal or comment (``'50%'``), purepg
leaves it alone. The lexer assumes ``standard_conforming_strings = on`` (backslashes are plain
characters in ``'...'``, escapes in ``E'...'``) and knows nested ``/* */`` comments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from purepg.errors import ProgrammingError

# Characters that may change the lexical context or start a placeholder; each is then
# examined with the specific patterns below, so ordinary text is skipped by one C-level search.
_SPECIAL = re.compile(r"[%'\"$]|--|/\*")
_STRING = re.compile(r"'[^']*(?:''[^']*)*'?")
_ESCAPE_STRING = re.compile(r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*'?", re.DOTALL)
_IDENTIFIER = re.compile(r'"[^"]*(?:""[^"]*)*"?')
_LINE_COMMENT = re.compile(r"--[^\n]*")
_DOLLAR = re.compile(r"\$(?:[^\W\d]\w*)?\$|\$\d+")
_COMMENT_BOUNDARY = re.compile(r"/\*|\*/")
_PLACEHOLDER_IN_TEXT = re.compile(r"%(?:%|s|\([^)]*\)s)")

_CONTEXT_NAMES = {
    "string": "a string literal",
    "identifier": "a quoted identifier",
    "line_comment": "a comment",
    "block_comment": "a comment",
    "dollar_quote": "a dollar-quoted string",
}
_MAX_CACHED_LENGTH = 20_000


class ParsedQuery:
    """A query with ``$1..$n`` placeholders and how to bind parameters to them.

    ``names`` is ``None`` for positional placeholders (``count`` of them, maybe 0), else the
    distinct names in order: ``$i`` is ``names[i - 1]``. Immutable: the parse cache shares
    instances.
    """

    __slots__ = ("count", "names", "sql")

    sql: str
    count: int
    names: tuple[str, ...] | None

    def __init__(self, sql: str, count: int, names: tuple[str, ...] | None = None) -> None:
        object.__setattr__(self, "sql", sql)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "names", names)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ParsedQuery is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ParsedQuery is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParsedQuery):
            return NotImplemented
        return (self.sql, self.count, self.names) == (other.sql, other.count, other.names)

    def __hash__(self) -> int:
        return hash((self.sql, self.count, self.names))

    def __repr__(self) -> str:
        return f"ParsedQuery(sql={self.sql!r}, count={self.count}, names={self.names!r})"

    def bind(self, params: Any) -> Sequence[Any]:
        """The parameter values in ``$n`` order; ``ProgrammingError`` when they do not fit."""
        kind = type(params)
        if (kind is tuple or kind is list) and self.names is None and len(params) == self.count:
            values: Sequence[Any] = params
            return values  # the usual case, checked without the ABC machinery below
        if self.names is not None:
            if not isinstance(params, Mapping):
                raise ProgrammingError(
                    "the query uses named placeholders %(name)s: parameters must be a mapping, "
                    f"got {type(params).__name__}"
                )
            missing = [name for name in self.names if name not in params]
            if missing:
                listed = ", ".join(repr(name) for name in missing)
                raise ProgrammingError(f"missing query parameters: {listed}")
            return [params[name] for name in self.names]
        if isinstance(params, Mapping):
            if self.count == 0:
                return []
            raise ProgrammingError(
                "the query uses positional placeholders %s: parameters must be a sequence, "
                f"got {type(params).__name__}"
            )
        if isinstance(params, (str, bytes, bytearray, memoryview)) or not isinstance(
            params, Sequence
        ):
            raise ProgrammingError(
                "parameters must be a sequence (tuple or list) or a mapping, got "
                f"{type(params).__name__}"
            )
        if len(params) != self.count:
            raise ProgrammingError(
                f"the query has {self.count} placeholder{'s' if self.count != 1 else ''} but "
                f"{len(params)} parameter{'s were' if len(params) != 1 else ' was'} given"
            )
        return list(params)


def parse(query: str, standard_strings: bool = True) -> ParsedQuery:
    """Translate ``%s`` / ``%(name)s`` / ``%%`` in ``query`` (cached for ordinary queries).

    ``standard_strings`` False: the session's ``standard_conforming_strings`` is off, so a
    backslash escapes a quote in every ``'...'`` literal, not only in ``E'...'``."""
    if len(query) > _MAX_CACHED_LENGTH:
        return _parse(query, standard_strings)
    return _parse_cached(query, standard_strings)


def _placeholder_error(query: str, position: int, why: str) -> ProgrammingError:
    excerpt = query[position : position + 20]
    return ProgrammingError(f"{why} at position {position}: {excerpt!r}")


def _copy_text(query: str, start: int, end: int, context: str, out: list[str]) -> None:
    """Copy a literal or comment, turning ``%%`` into ``%`` and refusing placeholders."""
    text = query[start:end]
    if "%" not in text:
        out.append(text)
        return
    position = 0
    for match in _PLACEHOLDER_IN_TEXT.finditer(text):
        if match.group() != "%%":
            raise _placeholder_error(
                query,
                start + match.start(),
                f"placeholder {match.group()} inside {_CONTEXT_NAMES[context]}: server-side "
                "parameters cannot be pasted into it (pass the whole value as a parameter, "
                "or write %% for a literal %)",
            )
        out.append(text[position : match.start() + 1])
        position = match.end()
    out.append(text[position:])


def _is_word_char(char: str) -> bool:
    """True for characters that continue an identifier: letters, digits, ``_`` and ``$``."""
    return char.isalnum() or char in "_$"


def quoted_span(query: str, start: int, standard_strings: bool = True) -> tuple[int, str] | None:
    """Where the string literal, quoted identifier, dollar quote or comment that begins at
    ``start`` ends, and which it is; None for a ``$`` that begins none (inside a word, a
    lone ``$``, ``$1``). The one lexer both placeholder styles skip text with; with
    ``standard_strings`` False every ``'...'`` takes backslash escapes, as ``E'...'`` does."""
    char = query[start]
    found: re.Match[str] | None
    if char == "'":
        # E'...' (backslash escapes) unless the E ends a longer word such as some'...'.
        escape = not standard_strings or (
            start > 0
            and query[start - 1] in "eE"
            and (start == 1 or not _is_word_char(query[start - 2]))
        )
        found = (_ESCAPE_STRING if escape else _STRING).match(query, start)
        assert found is not None  # both patterns match at a quote
        return found.end(), "string"
    if char == '"':
        found = _IDENTIFIER.match(query, start)
        assert found is not None
        return found.end(), "identifier"
    if char == "-":
        found = _LINE_COMMENT.match(query, start)
        assert found is not None
        return found.end(), "line_comment"
    if char == "/":
        depth = 1
        for boundary in _COMMENT_BOUNDARY.finditer(query, start + 2):
            depth += 1 if boundary.group() == "/*" else -1
            if depth == 0:
                return boundary.end(), "block_comment"
        return len(query), "block_comment"
    found = None if start and _is_word_char(query[start - 1]) else _DOLLAR.match(query, start)
    if found is None or not found.group().endswith("$"):
        return None
    tag = found.group()
    close = query.find(tag, found.end())
    return (len(query) if close == -1 else close + len(tag)), "dollar_quote"


def _rewrite(query: str, special: re.Pattern[str], rewrite: Callable[[int, list[str]], int]) -> str:
    """``query`` with the text between matches of ``special`` copied and, at each match,
    what ``rewrite(start, out)`` appends to ``out``; it returns where plain text resumes."""
    out: list[str] = []
    position = 0
    while (match := special.search(query, position)) is not None:
        start = match.start()
        out.append(query[position:start])
        position = rewrite(start, out)
    out.append(query[position:])
    return "".join(out)


def _parse(query: str, standard_strings: bool = True) -> ParsedQuery:
    names: dict[str, int] = {}
    count = 0

    def rewrite(start: int, out: list[str]) -> int:
        nonlocal count
        if query[start] != "%":
            return _copy_quoted(query, start, standard_strings, out)
        following = query[start + 1 : start + 2]
        if following == "%":
            out.append("%")
            return start + 2
        if following == "s":
            if names:
                raise _placeholder_error(
                    query, start, "argument formats can't be mixed: %s after %(name)s"
                )
            count += 1
            out.append(f"${count}")
            return start + 2
        if following == "(":
            close = query.find(")", start + 2)
            if close == -1:
                raise _placeholder_error(query, start, "incomplete placeholder: '%(' without ')'")
            if query[close + 1 : close + 2] != "s":
                raise _placeholder_error(
                    query, start, "unsupported placeholder: only %(name)s is supported"
                )
            if count:
                raise _placeholder_error(
                    query, start, "argument formats can't be mixed: %(name)s after %s"
                )
            name = query[start + 2 : close]
            number = names.get(name)
            if number is None:
                number = names[name] = len(names) + 1
            out.append(f"${number}")
            return close + 2
        if following:
            raise _placeholder_error(
                query,
                start,
                f"unsupported format character {following!r}: use %s or %(name)s for "
                "parameters and %% for a literal %",
            )
        raise _placeholder_error(query, start, "incomplete placeholder: the query ends with '%'")

    sql = _rewrite(query, _SPECIAL, rewrite)
    if names:
        return ParsedQuery(sql, len(names), tuple(names))
    return ParsedQuery(sql, count)


def _copy_quoted(query: str, start: int, standard_strings: bool, out: list[str]) -> int:
    """Copy the literal, quoted identifier, dollar quote or comment at ``start`` (`_copy_text`)
    and return its end; a ``$`` that quotes nothing: ``$1`` is refused, in a word or alone it
    is text."""
    span = quoted_span(query, start, standard_strings)
    if span is not None:
        end, kind = span
        _copy_text(query, start, end, kind, out)
        return end
    inside_word = start > 0 and _is_word_char(query[start - 1])
    positional = None if inside_word else _DOLLAR.match(query, start)
    if positional is not None:
        raise _placeholder_error(
            query,
            start,
            f"{positional.group()} in a query given parameters: use %s or %(name)s placeholders",
        )
    out.append("$")
    return start + 1


_parse_cached = lru_cache(maxsize=512)(_parse)

_COLON_SPECIAL = re.compile(r"[:'\"$]|--|/\*")
_COLON_NAME = re.compile(r"[^\W\d]\w*")


@lru_cache(maxsize=512)
def parse_colon(query: str, standard_strings: bool = True) -> ParsedQuery:
    """Translate pg8000-style ``:name`` placeholders to ``$1..$n`` (``names`` in order).

    Literals, quoted identifiers, dollar quotes and comments are copied untouched, and so are
    ``::`` casts; ``%`` means nothing here. ``standard_strings``: as for ``parse``.
    """
    names: dict[str, int] = {}

    def rewrite(start: int, out: list[str]) -> int:
        if query[start] != ":":
            span = quoted_span(query, start, standard_strings)
            end = start + 1 if span is None else span[0]
            out.append(query[start:end])
            return end
        if query[start + 1 : start + 2] == ":":
            out.append("::")
            return start + 2
        name = _COLON_NAME.match(query, start + 1)
        if name is None:
            out.append(":")
            return start + 1
        out.append(f"${names.setdefault(name.group(), len(names) + 1)}")
        return name.end()

    sql = _rewrite(query, _COLON_SPECIAL, rewrite)
    return ParsedQuery(sql, len(names), tuple(names))


def quote_literal(value: str, what: str = "a value") -> str:
    """``value`` as an SQL string literal, for the statements that take no parameters
    (``PREPARE TRANSACTION``, ``COPY ... DELIMITER``...).

    Always the ``E'...'`` form with backslashes and quotes doubled: it means the same whether
    the server's ``standard_conforming_strings`` is on or off (a role, database or ``SET`` may
    turn it off), where ``'...'`` with quotes doubled lets a backslash end the literal early.
    ``what`` names the value in the error for a NUL, which no PostgreSQL string can hold.
    """
    if not isinstance(value, str):
        raise ProgrammingError(f"{what} must be a string, not {type(value).__name__}")
    if "\0" in value:
        raise ProgrammingError(f"{what} contains a NUL character, which SQL text cannot hold")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def quote_identifier(name: str, what: str = "an identifier") -> str:
    """``name`` as a double-quoted SQL identifier (``"`` doubled; NUL refused)."""
    if not isinstance(name, str):
        raise ProgrammingError(f"{what} must be a string, not {type(name).__name__}")
    if "\0" in name:
        raise ProgrammingError(f"{what} contains a NUL character, which SQL text cannot hold")
    return '"' + name.replace('"', '""') + '"'


__all__ = ["ParsedQuery", "parse", "parse_colon", "quote_identifier", "quote_literal"]
