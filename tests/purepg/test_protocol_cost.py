"""The cost per request of the protocol core and of the whole driver, in bytecodes: a count
the machine's load does not change.

Guards the request path (the sans-IO machine alone, then cursor to socket against a real
server) against slow regressions that no timing would show (see
``docs/benchmarks/profile-notes.md``). Counted on CPython only: the bounds are for its
bytecode; newer versions run fewer bytecodes for the same code.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import purepg
import pytest
from purepg.protocol.auth import Authenticator
from purepg.protocol.machine import Machine, ReadyForQuery

from tests.purepg import protocol_backend as backend

pytestmark = pytest.mark.skipif(
    platform.python_implementation() != "CPython", reason="counts CPython bytecodes"
)

SIMPLE_QUERY_BYTECODES = 640
"""The most a ``SELECT 1`` round trip may cost the machine (send, receive, events)."""
PREPARED_STATEMENT_BYTECODES = 760
"""The most one execution of a described prepared statement may cost the machine."""
PACKAGE = str(Path(purepg.__file__).parent)


def purepg_bytecodes(run: Callable[[], object]) -> int:
    """Bytecodes run in purepg's modules while ``run()`` runs (the second of two runs: on
    CPython 3.12.1 the frames' ``f_trace_opcodes`` take effect at the next ``settrace``)."""
    count = 0
    counting = False

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename.startswith(PACKAGE):
            frame.f_trace_opcodes = True
            if event == "opcode" and counting:
                count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        run()
        sys.settrace(tracer)  # again: 3.12.1 turns opcode events on at this call
        counting = True
        run()
    finally:
        sys.settrace(previous)
    return count


def ready_machine() -> Machine:
    machine = Machine()
    machine.start({"user": "u", "database": "d"}, Authenticator("u", None))
    machine.data_to_send()
    machine.receive_data(backend.STARTUP_OK)
    assert isinstance(machine.next_event(), ReadyForQuery)
    return machine


def round_trip(machine: Machine, send: Callable[[], object], reply: bytes) -> None:
    """What a transport does for one request answered by ``reply`` in one read."""
    send()
    machine.data_to_send()
    machine.receive_data(reply)
    event = machine.next_event()
    assert isinstance(event, ReadyForQuery)
    assert event.exchange is not None
    assert event.exchange.results[-1].rowcount == 1


def test_a_simple_query_round_trip_costs_the_machine_a_few_hundred_bytecodes():
    machine = ready_machine()
    reply = (
        backend.row_description(("x", 23))
        + backend.data_row(b"1")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )

    def request() -> None:
        round_trip(machine, lambda: machine.send_query("SELECT 1"), reply)

    request()  # the first time parses the RowDescription
    assert purepg_bytecodes(request) <= SIMPLE_QUERY_BYTECODES


def test_a_prepared_statement_round_trip_costs_the_machine_a_few_hundred_bytecodes():
    machine = ready_machine()
    reply = (
        backend.message(b"2")
        + backend.data_row(b"1")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )

    def request() -> None:
        round_trip(
            machine,
            lambda: machine.send_extended(
                "", [((23,), (0,), (b"1",))], statement=b"s1", parse=False, describe=False
            ),
            reply,
        )

    request()
    assert purepg_bytecodes(request) <= PREPARED_STATEMENT_BYTECODES


SELECT_1_REQUEST_BYTECODES = 1_400
"""The most ``cursor.execute("SELECT 1")`` + ``fetchall()`` may cost the whole driver
(cursor, connection, operations, transport, machine: 1,285 on CPython 3.11)."""
SELECT_PARAM_REQUEST_BYTECODES = 1_800
"""The most ``cursor.execute("SELECT %s::int", (1,))`` + ``fetchall()`` of a prepared
statement may cost the whole driver (1,719 on CPython 3.11)."""


@pytest.fixture
def autocommit_cursor(pg_cluster: Any) -> Any:
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    connection.autocommit = True
    yield connection.cursor()
    connection.close()


def request_bytecodes(cursor: Any, query: str, params: Any = None) -> int:
    """Bytecodes of one execute + fetchall, the statement's decoders (and, with ``params``,
    its prepared statement) made by the warm-up requests first."""

    def request() -> None:
        cursor.execute(query, params)
        assert cursor.fetchall() == [(1,)]

    for _ in range(10):
        request()
    return purepg_bytecodes(request)


def test_a_simple_query_with_fetchall_costs_the_whole_driver_at_most_1400_bytecodes(
    autocommit_cursor,
):
    assert request_bytecodes(autocommit_cursor, "SELECT 1") <= SELECT_1_REQUEST_BYTECODES


def test_a_prepared_query_with_fetchall_costs_the_whole_driver_at_most_1800_bytecodes(
    autocommit_cursor,
):
    cost = request_bytecodes(autocommit_cursor, "SELECT %s::int", (1,))
    assert cost <= SELECT_PARAM_REQUEST_BYTECODES
