"""executemany's batch encoding matches encoding each row on its own."""

from __future__ import annotations

import datetime

from purepg.codecs.registry import default_registry
from purepg.protocol import messages


def test_encode_many_follows_a_column_whose_type_changes_between_rows():
    rows = [
        (1, "a", 1.5),
        ("2", None, datetime.date(2024, 1, 2)),
        (None, 3, 2**40),
        (4.0, "b", 1.5),
    ]
    assert default_registry.encode_many(rows) == [default_registry.encode_all(r) for r in rows]


def test_encode_many_accepts_rows_of_different_lengths():
    rows = [(1, 2), (3,), ()]
    assert default_registry.encode_many(rows) == [default_registry.encode_all(r) for r in rows]


def test_bind_from_prefix_and_suffix_is_the_same_message_as_bind():
    prefix = messages.bind_prefix(b"", b"s1", [0, 1])
    suffix = messages.bind_suffix([1])
    values = [b"abc", None]
    assert messages.bind_values(prefix, values, suffix) == messages.bind(
        b"", b"s1", [0, 1], values, [1]
    )


def test_bind_declares_its_own_length():
    message = messages.bind(b"", b"", [], [b"xy", None], [])
    assert message[:1] == b"B"
    assert int.from_bytes(message[1:5], "big") == len(message) - 1
