"""Two-phase commit (the DB-API tpc_* extension): a prepared transaction survives its session
until it is committed or rolled back, and tpc_recover lists it."""

from __future__ import annotations

from tests.conformance.test_transactions import insert_token, visible_tokens


def test_prepared_then_committed_transaction_becomes_visible(conn, observer, token):
    xid = conn.xid(42, f"commit-{token}", "branch")
    conn.tpc_begin(xid)
    insert_token(conn, token)
    conn.tpc_prepare()
    assert visible_tokens(observer, token) == 0
    conn.tpc_commit()
    assert visible_tokens(observer, token) == 1


def test_prepared_then_rolled_back_transaction_leaves_nothing(conn, observer, token):
    conn.tpc_begin(conn.xid(42, f"rollback-{token}", "branch"))
    insert_token(conn, token)
    conn.tpc_prepare()
    conn.tpc_rollback()
    assert visible_tokens(observer, token) == 0


def test_tpc_recover_lists_a_prepared_transaction_of_another_session(
    driver, pg_cluster, conn, observer, token
):
    conn.tpc_begin(conn.xid(7, f"recover-{token}", "b"))
    insert_token(conn, token)
    conn.tpc_prepare()
    conn.close()  # the prepared transaction outlives its session
    recovered = [xid for xid in observer.tpc_recover() if xid[1] == f"recover-{token}"]
    assert [(xid[0], xid[1], xid[2]) for xid in recovered] == [(7, f"recover-{token}", "b")]
    observer.autocommit = False
    observer.tpc_rollback(recovered[0])
    assert visible_tokens(observer, token) == 0
