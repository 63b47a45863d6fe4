"""hstore <-> dict[str, str | None] (hstore is an extension: the connection registers its OID).

A plain dict is sent as jsonb; wrap it in `Hstore` to send an hstore literal.
"""

from __future__ import annotations

import struct

from purepg.codecs.registry import Encoded
from purepg.errors import DataError

_INT32 = struct.Struct("!i")


class Hstore(dict):  # type: ignore[type-arg]
    """A dict to send as hstore (keys str, values str or None)."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_hstore_text(value: dict[str, str | None]) -> bytes:
    """The hstore text literal of a dict: ``"k"=>"v", "n"=>NULL``."""
    parts = []
    for key, item in value.items():
        if not isinstance(key, str) or not (item is None or isinstance(item, str)):
            raise DataError(f"hstore keys and values must be str (values may be None): {key!r}")
        parts.append(f"{_quote(key)}=>{'NULL' if item is None else _quote(item)}")
    return ", ".join(parts).encode()


def encode_hstore(value: dict[str, str | None]) -> Encoded:
    """An `Hstore` as an untyped literal (the server casts it to hstore from the context)."""
    return (0, 0, encode_hstore_text(value))


def decode_hstore_text(data: bytes) -> dict[str, str | None]:
    """hstore text: ``"k"=>"v", "n"=>NULL`` (quoted strings with backslash escapes)."""
    text = data.decode()
    result: dict[str, str | None] = {}
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char in ", ":
            i += 1
            continue
        key, i = _token(text, i)
        if key is None:
            raise _malformed(text)
        if text[i : i + 2] != "=>":
            raise _malformed(text)
        i += 2
        while i < end and text[i] == " ":
            i += 1
        value, i = _token(text, i)
        result[key] = value
    return result


def _token(text: str, i: int) -> tuple[str | None, int]:
    """A quoted string (None for a bare NULL) starting at `i`, and the index after it."""
    if text[i : i + 1] != '"':
        j = i
        while j < len(text) and text[j] not in ",= ":
            j += 1
        word = text[i:j]
        if word.upper() == "NULL":
            return None, j
        if not word:
            raise _malformed(text)
        return word, j
    out: list[str] = []
    i += 1
    start = i
    while True:
        close = text.find('"', i)
        slash = text.find("\\", i)
        if close < 0:
            raise _malformed(text)
        if 0 <= slash < close:
            out.append(text[start:slash])
            out.append(text[slash + 1 : slash + 2])
            i = start = slash + 2
            continue
        out.append(text[start:close])
        return "".join(out), close + 1


def _malformed(text: str) -> DataError:
    return DataError(f"malformed hstore literal: {text[:200]!r}")


def decode_hstore_binary(data: bytes) -> dict[str, str | None]:
    """hstore binary: pair count, then length-prefixed key and value (-1 for NULL) per pair."""
    count = _INT32.unpack_from(data)[0]
    pos = 4
    result: dict[str, str | None] = {}
    for _ in range(count):
        length = _INT32.unpack_from(data, pos)[0]
        key = data[pos + 4 : pos + 4 + length].decode()
        pos += 4 + length
        length = _INT32.unpack_from(data, pos)[0]
        pos += 4
        if length < 0:
            result[key] = None
        else:
            result[key] = data[pos : pos + length].decode()
            pos += length
    return result
