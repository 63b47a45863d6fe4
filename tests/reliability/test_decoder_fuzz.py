"""Whatever bytes a server sends, purepg's protocol core raises only purepg errors and never
loops forever. Bounded here (hypothesis, a few hundred inputs per target); the long run is
``python -m tests.reliability.fuzz_long``.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from purepg.codecs.oids import FLOAT8, NUMERIC
from purepg.codecs.registry import default_registry
from purepg.errors import DataError, Error
from purepg.protocol.messages import Column
from purepg.rows import decode_rows

from tests.purepg import protocol_backend as backend
from tests.reliability import fuzzing

FUZZ_SETTINGS = settings(
    max_examples=300,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=False,
)

mutations = st.lists(
    st.builds(
        fuzzing.Mutation,
        kind=st.integers(0, fuzzing.MUTATION_KINDS - 1),
        position=st.integers(0, 1 << 16),
        value=st.integers(0, 255),
        data=st.binary(min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=6,
)
chunkings = st.lists(st.integers(1, 64), max_size=4)


def _mutated_stream(target: str) -> st.SearchStrategy[bytes]:
    bases = fuzzing.BASES[target]
    return st.builds(fuzzing.mutate, st.sampled_from(bases), mutations)


@pytest.mark.parametrize("target", fuzzing.TARGETS)
def test_mutated_server_streams_raise_only_purepg_errors(target):
    @FUZZ_SETTINGS
    @given(stream=_mutated_stream(target), chunk_sizes=chunkings)
    def check(stream: bytes, chunk_sizes: list[int]) -> None:
        fuzzing.run_target(target, stream, chunk_sizes)

    check()


@pytest.mark.parametrize("target", fuzzing.TARGETS)
def test_arbitrary_server_bytes_raise_only_purepg_errors(target):
    @FUZZ_SETTINGS
    @given(stream=st.binary(max_size=256), chunk_sizes=chunkings)
    def check(stream: bytes, chunk_sizes: list[int]) -> None:
        fuzzing.run_target(target, stream, chunk_sizes)

    check()


@pytest.mark.parametrize("target", fuzzing.TARGETS)
def test_valid_server_streams_complete(target):
    """The control: unmutated streams are accepted (else the fuzzing tests prove nothing)."""
    for stream in fuzzing.BASES[target]:
        for chunk_sizes in ([], [1], [3, 7]):
            outcome = fuzzing.run_target(target, stream, chunk_sizes)
            assert outcome.result in ("completed", "OperationalError", "InvalidPassword"), (
                stream,
                outcome,
            )


MALFORMED_VALUES = (
    b"",
    b"\x00",
    b"\xff",
    b"\xff\xff\xff",
    b"\x00" * 4,
    b"\xff" * 8,
    b"\x80" * 16,
    b"\x02",
    b"\x12\x00\x00\x00\x10",
    b"not a number",
    struct.pack("!iiI", 1, 0, 23),  # an array header announcing a dimension, then nothing
    struct.pack("!iiIii", 1, 0, 23, 2, 1) + struct.pack("!i", 100),
)
"""Column values a broken server could send: empty, short, truncated headers, bad lengths."""


def _escaping_decoder_errors(fmt: int) -> list[str]:
    """(type OID, exception) for each malformed value whose decoding, as the cursor does it
    (``purepg.cursor.decode_rows``), raises something other than a purepg error."""
    escapes = set()
    for oid in range(16, 5000):
        decoder = default_registry.decoder(oid, fmt)
        column = Column("value", 0, 0, oid, -1, -1, fmt)
        for value in MALFORMED_VALUES:
            row = backend.data_row(value)[5:]
            try:
                decode_rows([row], [decoder], [column])
            except Error:
                pass
            except Exception as exc:
                escapes.add(f"{oid}: {type(exc).__module__}.{type(exc).__name__}")
    return sorted(escapes)


def test_malformed_text_values_are_data_errors():
    assert _escaping_decoder_errors(0) == []


def test_malformed_binary_values_are_data_errors():
    assert _escaping_decoder_errors(1) == []


def test_a_malformed_value_error_names_the_column_its_type_and_the_value():
    decoder = default_registry.decoder(NUMERIC, 0)
    row = backend.data_row(b"not a number")[5:]
    with pytest.raises(DataError) as caught:
        decode_rows([row], [decoder], [Column("total", 0, 0, NUMERIC, -1, -1, 0)])
    text = str(caught.value)
    assert "'total'" in text
    assert f"type OID {NUMERIC}" in text
    assert "not a number" in text
    assert caught.value.__cause__ is not None


def test_a_binary_value_of_the_wrong_size_is_a_data_error_not_a_truncated_row():
    decoder = default_registry.decoder(FLOAT8, 1)
    row = backend.data_row(b"\x00\x01")[5:]
    with pytest.raises(DataError, match="'x'"):
        decode_rows([row], [decoder], [Column("x", 0, 0, FLOAT8, 8, -1, 1)])
