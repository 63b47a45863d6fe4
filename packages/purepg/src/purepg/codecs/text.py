"""Character types (text, varchar, bpchar, name, enums, xml, unknown...) as str."""

from __future__ import annotations

from typing import Callable

from purepg.codecs import oids
from purepg.codecs.registry import Encoded

# Text and binary formats of character types are both the UTF-8 bytes (client_encoding is always
# UTF8: `purepg.protocol.client_encoding`).
decode_text: Callable[[bytes], str] = bytes.decode


def encode_str(value: str) -> Encoded:
    """str as an untyped literal (OID 0): the server infers text, an enum, a date..."""
    return (oids.UNKNOWN, 0, value.encode())


def decode_jsonpath_binary(data: bytes) -> str:
    """jsonpath binary: a version byte (1) then the text."""
    return data[1:].decode()


def decode_char_binary(data: bytes) -> str:
    """ "char" (the one-byte internal type) binary: the raw byte."""
    return data.decode("latin-1")
