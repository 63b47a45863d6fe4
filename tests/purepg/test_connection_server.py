"""purepg's own connection behaviour against a real server: cancel, timeouts, broken
connections, transactions, hosts, round trips. DB-API behaviour shared by every driver is in
the conformance suite."""

from __future__ import annotations

import datetime
import io
import select
import socket
import threading

import purepg
import pytest
from purepg import errors


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


@pytest.fixture
def conn(params):
    connection = purepg.connect(**params)
    yield connection
    connection.close()


def cancel_once_running(conn, params) -> threading.Thread:
    """A started thread that cancels ``conn``'s query once the server shows it running."""

    def cancel():
        watcher = purepg.connect(**params)
        watcher.autocommit = True
        cur = watcher.cursor()
        running = 0
        while not running:  # waits for the query to start; a condition, not a timing
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active'",
                (conn.backend_pid,),
            )
            (running,) = cur.fetchall()[0]
        watcher.close()
        conn.cancel()

    thread = threading.Thread(target=cancel)
    thread.start()
    return thread


def test_cancel_from_another_thread_interrupts_the_running_query(conn, params):
    thread = cancel_once_running(conn, params)
    with pytest.raises(errors.QueryCanceled):
        conn.cursor().execute("SELECT pg_sleep(60)")
    thread.join()
    conn.rollback()
    cur = conn.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


def test_statement_timeout_keyword_cancels_long_statements(params):
    with purepg.connect(statement_timeout="100ms", **params) as conn:
        cur = conn.cursor()
        with pytest.raises(errors.QueryCanceled, match="statement timeout"):
            cur.execute("SELECT pg_sleep(30)")
    conn.close()


def test_terminated_backend_raises_operational_error_and_marks_the_connection_broken(conn, admin):
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (conn.backend_pid,))
    with pytest.raises(errors.OperationalError):
        conn.cursor().execute("SELECT 1")
    assert conn.closed == 2


def test_broken_connection_refuses_further_queries_with_interface_error(conn, admin):
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (conn.backend_pid,))
    with pytest.raises(errors.OperationalError):
        conn.cursor().execute("SELECT 1")
    with pytest.raises(errors.InterfaceError):
        conn.cursor().execute("SELECT 1")


def test_with_block_commits_and_keeps_the_connection_open(conn, params):
    with conn:
        conn.cursor().execute("CREATE TABLE with_commit (n int)")
    assert not conn.closed
    with purepg.connect(**params) as other:
        other.cursor().execute("SELECT count(*) FROM with_commit")
    other.close()
    conn.cursor().execute("DROP TABLE with_commit")
    conn.commit()


def test_with_block_rolls_back_on_exception(conn):
    with pytest.raises(ZeroDivisionError), conn:
        conn.cursor().execute("CREATE TEMPORARY TABLE rolled_back (n int)")
        1 / 0  # noqa: B018
    assert conn.transaction_status == "I"
    with pytest.raises(errors.UndefinedTable):
        conn.cursor().execute("SELECT * FROM rolled_back")


def test_set_session_starts_transactions_with_the_characteristics(conn):
    conn.set_session(isolation_level="SERIALIZABLE", readonly=True)
    cur = conn.cursor()
    cur.execute("SHOW transaction_isolation")
    assert cur.fetchone() == ("serializable",)
    with pytest.raises(errors.ReadOnlySqlTransaction):
        cur.execute("CREATE TEMPORARY TABLE nope (n int)")


def test_notices_are_kept_on_the_connection(conn):
    conn.cursor().execute("DO $$ BEGIN RAISE NOTICE 'hello there'; END $$")
    assert conn.notices == ["NOTICE:  hello there\n"]


def test_copy_expert_round_trips_rows(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMPORARY TABLE copied (n int, s text)")
    cur.copy_expert("COPY copied FROM STDIN", io.BytesIO(b"1\tone\n2\t\\N\n"))
    out = io.StringIO()
    cur.copy_expert("COPY copied TO STDOUT", out)
    assert out.getvalue() == "1\tone\n2\t\\N\n"


def test_copy_from_stdin_without_a_file_is_refused_and_the_connection_stays_usable(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMPORARY TABLE not_copied (n int)")
    conn.commit()
    with pytest.raises(errors.Error, match="copy_expert"):
        cur.execute("COPY not_copied FROM STDIN")
    conn.rollback()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


def test_parameterised_select_takes_one_round_trip(conn):
    cur = conn.cursor()
    before = conn._round_trips
    cur.execute("SELECT %s::int + %s", (1, 2))
    assert (cur.fetchone(), conn._round_trips - before) == ((3,), 1)


def test_insert_inside_a_transaction_takes_one_round_trip(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMPORARY TABLE trips (n int)")
    before = conn._round_trips
    cur.execute("INSERT INTO trips VALUES (%s)", (1,))
    assert conn._round_trips - before == 1


def test_executemany_takes_one_round_trip(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMPORARY TABLE many (n int)")
    before = conn._round_trips
    cur.executemany("INSERT INTO many VALUES (%s)", [(n,) for n in range(50)])
    assert (cur.rowcount, conn._round_trips - before) == (50, 1)


def test_unix_socket_directory_as_host(pg_cluster):
    with purepg.connect(**pg_cluster.admin_params()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT inet_client_addr() IS NULL")
        assert cur.fetchone() == (True,)
    conn.close()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_first_host_falls_through_to_the_next(params):
    multi = dict(
        params, host=f"127.0.0.1,{params['host']}", port=f"{closed_port()},{params['port']}"
    )
    conn = purepg.connect(**multi)
    assert not conn.closed
    conn.close()


def test_target_session_attrs_read_only_refuses_a_primary(params):
    with pytest.raises(errors.OperationalError, match="session is not read-only"):
        purepg.connect(target_session_attrs="read-only", **params)


def test_target_session_attrs_prefer_standby_accepts_a_primary_when_no_standby(params):
    conn = purepg.connect(target_session_attrs="prefer-standby", **params)
    conn.close()


def test_target_session_attrs_primary_accepts_a_primary(params):
    conn = purepg.connect(target_session_attrs="primary", **params)
    conn.close()


def test_application_name_reaches_the_server(params):
    conn = purepg.connect(application_name="purepg-test", **params)
    cur = conn.cursor()
    cur.execute("SHOW application_name")
    assert cur.fetchone() == ("purepg-test",)
    conn.close()


def test_direct_tls_negotiation(pg_cluster, pg_major):
    if pg_major < 17:
        pytest.skip("sslnegotiation=direct needs PostgreSQL 17")
    params = pg_cluster.params("scram-sha-256", sslmode="require", sslnegotiation="direct")
    conn = purepg.connect(**params)
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert cur.fetchone() == (True,)
    conn.close()


def ssl_in_use(conn):
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    (in_use,) = cur.fetchall()[0]
    return in_use


def test_sslmode_prefer_uses_tls_when_the_server_offers_it(params):
    conn = purepg.connect(**dict(params, sslmode="prefer"))
    assert ssl_in_use(conn) is True
    conn.close()


def test_sslmode_prefer_falls_back_to_plain_when_the_server_has_no_tls(pg_cluster, params):
    with pg_cluster.ssl_disabled():
        conn = purepg.connect(**dict(params, sslmode="prefer"))
        assert ssl_in_use(conn) is False
        conn.close()


def test_sslmode_allow_retries_with_tls_when_plain_is_refused(pg_cluster):
    tls_only = pg_cluster.params("scram-sha-256-plus", sslmode="allow", channel_binding="prefer")
    conn = purepg.connect(**tls_only)
    assert ssl_in_use(conn) is True
    conn.close()


def test_sslmode_disable_never_uses_tls(params):
    conn = purepg.connect(**dict(params, sslmode="disable"))
    assert ssl_in_use(conn) is False
    conn.close()


def test_notifications_are_received_through_poll(conn, params):
    conn.autocommit = True
    conn.cursor().execute("LISTEN purepg_channel")
    sender = purepg.connect(**params)
    sender.autocommit = True
    sender.cursor().execute("SELECT pg_notify('purepg_channel', 'hello')")
    sender.close()
    for _ in range(100):  # bounded wait: at most 100 select() rounds of 0.1 s
        conn.poll()
        if conn.notifies:
            break
        select.select([conn], [], [], 0.1)
    assert [(n.channel, n.payload) for n in conn.notifies] == [("purepg_channel", "hello")]


def test_notification_received_during_a_query_is_kept(conn, params):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("LISTEN purepg_during")
    cur.execute("NOTIFY purepg_during, 'self'")
    assert [(n.channel, n.payload, n.pid) for n in conn.notifies] == [
        ("purepg_during", "self", conn.backend_pid)
    ]


def test_copy_from_a_source_with_only_read(conn):
    class ReadOnly:
        def __init__(self) -> None:
            self.data = io.StringIO("1\n2\n")

        def read(self, size: int = -1) -> str:
            return self.data.read(size)

    cursor = conn.cursor()
    cursor.execute("CREATE TEMP TABLE read_only_source (n int)")
    cursor.copy_expert("COPY read_only_source FROM STDIN", ReadOnly())
    cursor.execute("SELECT n FROM read_only_source ORDER BY n")
    assert cursor.fetchall() == [(1,), (2,)]


def test_a_socket_timeout_lets_quicker_queries_run(params):
    with purepg.connect(**params, socket_timeout=30) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT 1 FROM pg_sleep(0.01)")
        assert cursor.fetchall() == [(1,)]
    connection.close()


def test_intervalstyle_is_not_in_the_startup_packet():
    from purepg.conninfo import resolve
    from purepg.protocol.flow import startup_parameters

    startup = startup_parameters(resolve(None, {"host": "h", "user": "u"}, environ={}), None)
    assert "IntervalStyle" not in startup
    assert startup["DateStyle"] == "ISO"


def test_a_session_with_another_intervalstyle_is_set_back_to_postgres(params):
    connection = purepg.connect(**params, options="-c IntervalStyle=iso_8601")
    try:
        assert connection.get_parameter_status("IntervalStyle") == "postgres"
        cursor = connection.cursor()
        cursor.execute("SELECT interval '1 day 02:00:00'")
        assert cursor.fetchall() == [(datetime.timedelta(days=1, hours=2),)]
    finally:
        connection.close()
