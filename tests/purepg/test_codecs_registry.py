"""The codec registry: lookup, laziness, registration, per-connection copies."""

from __future__ import annotations

import subprocess
import sys

import pytest
from purepg.codecs import oids
from purepg.codecs.registry import Registry, default_registry
from purepg.errors import ProgrammingError


@pytest.fixture
def registry() -> Registry:
    return default_registry.copy()


def test_none_encodes_as_null_with_an_inferred_type(registry):
    assert registry.encode(None) == (0, 0, None)


def test_str_is_sent_untyped_so_the_server_infers_its_type(registry):
    assert registry.encode("2024-01-01") == (0, 0, b"2024-01-01")


def test_unknown_oid_decodes_to_str_in_text_format(registry):
    assert registry.decoder(999_999, 0)(b"caf\xc3\xa9") == "café"


def test_unknown_oid_decodes_to_bytes_in_binary_format(registry):
    assert registry.decoder(999_999, 1)(b"\x00\x01") == b"\x00\x01"


def test_a_value_of_an_unadaptable_type_raises_programming_error_naming_it(registry):
    with pytest.raises(ProgrammingError, match=r"builtins\.object"):
        registry.encode(object())


def test_subclasses_use_their_base_class_encoder(registry):
    class Name(str):
        pass

    assert registry.encode(Name("x")) == (0, 0, b"x")


def test_decoder_is_the_same_callable_for_repeated_lookups(registry):
    assert registry.decoder(oids.INT4, 0) is registry.decoder(oids.INT4, 0)


@pytest.mark.parametrize(
    ("oid", "fmt"),
    [(oids.BOOL, 1), (oids.BYTEA, 1), (oids.UUID, 1), (oids.TIMESTAMP, 1), (oids.INTERVAL, 1)],
)
def test_result_format_asks_binary_where_it_is_faster_or_setting_independent(registry, oid, fmt):
    assert registry.result_format(oid) == fmt


@pytest.mark.parametrize(
    "oid", [oids.TIMESTAMPTZ, oids.INT4, oids.FLOAT4, oids.MONEY, oids.JSONB, 999_999]
)
def test_result_format_asks_text_where_binary_is_slower_different_or_unknown(registry, oid):
    assert registry.result_format(oid) == 0


def test_result_format_of_an_array_follows_its_element(registry):
    assert registry.result_format(oids.ARRAY_OF[oids.BOOL]) == 1
    assert registry.result_format(oids.ARRAY_OF[oids.TIMESTAMPTZ]) == 0


def test_register_adds_an_encoder_for_a_python_type(registry):
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    registry.register(
        python_type=Point, encoder=lambda p: (oids.POINT, 0, f"({p.x},{p.y})".encode())
    )
    assert registry.encode(Point(1, 2)) == (oids.POINT, 0, b"(1,2)")


def test_register_overrides_a_builtin_decoder(registry):
    registry.register(oids.INT4, text_decoder=lambda data: ("int", int(data)))
    assert registry.decoder(oids.INT4, 0)(b"7") == ("int", 7)


def test_register_with_array_oid_decodes_arrays_with_the_element_decoder(registry):
    registry.register(70_000, text_decoder=lambda data: data.decode().upper(), array_oid=70_001)
    assert registry.decoder(70_001, 0)(b"{a,b}") == ["A", "B"]


def test_register_on_a_copy_leaves_the_default_registry_untouched(registry):
    registry.register(oids.INT4, text_decoder=str)
    assert default_registry.decoder(oids.INT4, 0)(b"7") == 7


def test_register_enum_decodes_enum_arrays_to_lists_of_str(registry):
    registry.register_enum(80_000, 80_001, "mood")
    assert registry.decoder(80_001, 0)(b"{happy,sad}") == ["happy", "sad"]


def test_register_without_oid_or_type_is_refused(registry):
    with pytest.raises(ProgrammingError):
        registry.register(text_decoder=str)


def test_set_json_uses_the_given_loads_and_dumps(registry):
    registry.set_json(loads=lambda data: ("loaded", data), dumps=lambda obj: "DUMPED")
    assert registry.decoder(oids.JSONB, 0)(b"{}") == ("loaded", b"{}")
    assert registry.encode({"a": 1}) == (oids.JSONB, 0, b"DUMPED")


def test_importing_purepg_codecs_registry_does_not_import_heavy_modules():
    code = (
        "import sys, purepg.codecs.registry, purepg.types, purepg.dbapi_types;"
        "heavy = {'decimal', 'uuid', 'json', 'ipaddress', 'datetime'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_family_module_is_imported_on_first_use_of_its_type():
    code = (
        "import sys; from purepg.codecs.registry import default_registry as r;"
        "before = 'uuid' in sys.modules;"
        "r.decoder(2950, 0)(b'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');"
        "print(before, 'uuid' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True"
