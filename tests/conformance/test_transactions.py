"""Transactions: commit, rollback, autocommit, isolation levels, read-only sessions and the
connection context manager (commits or rolls back, never closes)."""

from __future__ import annotations

import pytest

from tests.conformance.plugin import VISIBILITY_TABLE

ISOLATION_LEVELS = ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"]


class BlockFailedError(Exception):
    """Raised inside a ``with conn:`` block to make it roll back."""


def insert_token(conn, token: str, value: int = 1) -> None:
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {VISIBILITY_TABLE} (token, value) VALUES (%s, %s)", (token, value)
        )


def visible_tokens(conn, token: str) -> int:
    """How many rows with ``token`` ``conn`` can see."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {VISIBILITY_TABLE} WHERE token = %s", (token,))
        return cur.fetchone()[0]


def setting(conn, name: str) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT current_setting(%s)", (name,))
        return cur.fetchone()[0]


def test_autocommit_is_off_by_default(conn):
    assert conn.autocommit is False


def test_uncommitted_insert_is_invisible_to_other_connections(conn, observer, token):
    insert_token(conn, token)
    assert visible_tokens(observer, token) == 0


def test_commit_makes_the_insert_visible_to_other_connections(conn, observer, token):
    insert_token(conn, token)
    conn.commit()
    assert visible_tokens(observer, token) == 1


def test_rollback_discards_the_insert(conn, observer, token):
    insert_token(conn, token)
    conn.rollback()
    assert (visible_tokens(conn, token), visible_tokens(observer, token)) == (0, 0)


def test_autocommit_makes_each_statement_visible_at_once(conn, observer, token):
    conn.autocommit = True
    insert_token(conn, token)
    assert visible_tokens(observer, token) == 1


def test_autocommit_allows_statements_that_cannot_run_in_a_transaction(conn):
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE vacuumed (n int4)")
        cur.execute("VACUUM vacuumed")
        assert cur.description is None


def test_without_autocommit_statements_share_one_transaction(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT txid_current()")
        first = cur.fetchone()[0]
        cur.execute("SELECT txid_current()")
        assert cur.fetchone()[0] == first


def test_leaving_autocommit_starts_transactions_again(conn, observer, token):
    conn.autocommit = True
    conn.autocommit = False
    insert_token(conn, token)
    assert visible_tokens(observer, token) == 0


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
def test_set_session_sets_the_isolation_level_of_transactions(conn, level):
    conn.set_session(isolation_level=level)
    assert setting(conn, "transaction_isolation") == level.lower()


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
def test_isolation_level_attribute_sets_the_isolation_level(conn, level):
    conn.isolation_level = level
    assert setting(conn, "transaction_isolation") == level.lower()


def test_isolation_level_lasts_for_later_transactions(conn):
    conn.set_session(isolation_level="SERIALIZABLE")
    conn.commit()
    assert setting(conn, "transaction_isolation") == "serializable"


def test_set_session_readonly_makes_transactions_read_only(conn):
    conn.set_session(readonly=True)
    assert setting(conn, "transaction_read_only") == "on"


def test_set_session_autocommit_turns_autocommit_on(conn):
    conn.set_session(autocommit=True)
    assert conn.autocommit is True


def test_set_session_inside_a_transaction_raises_programming_error(driver, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    with pytest.raises(driver.module.ProgrammingError):
        conn.set_session(isolation_level="SERIALIZABLE")


def test_connection_context_manager_commits_on_success(conn, observer, token):
    with conn:
        insert_token(conn, token)
    assert visible_tokens(observer, token) == 1


def test_connection_context_manager_rolls_back_on_exception(conn, observer, token):
    with pytest.raises(BlockFailedError), conn:
        insert_token(conn, token)
        raise BlockFailedError
    assert visible_tokens(observer, token) == 0


def test_connection_context_manager_leaves_the_connection_open(conn):
    with conn:
        pass
    assert not conn.closed
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
