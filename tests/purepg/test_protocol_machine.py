"""The connection state machine, driven with bytes only (no server, no socket)."""

from __future__ import annotations

import pytest
from purepg.errors import (
    AdminShutdown,
    InterfaceError,
    InvalidPassword,
    OperationalError,
    ProtocolViolation,
    UndefinedTable,
)
from purepg.protocol.auth import Authenticator
from purepg.protocol.machine import (
    NEED_DATA,
    CopyInRequested,
    CopyOutData,
    CopyOutStarted,
    Machine,
    ReadyForQuery,
)
from purepg.protocol.messages import decode_data_row

from tests.purepg import protocol_backend as backend


def drain(machine):
    """Every event until NEED_DATA."""
    events: list = []
    while True:
        event = machine.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)


def started_machine():
    machine = Machine()
    machine.start({"user": "u", "database": "d"}, Authenticator("u", None))
    machine.data_to_send()
    machine.receive_data(backend.STARTUP_OK)
    drain(machine)
    return machine


def test_startup_sends_the_startup_packet_first():
    machine = Machine()
    machine.start({"user": "u", "database": "d"}, Authenticator("u", None))
    assert machine.data_to_send().endswith(b"user\0u\0database\0d\0\0")


def test_startup_ends_with_ready_for_query_and_records_the_session():
    machine = Machine()
    machine.start({"user": "u"}, Authenticator("u", None))
    machine.receive_data(backend.STARTUP_OK)
    assert drain(machine) == [ReadyForQuery("I", None)]
    assert (machine.phase, machine.backend_pid, machine.parameters["server_version"]) == (
        "ready",
        4242,
        "15.4",
    )


def test_startup_error_is_raised_as_its_sqlstate_class():
    machine = Machine()
    machine.start({"user": "u"}, Authenticator("u", "pw"))
    machine.receive_data(backend.error("28P01", "password authentication failed", "FATAL"))
    with pytest.raises(InvalidPassword, match="password authentication failed"):
        machine.next_event()


def test_cleartext_request_is_answered_with_the_password():
    machine = Machine()
    machine.start({"user": "u"}, Authenticator("u", "secret"))
    machine.data_to_send()
    machine.receive_data(backend.auth(3))
    assert machine.next_event() is NEED_DATA
    assert backend.split_messages(machine.data_to_send()) == [(b"p", b"secret\0")]


def test_extended_query_is_one_write_of_parse_bind_describe_execute_sync():
    machine = started_machine()
    machine.send_extended("SELECT $1", [([23], [0], [b"1"])])
    kinds = [kind for kind, _ in backend.split_messages(machine.data_to_send())]
    assert kinds == [b"P", b"B", b"D", b"E", b"S"]


def test_executemany_parses_once_and_syncs_once():
    machine = started_machine()
    sets = [([23], [0], [b"1"]), ([23], [0], [b"2"])]
    machine.send_extended("INSERT INTO t VALUES ($1)", sets, describe=False)
    kinds = [kind for kind, _ in backend.split_messages(machine.data_to_send())]
    assert kinds == [b"P", b"B", b"E", b"B", b"E", b"S"]


def test_executemany_parses_again_when_the_parameter_types_change():
    machine = started_machine()
    sets = [([0], [0], [None]), ([23], [0], [b"2"])]
    machine.send_extended("INSERT INTO t VALUES ($1)", sets, describe=False)
    kinds = [kind for kind, _ in backend.split_messages(machine.data_to_send())]
    assert kinds == [b"P", b"B", b"E", b"P", b"B", b"E", b"S"]


def query_response():
    return (
        backend.message(b"1")
        + backend.message(b"2")
        + backend.row_description(("n", 23), ("s", 25))
        + backend.data_row(b"1", b"one")
        + backend.data_row(b"2", None)
        + backend.command_complete("SELECT 2")
        + backend.ready()
    )


def test_query_results_are_collected_until_ready_for_query():
    machine = started_machine()
    machine.send_extended("SELECT", [([], [], [])])
    machine.receive_data(query_response())
    (event,) = drain(machine)
    result = event.exchange.results[0]
    rows = [decode_data_row(p, [int, bytes.decode]) for p in result.rows]
    assert (rows, result.tag, result.rowcount) == ([(1, "one"), (2, None)], "SELECT 2", 2)


def test_bytes_arriving_one_at_a_time_give_the_same_result():
    machine = started_machine()
    machine.send_extended("SELECT", [([], [], [])])
    events = []
    for byte in query_response():
        machine.receive_data(bytes([byte]))
        events.extend(drain(machine))
    assert len(events[0].exchange.results[0].rows) == 2


def test_a_large_row_split_across_chunks_is_reassembled():
    machine = started_machine()
    machine.send_query("SELECT")
    value = b"x" * 1_000_000
    data = (
        backend.row_description(("v", 25))
        + backend.data_row(value)
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    for start in range(0, len(data), 65536):
        machine.receive_data(data[start : start + 65536])
    (event,) = drain(machine)
    assert decode_data_row(event.exchange.results[0].rows[0], [bytes]) == (value,)


def test_simple_query_keeps_one_result_per_statement():
    machine = started_machine()
    machine.send_query("CREATE TABLE t (); SELECT 1")
    machine.receive_data(
        backend.command_complete("CREATE TABLE")
        + backend.row_description(("?column?", 23))
        + backend.data_row(b"1")
        + backend.command_complete("SELECT 1")
        + backend.ready()
    )
    (event,) = drain(machine)
    assert [r.tag for r in event.exchange.results] == ["CREATE TABLE", "SELECT 1"]


def test_empty_query_gives_a_result_without_tag():
    machine = started_machine()
    machine.send_query("")
    machine.receive_data(backend.message(b"I") + backend.ready())
    (event,) = drain(machine)
    assert [r.tag for r in event.exchange.results] == [None]


def test_server_error_is_kept_on_the_exchange_and_status_becomes_failed():
    machine = started_machine()
    machine.send_query("SELECT * FROM missing")
    machine.receive_data(backend.error("42P01", "no such table") + backend.ready(b"E"))
    (event,) = drain(machine)
    assert isinstance(event.exchange.error, UndefinedTable)
    assert (machine.transaction_status, machine.phase) == ("E", "ready")


def test_fatal_error_during_a_query_is_raised_at_once():
    machine = started_machine()
    machine.send_query("SELECT pg_sleep(10)")
    machine.receive_data(backend.error("57P01", "terminating connection", "FATAL"))
    with pytest.raises(AdminShutdown):
        machine.next_event()


def test_end_of_stream_mid_message_raises_operational_error():
    machine = started_machine()
    machine.send_query("SELECT 1")
    machine.receive_data(backend.row_description(("n", 23))[:7])
    machine.receive_data(b"")
    with pytest.raises(OperationalError, match="server closed the connection unexpectedly"):
        drain(machine)


def test_unknown_message_breaks_the_connection_for_good():
    machine = started_machine()
    machine.send_query("SELECT 1")
    machine.receive_data(backend.message(b"?", b"junk"))
    with pytest.raises(ProtocolViolation, match="unknown message type"):
        machine.next_event()
    with pytest.raises(InterfaceError, match="broken"):
        machine.send_query("SELECT 1")


def test_message_out_of_sequence_is_a_protocol_violation():
    machine = started_machine()
    machine.receive_data(backend.command_complete("SELECT 1"))
    with pytest.raises(ProtocolViolation, match="unexpected CommandComplete"):
        machine.next_event()


def test_backend_key_data_before_authentication_is_a_protocol_violation():
    machine = Machine()
    machine.start({"user": "u"}, Authenticator("u", None))
    machine.receive_data(backend.backend_key(1))
    with pytest.raises(ProtocolViolation, match="unexpected BackendKeyData"):
        machine.next_event()


def test_a_query_response_during_startup_is_a_protocol_violation():
    machine = Machine()
    machine.start({"user": "u"}, Authenticator("u", None))
    machine.receive_data(backend.data_row(b"1"))
    with pytest.raises(ProtocolViolation, match="not a PostgreSQL server"):
        machine.next_event()


def test_notices_and_notifications_are_collected_while_idle():
    machine = started_machine()
    machine.receive_data(
        backend.fields(b"N", S="NOTICE", M="hello")
        + backend.message(b"A", b"\0\0\0\x07chan\0payload\0")
    )
    drain(machine)
    assert machine.notices[0]["M"] == "hello"
    assert machine.notifications == [(7, "chan", "payload")]


def test_parameter_status_updates_the_parameters():
    machine = started_machine()
    machine.receive_data(backend.parameter_status("TimeZone", "UTC"))
    drain(machine)
    assert machine.parameters["TimeZone"] == "UTC"


def test_copy_in_asks_for_data_then_completes():
    machine = started_machine()
    machine.send_query("COPY t FROM STDIN")
    machine.data_to_send()
    machine.receive_data(backend.message(b"G", b"\0\0\0"))
    (event,) = drain(machine)
    assert isinstance(event, CopyInRequested)
    machine.send_copy_data(b"1\n")
    machine.send_copy_done()
    sent = backend.split_messages(machine.data_to_send())
    assert sent == [(b"d", b"1\n"), (b"c", b"")]


def test_copy_out_yields_each_data_message():
    machine = started_machine()
    machine.send_query("COPY t TO STDOUT")
    machine.receive_data(
        backend.message(b"H", b"\0\0\0")
        + backend.message(b"d", b"1\n")
        + backend.message(b"d", b"2\n")
        + backend.message(b"c")
        + backend.command_complete("COPY 2")
        + backend.ready()
    )
    events = drain(machine)
    assert [type(e) for e in events] == [
        CopyOutStarted,
        CopyOutData,
        CopyOutData,
        ReadyForQuery,
    ]
    assert events[-1].exchange.results[0].rowcount == 2


def test_copy_in_during_extended_query_sends_a_new_sync():
    machine = started_machine()
    machine.send_extended("COPY t FROM STDIN", [([], [], [])])
    machine.data_to_send()
    machine.receive_data(
        backend.message(b"1") + backend.message(b"2") + backend.message(b"G", b"\0\0\0")
    )
    drain(machine)
    machine.send_copy_fail("no data")
    assert [k for k, _ in backend.split_messages(machine.data_to_send())] == [b"f", b"S"]


def test_a_lower_protocol_version_negotiated_within_the_range_is_recorded():
    machine = Machine()
    machine.start({"user": "u"}, Authenticator("u", None), protocol=(0, 2))
    machine.receive_data(backend.message(b"v", b"\0\3\0\0\0\0\0\0") + backend.STARTUP_OK)
    drain(machine)
    assert machine.protocol_minor == 0


def test_terminate_is_queued_and_closes():
    machine = started_machine()
    machine.terminate()
    assert (machine.data_to_send(), machine.phase) == (b"X\0\0\0\x04", "closed")
