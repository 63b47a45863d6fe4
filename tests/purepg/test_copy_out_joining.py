"""COPY TO STDOUT data handed over in one event per buffer (``join_copy_data``)."""

from __future__ import annotations

from purepg.protocol.machine import NEED_DATA, CopyOutData, CopyOutStarted, ReadyForQuery

from tests.purepg import protocol_backend as backend
from tests.purepg.test_protocol_machine import started_machine


def drain_joined(machine):
    """Every event until NEED_DATA, CopyData joined."""
    events: list = []
    while True:
        event = machine.next_event(join_copy_data=True)
        if event is NEED_DATA:
            return events
        events.append(event)


def test_complete_copy_data_messages_arrive_as_one_joined_event():
    machine = started_machine()
    machine.send_query("COPY t TO STDOUT")
    machine.receive_data(
        backend.message(b"H", b"\0\0\0")
        + backend.message(b"d", b"1\n")
        + backend.message(b"d", b"2\n")
        + backend.message(b"d", b"3\n")
        + backend.message(b"c")
        + backend.command_complete("COPY 3")
        + backend.ready()
    )
    events = drain_joined(machine)
    assert [type(e) for e in events] == [CopyOutStarted, CopyOutData, ReadyForQuery]
    assert events[1].data == b"1\n2\n3\n"
    assert events[-1].exchange.results[0].rowcount == 3


def test_an_incomplete_copy_data_message_waits_for_its_remaining_bytes():
    machine = started_machine()
    machine.send_query("COPY t TO STDOUT")
    last = backend.message(b"d", b"3\n")
    machine.receive_data(
        backend.message(b"H", b"\0\0\0")
        + backend.message(b"d", b"1\n")
        + backend.message(b"d", b"2\n")
        + last[:4]
    )
    first = drain_joined(machine)
    machine.receive_data(last[4:] + backend.message(b"c"))
    machine.receive_data(backend.command_complete("COPY 3") + backend.ready())
    second = drain_joined(machine)
    assert [e.data for e in first + second if isinstance(e, CopyOutData)] == [b"1\n2\n", b"3\n"]
