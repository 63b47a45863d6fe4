"""Character types and bytea."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from purepg.codecs import oids
from purepg.codecs.registry import default_registry as registry
from purepg.errors import DataError

TEXT_TYPES = [oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.UNKNOWN_LITERAL, oids.XML]


@pytest.mark.parametrize("oid", TEXT_TYPES)
@pytest.mark.parametrize("fmt", [0, 1])
def test_character_types_decode_utf8_in_both_formats(oid, fmt):
    assert registry.decoder(oid, fmt)("žluťoučký 🐘".encode()) == "žluťoučký 🐘"


@given(st.text())
def test_str_round_trips(value):
    _, _, payload = registry.encode(value)
    assert payload is not None
    assert registry.decoder(oids.TEXT, 0)(payload) == value


@pytest.mark.parametrize("value", [b"\x00\xff", bytearray(b"ab"), memoryview(b"cd")])
def test_bytes_like_values_are_sent_as_binary_bytea(value):
    assert registry.encode(value) == (oids.BYTEA, 1, bytes(value))


def test_bytea_decodes_from_hex_text():
    assert registry.decoder(oids.BYTEA, 0)(b"\\x00ff10") == b"\x00\xff\x10"


def test_bytea_decodes_from_the_legacy_escape_format():
    assert registry.decoder(oids.BYTEA, 0)(b"a\\000\\\\b\\377") == b"a\x00\\b\xff"


def test_bytea_escape_format_rejects_a_bad_escape_naming_it():
    with pytest.raises(DataError, match="9"):
        registry.decoder(oids.BYTEA, 0)(b"a\\9")


@given(st.binary())
def test_bytea_round_trips_through_hex_text_and_binary(value):
    assert registry.decoder(oids.BYTEA, 0)(b"\\x" + value.hex().encode()) == value
    assert registry.decoder(oids.BYTEA, 1)(value) == value


def test_char_decodes_its_single_byte_from_binary():
    assert registry.decoder(oids.CHAR, 1)(b"r") == "r"
