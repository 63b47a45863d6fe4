"""What a misbehaving server sends cannot grow the client's memory beyond what the client asked
for: notices and parameters are bounded, a streaming Execute gets at most its rows, messages
that carry only text have a sane length, and any value that fails to decode is a DataError."""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

import purepg
import pytest
from purepg import errors
from purepg.protocol.machine import NOTICES_KEPT, PARAMETERS_KEPT, ROW_DESCRIPTIONS_KEPT
from purepg.protocol.messages import MAX_TEXT_MESSAGE_LENGTH

from tests.purepg import protocol_backend as backend
from tests.purepg.test_protocol_machine import drain, started_machine
from tests.reliability.fake_server import FakeServer, Peer, fake_server

JSONB_OID = 3802
INT4_OID = 23


def connect_to(server: FakeServer) -> purepg.Connection:
    params: dict[str, Any] = server.params()
    return purepg.connect(**params)


def test_a_flood_of_notices_keeps_only_the_newest():
    machine = started_machine()
    machine.send_query("SELECT 1")
    notices = b"".join(backend.fields(b"N", S="NOTICE", M=f"n{i}") for i in range(5000))
    machine.receive_data(notices)
    drain(machine)
    assert len(machine.notices) <= NOTICES_KEPT
    assert machine.notices[-1]["M"] == "n4999"


def test_a_flood_of_distinct_parameters_breaks_the_connection():
    machine = started_machine()
    flood = b"".join(backend.parameter_status(f"p{i}", "x") for i in range(PARAMETERS_KEPT + 1))
    machine.receive_data(flood)
    with pytest.raises(errors.ProtocolViolation, match="distinct parameters"):
        drain(machine)


def test_the_same_parameter_reported_again_and_again_is_fine():
    machine = started_machine()
    machine.receive_data(backend.parameter_status("TimeZone", "UTC") * (PARAMETERS_KEPT + 1))
    drain(machine)
    assert machine.parameters["TimeZone"] == "UTC"


@pytest.mark.parametrize("kind", [b"E", b"N", b"T"])
def test_a_text_message_longer_than_its_limit_is_refused_before_its_payload(kind):
    machine = started_machine()
    machine.send_query("SELECT 1")
    machine.receive_data(kind + struct.pack("!i", MAX_TEXT_MESSAGE_LENGTH + 1))
    with pytest.raises(errors.ProtocolViolation, match="invalid length"):
        machine.next_event()


def test_a_notification_longer_than_postgresql_allows_is_refused():
    machine = started_machine()
    machine.receive_data(b"A" + struct.pack("!i", 1 << 20))
    with pytest.raises(errors.ProtocolViolation, match="invalid length"):
        machine.next_event()


def _stream_script(rows_sent: int):
    """A server answering the first streaming Execute with ``rows_sent`` rows."""

    def script(peer: Peer) -> None:
        peer.accept_startup()
        peer.read_until(b"H")  # Parse/Bind/Describe/Execute(max_rows)/Flush
        peer.send(
            backend.message(b"1")
            + backend.message(b"2")
            + backend.row_description(("n", INT4_OID))
            + backend.data_row(b"1") * rows_sent
            + backend.message(b"s")
        )
        peer.hold()

    return script


def test_a_stream_refuses_more_rows_than_one_execute_asked_for():
    with fake_server(_stream_script(rows_sent=5000)) as server:
        conn = connect_to(server)
        conn.autocommit = True
        rows = conn.cursor().stream("SELECT n FROM t", size=100)
        with pytest.raises(errors.ProtocolViolation, match="more than the 100 rows asked for"):
            next(rows)
        assert conn.closed == 2


def test_a_stream_accepts_exactly_the_rows_asked_for():
    with fake_server(_stream_script(rows_sent=100)) as server:
        conn = connect_to(server)
        conn.autocommit = True
        rows = conn.cursor().stream("SELECT n FROM t", size=100)
        assert next(rows) == (1,)
        conn.close()


def _fetch_flood_script(peer: Peer) -> None:
    """A server answering every FETCH with 5000 rows, whatever count it asked for."""
    peer.accept_startup()
    while True:
        _, query = peer.read_until(b"Q")
        if query.startswith(b"FETCH"):
            rows = backend.data_row(b"1") * 5000
            reply = backend.row_description(("n", INT4_OID)) + rows
            peer.send(reply + backend.command_complete("FETCH 5000") + backend.ready(b"T"))
        else:
            peer.send(backend.command_complete("OK") + backend.ready(b"T"))


@pytest.mark.parametrize("fetch", ["fetchone", "fetchmany", "iterate"])
def test_a_named_cursor_refuses_more_rows_than_its_fetch_asked_for(fetch):
    with fake_server(_fetch_flood_script) as server:
        conn = connect_to(server)
        named = conn.cursor("flooded")
        named.itersize = 100
        named.execute("SELECT n FROM t")
        take = {"fetchone": named.fetchone, "fetchmany": lambda: named.fetchmany(10)}
        with pytest.raises(errors.ProtocolViolation, match=r"more than the \d+ rows asked for"):
            take.get(fetch, lambda: next(iter(named)))()
        assert conn.closed == 2


def _one_value_script(type_oid: int, value: bytes):
    """A server answering every query with one row of one column of ``type_oid``."""

    def script(peer: Peer) -> None:
        peer.accept_startup()
        while True:
            peer.read_until(b"SQ")
            peer.send(
                backend.row_description(("v", type_oid))
                + backend.data_row(value)
                + backend.command_complete("SELECT 1")
                + backend.ready()
            )

    return script


@pytest.mark.parametrize("fetch", ["fetchone", "fetchall"])
def test_a_json_value_nested_too_deep_for_python_is_a_data_error_naming_the_column(fetch):
    deep = b"[" * 100_000 + b"]" * 100_000
    with fake_server(_one_value_script(JSONB_OID, deep)) as server:
        conn = connect_to(server)
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SELECT v")
        with pytest.raises(errors.DataError, match=r"column 'v' \(type OID 3802\).*RecursionError"):
            getattr(cur, fetch)()
        cur.execute("SELECT v")  # the connection is still usable
        conn.close()


@pytest.mark.parametrize("failure", [TypeError("no"), KeyError("k"), RuntimeError("boom")])
def test_any_exception_of_a_custom_decoder_is_a_data_error_naming_the_column(pg_cluster, failure):
    def decode(data: bytes) -> object:
        raise failure

    with purepg.connect(**pg_cluster.params("scram-sha-256")) as conn:
        conn.registry.register(INT4_OID, text_decoder=decode, binary_decoder=decode)
        cur = conn.cursor()
        cur.execute("SELECT 7::int4 AS seven")
        with pytest.raises(errors.DataError, match=f"column 'seven'.*{type(failure).__name__}"):
            cur.fetchone()


def test_huge_row_descriptions_are_not_kept_after_their_result():
    """The parsed-description cache (keyed by the message's bytes) keeps small descriptions
    only: kept, these would hold ``ROW_DESCRIPTIONS_KEPT`` MiB of column names."""
    machine = started_machine()
    for query in range(ROW_DESCRIPTIONS_KEPT):
        machine.send_query("SELECT")
        name = f"c{query}".ljust(1 << 20, "x")  # 1 MiB column names, distinct per query
        machine.receive_data(
            backend.row_description((name, INT4_OID))
            + backend.command_complete("SELECT 0")
            + backend.ready()
        )
        drain(machine)
    kept = sum(len(payload) for payload in machine._row_descriptions)
    assert kept < 1 << 20


def test_notices_go_to_a_bounded_deque_the_user_puts_in_place(pg_cluster):
    with purepg.connect(**pg_cluster.params("scram-sha-256")) as conn:
        conn.notices = deque(maxlen=3)  # type: ignore[assignment] # as psycopg2 allows
        cur = conn.cursor()
        cur.execute("DO $$ BEGIN FOR i IN 1..5 LOOP RAISE NOTICE 'n%', i; END LOOP; END $$")
        assert list(conn.notices) == ["NOTICE:  n3\n", "NOTICE:  n4\n", "NOTICE:  n5\n"]
