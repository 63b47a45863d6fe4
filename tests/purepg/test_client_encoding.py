"""purepg exchanges text in UTF8 only: any other client encoding is refused with an error naming
``client_encoding``, wherever it comes from, and nothing is decoded with a wrong codec. Databases
in other encodings work through the server's conversion, storing what psycopg2 stores."""

from __future__ import annotations

import purepg
import pytest
from purepg import errors
from purepg.protocol.auth import Authenticator
from purepg.protocol.machine import Machine

from tests.harness.admin import admin_connect
from tests.purepg import protocol_backend as backend
from tests.purepg.test_protocol_machine import started_machine

DATABASES = {
    "enc_latin1": "LATIN1",
    "enc_win1251": "WIN1251",
    "enc_sql_ascii": "SQL_ASCII",
}


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


@pytest.fixture
def database(pg_cluster):
    """Connection parameters of a database in a given encoding (created once per cluster)."""
    admin = admin_connect(pg_cluster.admin_params())
    admin.autocommit = True
    cur = admin.cursor()
    for name, encoding in DATABASES.items():
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone()[0] == 0:
            cur.execute(
                f"CREATE DATABASE {name} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' "
                "TEMPLATE template0"
            )
        cur.execute(f"GRANT ALL ON DATABASE {name} TO PUBLIC")
        owner = admin_connect(pg_cluster.admin_params(dbname=name))
        owner.autocommit = True
        owner.cursor().execute("GRANT ALL ON SCHEMA public TO PUBLIC")
        owner.close()
    admin.close()

    def params_of(encoding: str) -> dict[str, str]:
        (name,) = (name for name, value in DATABASES.items() if value == encoding)
        return pg_cluster.params("scram-sha-256", dbname=name)

    return params_of


@pytest.mark.parametrize("value", ["LATIN1", "WIN866", "SQL_ASCII", "latin-1"])
def test_a_client_encoding_keyword_other_than_utf8_is_refused_naming_it(params, value):
    with pytest.raises(errors.NotSupportedError, match=f"client_encoding='{value}'"):
        purepg.connect(**params, client_encoding=value)


def test_pgclientencoding_other_than_utf8_is_refused_naming_it(params, monkeypatch):
    monkeypatch.setenv("PGCLIENTENCODING", "WIN866")
    expected = r"client_encoding='WIN866'.*PGCLIENTENCODING"
    with pytest.raises(errors.NotSupportedError, match=expected):
        purepg.connect(**params)


@pytest.mark.parametrize("option", ["-c client_encoding=LATIN1", "--client-encoding=WIN1251"])
def test_a_client_encoding_set_through_options_is_refused_at_connect(params, option):
    with pytest.raises(errors.NotSupportedError, match="client_encoding"):
        purepg.connect(**params, options=option)


def test_set_client_encoding_during_the_session_breaks_the_connection_naming_it(params):
    conn = purepg.connect(**params)
    cur = conn.cursor()
    with pytest.raises(errors.NotSupportedError, match="client_encoding to 'LATIN1'"):
        cur.execute("SET client_encoding TO 'LATIN1'")
    assert conn.closed == 2
    with pytest.raises(errors.InterfaceError):
        cur.execute("SELECT 'café'")


def test_a_server_reporting_another_client_encoding_at_startup_is_refused():
    machine = Machine()
    machine.start({"user": "u", "database": "d"}, Authenticator("u", None))
    machine.receive_data(backend.auth(0) + backend.parameter_status("client_encoding", "WIN866"))
    with pytest.raises(errors.NotSupportedError, match="client_encoding to 'WIN866'"):
        machine.next_event()


def test_rows_after_a_client_encoding_switch_are_never_decoded():
    machine = started_machine()
    machine.send_query("SELECT 1")
    machine.receive_data(
        backend.parameter_status("client_encoding", "LATIN1")
        + backend.row_description(("word", 25))
        + backend.data_row("café".encode("latin-1"))
    )
    with pytest.raises(errors.NotSupportedError, match="LATIN1"):
        machine.next_event()
    with pytest.raises(errors.InterfaceError, match=r"broken.*LATIN1"):
        machine.next_event()


@pytest.mark.parametrize("value", ["UTF8", "utf-8", "Unicode", "auto"])
def test_the_spellings_of_utf8_and_auto_are_accepted(params, value):
    with purepg.connect(**params, client_encoding=value) as conn:
        assert conn.encoding == "UTF8"
        cur = conn.cursor()
        cur.execute("SELECT 'café', %s", ("café",))
        assert cur.fetchone() == ("café", "café")


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("LATIN1", "café «ÿ»"), ("WIN1251", "Привет, мир ё")],
)
def test_text_in_a_non_utf8_database_is_stored_as_psycopg2_stores_it(database, encoding, text):
    psycopg2 = pytest.importorskip("psycopg2", reason="the reference driver (CPython only)")
    stored = []
    for connect in (purepg.connect, psycopg2.connect):
        with connect(**database(encoding)) as conn:
            cur = conn.cursor()
            cur.execute("CREATE TEMP TABLE t (literal text, parameter text)")
            cur.execute(f"INSERT INTO t VALUES ('{text}', %s)", (text,))
            cur.execute(f"SELECT literal, parameter, convert_to(parameter, '{encoding}') FROM t")
            row = cur.fetchone()
            assert row is not None
            literal, parameter, raw = row
            stored.append((literal, parameter, bytes(raw)))
    assert stored[0] == stored[1] == (text, text, text.encode(_python_codec(encoding)))


def test_a_character_a_latin1_database_lacks_is_the_servers_error(database):
    with purepg.connect(**database("LATIN1")) as conn:
        cur = conn.cursor()
        with pytest.raises(errors.UntranslatableCharacter):
            cur.execute("SELECT %s::text", ("€",))


def test_a_sql_ascii_database_returns_the_utf8_text_it_was_given(database):
    with purepg.connect(**database("SQL_ASCII")) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 'café', %s::text", ("Привет",))
        assert cur.fetchone() == ("café", "Привет")


def test_non_utf8_bytes_in_a_sql_ascii_database_are_the_servers_data_error(database):
    """The server checks what it sends a UTF8 client: bytes stored by a LATIN1 client never
    reach purepg undecodable (psycopg2 reads SQL_ASCII with Python's ascii codec instead)."""
    with purepg.connect(**database("SQL_ASCII")) as conn:
        cur = conn.cursor()
        with pytest.raises(errors.CharacterNotInRepertoire, match="invalid byte sequence"):
            cur.execute("SELECT 'caf' || chr(233) AS latin1_word")


def _python_codec(encoding: str) -> str:
    return {"LATIN1": "latin-1", "WIN1251": "cp1251"}[encoding]
