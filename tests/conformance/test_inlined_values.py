"""Values that a driver must put into SQL text (two-phase commit ids, cursor names) stay
values, whatever the server's ``standard_conforming_strings``: a backslash and a quote cannot
end the literal early, a NUL is refused before anything is sent, and such ids round-trip
through ``tpc_recover()``."""

from __future__ import annotations

import pytest

from tests.conformance.plugin import CONN_AUTH_MODE, VISIBILITY_TABLE
from tests.conformance.test_transactions import insert_token, visible_tokens


@pytest.fixture(params=["on", "off"], ids=lambda value: f"standard_conforming_strings={value}")
def scs_setting(request) -> str:
    return request.param


def connect_with(driver, pg_cluster, scs_setting: str):
    """A connection whose server session has ``standard_conforming_strings`` on or off."""
    options = f"-c standard_conforming_strings={scs_setting}"
    return driver.connect(**pg_cluster.params(CONN_AUTH_MODE), options=options)


@pytest.fixture
def scs_conn(driver, pg_cluster, shared_schema, scs_setting):
    connection = connect_with(driver, pg_cluster, scs_setting)
    try:
        yield connection
    finally:
        connection.close()


def hostile_gid(token: str) -> str:
    """A GID that, quoted by doubling ``'`` only, ends its literal with ``standard_conforming_
    strings`` off and runs an INSERT of ``<token>-injected``."""
    injected = f"INSERT INTO {VISIBILITY_TABLE} VALUES ($t${token}-injected$t$, 1)"
    return f"{token} ünï☃ \\'; {injected}; --"


def recovered_by_gid(conn, gid: str) -> list:
    return [xid for xid in conn.tpc_recover() if str(xid) == gid or xid[1] == gid]


def test_a_gid_with_backslash_and_quote_prepares_one_transaction_and_runs_nothing_else(
    scs_conn, observer, token
):
    gid = hostile_gid(token)
    scs_conn.tpc_begin(gid)
    insert_token(scs_conn, token)
    scs_conn.tpc_prepare()
    assert visible_tokens(observer, f"{token}-injected") == 0
    assert len(recovered_by_gid(observer, gid)) == 1
    scs_conn.tpc_commit()
    assert visible_tokens(observer, token) == 1
    assert visible_tokens(observer, f"{token}-injected") == 0
    assert recovered_by_gid(observer, gid) == []


@pytest.mark.parametrize("finish", ["tpc_commit", "tpc_rollback"])
def test_a_recovered_hostile_gid_can_be_committed_or_rolled_back(
    scs_conn, scs_setting, pg_cluster, driver, observer, token, finish
):
    gid = hostile_gid(token)
    scs_conn.tpc_begin(gid)
    insert_token(scs_conn, token)
    scs_conn.tpc_prepare()
    scs_conn.close()  # the prepared transaction outlives its session
    other = connect_with(driver, pg_cluster, scs_setting)
    try:
        (recovered,) = recovered_by_gid(other, gid)
        getattr(other, finish)(recovered)
    finally:
        other.close()
    assert recovered_by_gid(observer, gid) == []
    assert visible_tokens(observer, token) == (1 if finish == "tpc_commit" else 0)
    assert visible_tokens(observer, f"{token}-injected") == 0


@pytest.mark.parametrize(
    "gtrid, bqual",
    [("back\\slash 'quote'", "b\\'"), ("$$; SELECT 1; --", '"x" \\\\\'')],
)
def test_xa_triples_with_hard_characters_round_trip_through_tpc_recover(
    scs_conn, observer, token, gtrid, bqual
):
    gtrid = f"{token[:8]} {gtrid}"
    scs_conn.tpc_begin(scs_conn.xid(4711, gtrid, bqual))
    insert_token(scs_conn, token)
    scs_conn.tpc_prepare()
    scs_conn.close()
    (recovered,) = [xid for xid in observer.tpc_recover() if xid[1] == gtrid]
    assert (recovered[0], recovered[1], recovered[2]) == (4711, gtrid, bqual)
    observer.autocommit = False
    observer.tpc_commit(recovered)
    assert visible_tokens(observer, token) == 1


def test_a_gid_with_a_nul_character_is_refused_and_nothing_is_prepared(
    driver, scs_conn, observer, token
):
    if driver.is_raw_psycopg2:
        pytest.skip("psycopg2 cuts the GID short at the NUL (a C string); pgfacade refuses it")
    gid = f"{token}\0'; SELECT 1; --"
    with pytest.raises(Exception, match="NUL"):
        scs_conn.tpc_begin(gid)
        insert_token(scs_conn, token)
        scs_conn.tpc_prepare()
    scs_conn.close()
    assert [xid for xid in observer.tpc_recover() if token in str(xid[1])] == []
    assert visible_tokens(observer, token) == 0


def test_a_cursor_name_with_quotes_and_backslashes_names_one_server_cursor(scs_conn):
    name = 'cur "x"\\\' ; CLOSE ALL; -- ü'
    with scs_conn.cursor(name) as cur:
        cur.execute("SELECT generate_series(1, 3)")
        assert [row[0] for row in cur.fetchall()] == [1, 2, 3]
    scs_conn.rollback()


def test_a_placeholder_after_a_literal_with_a_backslash_is_found_under_either_setting(
    scs_conn, scs_setting
):
    # Off: \' escapes the quote inside '...'; on: the backslash is text and the quote ends it.
    literal, value = ("'it\\'s'", "it's") if scs_setting == "off" else ("'a\\'", "a\\")
    with scs_conn.cursor() as cur:
        cur.execute(f"SELECT {literal}, %s", ["bound"])
        assert cur.fetchone() == (value, "bound")
