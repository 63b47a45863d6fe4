"""COPY FROM STDIN data from Python objects: files, chunks, or rows in COPY text format.

Rows are formatted with the connection's codecs (the same text a parameter would carry):
each value's text has backslash, tab, newline and carriage return escaped, None is ``\\N``,
bytes become bytea hex (``\\\\x...``), columns are tab-separated and rows end with a newline.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from purepg.errors import ProgrammingError

if TYPE_CHECKING:
    from purepg.codecs.registry import Registry

NULL = b"\\N"
_SPECIAL = (b"\\", b"\t", b"\n", b"\r")
_ESCAPES = ((b"\\", b"\\\\"), (b"\t", b"\\t"), (b"\n", b"\\n"), (b"\r", b"\\r"))


def file_chunks(file: IO[Any], size: int) -> Iterator[bytes]:
    """The contents of a file object opened in text or binary mode, ``size`` at a time."""
    while True:
        chunk = file.read(size)
        if not chunk:
            return
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


def escape(text: bytes) -> bytes:
    """``text`` with the characters COPY's text format treats specially escaped."""
    if not any(char in text for char in _SPECIAL):
        return text
    for char, escaped in _ESCAPES:
        text = text.replace(char, escaped)
    return text


def format_row(row: Sequence[Any], registry: Registry) -> bytes:
    """One row in COPY text format, newline included."""
    fields = []
    for value in row:
        if value is None:
            fields.append(NULL)
            continue
        _oid, fmt, payload = registry.encode(value)
        if payload is None:
            fields.append(NULL)
        elif fmt == 1:  # bytea, the only binary parameter: its text form is hex
            fields.append(b"\\\\x" + payload.hex().encode("ascii"))
        else:
            fields.append(escape(payload))
    return b"\t".join(fields) + b"\n"


def _as_bytes(item: Any, registry: Registry) -> bytes:
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, (tuple, list)):
        return format_row(item, registry)
    raise ProgrammingError(
        f"COPY data items must be bytes, str or rows (tuple/list), not {type(item).__name__}"
    )


def chunks(source: Any, registry: Registry, size: int = 65536) -> Iterator[bytes]:
    """The COPY data of ``source`` as byte chunks of about ``size`` bytes."""
    if isinstance(source, (bytes, bytearray, memoryview, str)):
        yield _as_bytes(source, registry)
        return
    read = getattr(source, "read", None)
    if read is not None:
        while True:
            chunk = read(size)
            if not chunk:
                return
            yield _as_bytes(chunk, registry)
    if not isinstance(source, Iterable):
        raise ProgrammingError(
            "the COPY source must be a file-like object, bytes, str or an iterable, not "
            f"{type(source).__name__}"
        )
    pending: list[bytes] = []
    pending_size = 0
    for item in source:
        data = _as_bytes(item, registry)
        pending.append(data)
        pending_size += len(data)
        if pending_size >= size:
            yield b"".join(pending)
            pending = []
            pending_size = 0
    if pending:
        yield b"".join(pending)
