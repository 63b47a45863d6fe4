"""Fuzzing purepg's sans-IO protocol core: valid server byte streams, mutated, fed to the machine.

Shared by the bounded hypothesis tests (``test_decoder_fuzz.py``) and the long run
(``fuzz_long.py``). A run drives a `Machine` exactly as the transport does; the only exceptions
allowed out are purepg's own (``purepg.errors.Error``). The core does no I/O, so a hang can only
be an endless loop: a run that needs more steps than its input could justify is reported.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from typing import Any, Callable, NamedTuple

from purepg.codecs.registry import default_registry
from purepg.errors import Error
from purepg.protocol import messages
from purepg.protocol.auth import Authenticator
from purepg.protocol.machine import (
    BUSY,
    NEED_DATA,
    CopyInRequested,
    Machine,
    ReadyForQuery,
)
from purepg.rows import decode_rows

from tests.purepg import protocol_backend as backend

# --- valid server streams -------------------------------------------------------------------

INT4, TEXT, BOOL, BYTEA, NUMERIC, TIMESTAMPTZ, JSONB, INT4_ARRAY = (
    23,
    25,
    16,
    17,
    1700,
    1184,
    3802,
    1007,
)


def _copy_response(kind: bytes, columns: int) -> bytes:
    return backend.message(kind, b"\0" + struct.pack("!h", columns) + b"\0\0" * columns)


SIMPLE_RESPONSES: tuple[bytes, ...] = (
    backend.row_description(("n", INT4), ("t", TEXT), ("b", BOOL))
    + backend.data_row(b"1", b"one", b"t")
    + backend.data_row(b"2", None, b"f")
    + backend.command_complete("SELECT 2")
    + backend.ready(),
    backend.row_description(("x", NUMERIC), ("at", TIMESTAMPTZ), ("j", JSONB), ("a", INT4_ARRAY))
    + backend.data_row(b"3.14", b"2024-02-29 12:00:00+00", b'{"k": [1, 2]}', b"{1,2,NULL}")
    + backend.command_complete("SELECT 1")
    + backend.ready(),
    backend.command_complete("INSERT 0 3") + backend.ready(b"T"),
    backend.error("42P01", 'relation "nope" does not exist') + backend.ready(b"E"),
    backend.fields(b"N", S="NOTICE", V="NOTICE", C="00000", M="just saying")
    + backend.parameter_status("TimeZone", "UTC")
    + backend.message(b"A", struct.pack("!i", 77) + b"chan\0payload\0")
    + backend.command_complete("SET")
    + backend.ready(),
    backend.message(b"I") + backend.ready(),
    _copy_response(b"H", 2)
    + backend.message(b"d", b"1\tone\n")
    + backend.message(b"d", b"2\ttwo\n")
    + backend.message(b"c")
    + backend.command_complete("COPY 2")
    + backend.ready(),
    _copy_response(b"G", 1) + backend.command_complete("COPY 0") + backend.ready(),
    backend.row_description(("b", BYTEA))
    + backend.data_row(b"\\x00ff")
    + backend.error("57014", "canceling statement due to statement timeout")
    + backend.ready(),
)
"""Responses to a simple Query."""

EXTENDED_RESPONSES: tuple[bytes, ...] = (
    backend.message(b"1")
    + backend.message(b"2")
    + backend.row_description(("n", INT4), ("t", TEXT))
    + backend.data_row(b"7", b"seven")
    + backend.command_complete("SELECT 1")
    + backend.ready(),
    backend.message(b"1")
    + backend.message(b"t", struct.pack("!hI", 1, INT4))
    + backend.message(b"2")
    + backend.message(b"n")
    + backend.command_complete("UPDATE 5")
    + backend.ready(),
    backend.message(b"1")
    + backend.message(b"2")
    + backend.row_description(("n", INT4))
    + backend.data_row(b"1")
    + backend.message(b"s")
    + backend.ready(),
    backend.error("22P02", "invalid input syntax for type integer") + backend.ready(),
)
"""Responses to an extended-protocol batch (Parse/Bind/Describe/Execute/Sync)."""

STARTUP_STREAMS: tuple[bytes, ...] = (
    backend.STARTUP_OK,
    backend.auth(5, b"salt") + backend.STARTUP_OK,
    backend.auth(3) + backend.STARTUP_OK,
    backend.auth(10, b"SCRAM-SHA-256\0\0")
    + backend.auth(11, b"r=abc,s=c2FsdA==,i=4096")
    + backend.auth(12, b"v=AAAA")
    + backend.STARTUP_OK,
    # asked for 3.0-3.2 (startup_machine), a server of protocol 3.0 answers with 3.0, no options
    backend.message(b"v", struct.pack("!ii", 0x0003_0000, 0)) + backend.STARTUP_OK,
    backend.error("28P01", 'password authentication failed for user "u"', "FATAL"),
)
"""Startup exchanges (trust, md5, cleartext, SCRAM, protocol negotiation, refusal)."""

# --- mutations -------------------------------------------------------------------------------

INTERESTING_INT32 = (
    -(2**31),
    -2,
    -1,
    0,
    1,
    3,
    4,
    5,
    255,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x10000,
    0x10004,
    0x40000000,
    0x40010004,
    0x7FFFFFFF,
)
INTERESTING_BYTES = b"\x00\xff\x7f\x80DTCZEN1234ISsnGHdcRWKAvVt"

FLIP, SET_BYTE, SET_INT32, INSERT, DELETE, TRUNCATE, DUPLICATE = range(7)
MUTATION_KINDS = 7


class Mutation(NamedTuple):
    """One change to a byte stream; positions are taken modulo its length."""

    kind: int
    position: int
    value: int
    data: bytes = b""


def mutate(data: bytes, mutations: Sequence[Mutation]) -> bytes:
    """``data`` with each mutation applied in turn."""
    buf = bytearray(data)
    for mutation in mutations:
        if not buf:
            buf.extend(mutation.data or b"\0")
            continue
        pos = mutation.position % len(buf)
        if mutation.kind == FLIP:
            buf[pos] ^= 1 << (mutation.value % 8)
        elif mutation.kind == SET_BYTE:
            buf[pos] = INTERESTING_BYTES[mutation.value % len(INTERESTING_BYTES)]
        elif mutation.kind == SET_INT32:
            value = INTERESTING_INT32[mutation.value % len(INTERESTING_INT32)]
            buf[pos : pos + 4] = struct.pack("!i", value)
        elif mutation.kind == INSERT:
            buf[pos:pos] = mutation.data
        elif mutation.kind == DELETE:
            del buf[pos : pos + 1 + mutation.value % 16]
        elif mutation.kind == TRUNCATE:
            del buf[pos:]
        elif mutation.kind == DUPLICATE:
            buf[pos:pos] = buf[pos : pos + 1 + mutation.value % 64]
    return bytes(buf)


def random_mutations(rng: random.Random, count: int) -> list[Mutation]:
    """``count`` random mutations (the long run's generator)."""
    result = []
    for _ in range(count):
        kind = rng.randrange(MUTATION_KINDS)
        data = rng.randbytes(rng.randrange(1, 12)) if kind == INSERT else b""
        result.append(Mutation(kind, rng.randrange(1 << 16), rng.randrange(256), data))
    return result


# --- driving the machine ---------------------------------------------------------------------


class HangError(AssertionError):
    """The machine kept producing events without consuming input: an endless loop."""


class Outcome(NamedTuple):
    """How a run ended: ``"completed"``, ``"eof"`` (needed more data) or a purepg error name."""

    result: str
    events: int


def _feed_in_chunks(machine: Machine, stream: bytes, chunk_sizes: Sequence[int]) -> list[bytes]:
    chunks = []
    pos = 0
    index = 0
    while pos < len(stream):
        size = chunk_sizes[index % len(chunk_sizes)] if chunk_sizes else len(stream)
        size = max(1, size)
        chunks.append(stream[pos : pos + size])
        pos += size
        index += 1
    return chunks


def _decode_rows(exchange: Any) -> None:
    """Decode every row as the cursor does (``purepg.cursor.decode_rows``), default codecs."""
    for result in exchange.results:
        if result.columns is None:
            for payload in result.rows:
                messages.parse_data_row_raw(payload)
            continue
        decoders = [default_registry.decoder(c.type_oid, c.format) for c in result.columns]
        decode_rows(result.rows, decoders, result.columns)


def drive(machine: Machine, stream: bytes, chunk_sizes: Sequence[int]) -> Outcome:
    """Feed ``stream`` in chunks, then end of stream, handling events like the transport.

    Returns the outcome; raises `HangError` for an endless loop. purepg errors are the
    outcome's result; anything else propagates (that is the bug being hunted).
    """
    chunks = _feed_in_chunks(machine, stream, chunk_sizes)
    chunks.append(b"")  # the server closes the connection
    step_limit = 2 * len(stream) + 64
    steps = 0
    try:
        while True:
            steps += 1
            if steps > step_limit:
                raise HangError(f"{steps} events from a {len(stream)}-byte stream")
            machine.data_to_send()
            event = machine.next_event()
            if event is NEED_DATA:
                if not chunks:
                    raise HangError("NEED_DATA again after end of stream")
                machine.receive_data(chunks.pop(0))
            elif isinstance(event, ReadyForQuery):
                if event.exchange is not None:
                    _decode_rows(event.exchange)
                if machine.phase != BUSY:
                    return Outcome("completed", steps)
            elif isinstance(event, CopyInRequested):
                machine.send_copy_data(b"1\n")
                machine.send_copy_done()
    except Error as exc:
        return Outcome(type(exc).__name__, steps)


def startup_machine(password: str | None = "pw") -> Machine:
    """A machine that sent its StartupMessage (protocol 3.0 to 3.2) and waits for the server."""
    machine = Machine()
    machine.start({"user": "u", "database": "d"}, Authenticator("u", password), protocol=(0, 2))
    machine.data_to_send()
    return machine


def ready_machine() -> Machine:
    """A machine past a trust startup, idle and ready for a request."""
    machine = startup_machine(None)
    machine.receive_data(backend.STARTUP_OK)
    while machine.next_event() is not NEED_DATA:
        pass
    return machine


SIMPLE, EXTENDED, STARTUP = "simple", "extended", "startup"
TARGETS = (SIMPLE, EXTENDED, STARTUP)
BASES: dict[str, tuple[bytes, ...]] = {
    SIMPLE: SIMPLE_RESPONSES,
    EXTENDED: EXTENDED_RESPONSES,
    STARTUP: STARTUP_STREAMS,
}


def run_target(target: str, stream: bytes, chunk_sizes: Sequence[int]) -> Outcome:
    """One input: a machine in the state ``target`` needs, then ``stream`` from the server."""
    if target == STARTUP:
        machine = startup_machine()
    else:
        machine = ready_machine()
        if target == SIMPLE:
            machine.send_query("SELECT 1")
        else:
            machine.send_extended("SELECT $1", [((INT4,), (0,), (b"1",))])
    return drive(machine, stream, chunk_sizes)


Runner = Callable[[str, bytes, Sequence[int]], Outcome]
