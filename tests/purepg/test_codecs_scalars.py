"""uuid, json / jsonb, inet / cidr, enums, hstore."""

from __future__ import annotations

import enum
from ipaddress import ip_address, ip_interface, ip_network
from uuid import UUID

import pytest
from purepg.codecs import oids
from purepg.codecs.hstore import Hstore
from purepg.codecs.registry import default_registry
from purepg.errors import DataError
from purepg.types import Json, Jsonb

AN_UUID = UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")


@pytest.fixture
def registry():
    registry = default_registry.copy()
    registry.register_hstore(16394, 16399)
    return registry


def test_uuid_encodes_as_uuid(registry):
    assert registry.encode(AN_UUID) == (oids.UUID, 0, str(AN_UUID).encode())


@pytest.mark.parametrize(("fmt", "data"), [(0, str(AN_UUID).encode()), (1, AN_UUID.bytes)])
def test_uuid_decodes_in_both_formats(registry, fmt, data):
    assert registry.decoder(oids.UUID, fmt)(data) == AN_UUID


def test_dict_encodes_as_jsonb(registry):
    assert registry.encode({"a": [1, None]}) == (oids.JSONB, 0, b'{"a": [1, null]}')


@pytest.mark.parametrize(
    ("wrapper", "oid"), [(Json([1, 2]), oids.JSON), (Jsonb([1, 2]), oids.JSONB)]
)
def test_json_wrappers_send_any_value_as_json_or_jsonb(registry, wrapper, oid):
    assert registry.encode(wrapper) == (oid, 0, b"[1, 2]")


def test_json_wrapper_dumps_overrides_the_registry(registry):
    assert registry.encode(Json({}, dumps=lambda obj: "custom")) == (oids.JSON, 0, b"custom")


@pytest.mark.parametrize("oid", [oids.JSON, oids.JSONB])
def test_json_decodes_from_text(registry, oid):
    assert registry.decoder(oid, 0)('{"a": [1, 2.5, null, "é"]}'.encode()) == {
        "a": [1, 2.5, None, "é"]
    }


def test_jsonb_decodes_from_binary_after_its_version_byte(registry):
    assert registry.decoder(oids.JSONB, 1)(b'\x01{"a": 1}') == {"a": 1}


def test_jsonb_binary_with_an_unknown_version_raises_data_error(registry):
    with pytest.raises(DataError, match="version"):
        registry.decoder(oids.JSONB, 1)(b'\x02{"a": 1}')


@pytest.mark.parametrize(
    ("value", "oid", "payload"),
    [
        (ip_address("10.1.2.3"), oids.INET, b"10.1.2.3"),
        (ip_interface("10.1.2.3/8"), oids.INET, b"10.1.2.3/8"),
        (ip_address("::1"), oids.INET, b"::1"),
        (ip_network("2001:db8::/32"), oids.CIDR, b"2001:db8::/32"),
    ],
)
def test_ipaddress_values_encode_as_inet_or_cidr(registry, value, oid, payload):
    assert registry.encode(value) == (oid, 0, payload)


@pytest.mark.parametrize(
    ("text", "data", "value"),
    [
        (b"192.168.0.1/24", b"\x02\x18\x00\x04\xc0\xa8\x00\x01", ip_interface("192.168.0.1/24")),
        (
            b"2001:db8::1",
            b"\x03\x80\x00\x10 \x01\r\xb8" + b"\x00" * 11 + b"\x01",
            ip_interface("2001:db8::1/128"),
        ),
    ],
)
def test_inet_decodes_to_an_interface_in_both_formats_even_for_a_host(registry, text, data, value):
    assert registry.decoder(oids.INET, 0)(text) == value
    assert registry.decoder(oids.INET, 1)(data) == value


def test_cidr_decodes_to_a_network_in_both_formats(registry):
    assert registry.decoder(oids.CIDR, 0)(b"10.0.0.0/8") == ip_network("10.0.0.0/8")
    assert registry.decoder(oids.CIDR, 1)(b"\x02\x08\x01\x04\n\x00\x00\x00") == ip_network(
        "10.0.0.0/8"
    )


def test_macaddr_decodes_to_str(registry):
    assert registry.decoder(oids.MACADDR, 0)(b"08:00:2b:01:02:03") == "08:00:2b:01:02:03"


def test_enum_members_are_sent_as_their_value(registry):
    class Mood(enum.Enum):
        HAPPY = "happy"

    class Level(enum.IntEnum):
        HIGH = 3

    assert registry.encode(Mood.HAPPY) == (0, 0, b"happy")
    assert registry.encode(Level.HIGH) == (oids.INT4, 0, b"3")


def test_hstore_decodes_from_text_with_escapes_and_nulls(registry):
    text = b'"a"=>"1", "b c"=>NULL, "q\\"uote"=>"back\\\\slash"'
    assert registry.decoder(16394, 0)(text) == {"a": "1", "b c": None, 'q"uote': "back\\slash"}


def test_empty_hstore_decodes_to_an_empty_dict(registry):
    assert registry.decoder(16394, 0)(b"") == {}


def test_hstore_decodes_from_binary(registry):
    data = (
        b"\x00\x00\x00\x02"
        + b"\x00\x00\x00\x01a\x00\x00\x00\x011"
        + b"\x00\x00\x00\x01b\xff\xff\xff\xff"
    )
    assert registry.decoder(16394, 1)(data) == {"a": "1", "b": None}


def test_hstore_arrays_decode_to_lists_of_dicts(registry):
    assert registry.decoder(16399, 0)(b'{"\\"a\\"=>\\"1\\""}') == [{"a": "1"}]


def test_hstore_wrapper_round_trips_through_its_text_literal(registry):
    value = Hstore({"k": 'v"\\', "n": None})
    oid, _, payload = registry.encode(value)
    assert payload is not None
    assert oid == 0
    assert registry.decoder(16394, 0)(payload) == value


def test_malformed_hstore_raises_data_error(registry):
    with pytest.raises(DataError, match="malformed hstore"):
        registry.decoder(16394, 0)(b'"a"->"1"')
