"""Rows: DataRow payloads decoded column by column, and the DB-API description of a column.

No I/O: the cursors (``purepg.core.cursor_state``) and the connection's internal queries use
these on rows already received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from purepg.codecs import oids
from purepg.errors import DataError, ProtocolViolation
from purepg.protocol.messages import Column, Decoder, data_row_columns, parse_data_row_raw

DECODE_ERRORS = (Exception,)
"""What a column decoder may raise for a value it cannot decode (reported as DataError): any
exception, be it ValueError, UnicodeDecodeError, OverflowError, struct.error or the
RecursionError of a deeply nested json value; a custom decoder's too."""
SHOWN_VALUE_LENGTH = 60
CHAR_OIDS = (oids.BPCHAR, oids.VARCHAR)


class ColumnDescription(NamedTuple):
    """One ``cursor.description`` entry: the DB-API's 7 items, type_code = the type OID."""

    name: str
    type_code: int
    display_size: int | None
    internal_size: int | None
    precision: int | None
    scale: int | None
    null_ok: bool | None


def describe(column: Column) -> ColumnDescription:
    precision = scale = None
    internal_size: int | None = column.type_size
    modifier = column.type_modifier
    if column.type_oid == oids.NUMERIC:
        internal_size = None
        if modifier >= 4:
            precision = ((modifier - 4) >> 16) & 0xFFFF
            scale = (modifier - 4) & 0xFFFF
    elif column.type_oid in CHAR_OIDS:
        internal_size = modifier - 4 if modifier >= 4 else None
    elif internal_size is not None and internal_size < 0:
        internal_size = None
    return ColumnDescription(
        column.name,
        column.type_oid,
        None,
        internal_size,
        precision,
        scale,
        None,
    )


def decode_rows(
    payloads: Sequence[bytes], decoders: Sequence[Decoder], columns: Sequence[Column]
) -> list[tuple[Any, ...]]:
    """DataRow payloads decoded with ``decoders`` (one per column of ``columns``).

    Column by column: the rows are split into one list of values per column, each column is
    decoded with ``map`` (the loop runs in C, and most decoders are C builtins or one short
    function), and ``zip`` builds the row tuples. A malformed value raises DataError naming
    the column, its type OID and the value (the decoder's exception chained); a DataRow that
    contradicts its RowDescription raises ProtocolViolation. One try around everything:
    nothing is paid per value.
    """
    try:
        values = data_row_columns(payloads, len(decoders))
        decoded = [decode_column(decoder, column) for decoder, column in zip(decoders, values)]
    except ProtocolViolation:
        raise
    except DECODE_ERRORS as exc:
        raise value_error(payloads, decoders, columns, exc) from exc
    if not decoded:
        return [()] * len(payloads)
    return list(zip(*decoded))


def decode_column(decoder: Decoder, values: list[bytes | None]) -> list[Any]:
    if None in values:
        return [None if value is None else decoder(value) for value in values]
    return list(map(decoder, values))  # type: ignore[arg-type] # no None in it


def value_error(
    payloads: Sequence[bytes],
    decoders: Sequence[Decoder],
    columns: Sequence[Column],
    exc: BaseException,
) -> DataError:
    """The DataError for ``exc``: the failing row is found again, column by column."""
    for payload in payloads:
        values = parse_data_row_raw(payload)  # ProtocolViolation if the framing is broken
        if len(values) != len(decoders):
            raise ProtocolViolation(
                f"malformed DataRow: {len(values)} columns, the RowDescription announced "
                f"{len(decoders)}"
            )
        for index, (decoder, value) in enumerate(zip(decoders, values)):
            if value is None:
                continue
            try:
                decoder(value)
            except DECODE_ERRORS as problem:
                reason = str(problem) if isinstance(problem, DataError) else describe_error(problem)
                shown = repr(value[:SHOWN_VALUE_LENGTH])
                if len(value) > SHOWN_VALUE_LENGTH:
                    shown += f" ({len(value)} bytes)"
                if index < len(columns):
                    column = columns[index]
                    where = f"column {column.name!r} (type OID {column.type_oid})"
                else:
                    where = f"column {index + 1}"
                return DataError(f"cannot decode the value of {where}: {reason}; value {shown}")
    return DataError(f"cannot decode a row: {describe_error(exc)}")


def describe_error(exc: BaseException) -> str:
    """``exc`` as "Type: message" (a bare RecursionError or KeyError says little alone)."""
    return f"{type(exc).__name__}: {exc}"
