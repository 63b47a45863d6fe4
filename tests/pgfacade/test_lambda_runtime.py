"""Connection reuse across simulated warm invocations, liveness, leftover rollback, deadlines."""

from __future__ import annotations

import pgfacade
import pytest
from pgfacade import errors

from tests.pgfacade.conftest import FakeContext, backend_pid, terminate_backend


@pytest.fixture
def invoke(backend, params):
    """One simulated invocation: ``lambda_connection`` as a handler calls it."""

    def handler_start(remaining_ms: int = 60_000, **options):
        return pgfacade.lambda_connection(
            FakeContext(remaining_ms), driver=backend, **{**params, **options}
        )

    return handler_start


TIMEOUT_SQL = "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"


def scalar(connection, sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_warm_invocations_get_the_same_connection(invoke) -> None:
    first = invoke()
    pid = backend_pid(first)
    second = invoke()
    assert second is first
    assert backend_pid(second) == pid


def test_connect_with_reuse_returns_the_cached_connection(backend, params) -> None:
    first = pgfacade.connect(driver=backend, reuse=True, **params)
    assert pgfacade.connect(driver=backend, reuse=True, **params) is first
    assert pgfacade.connect(driver=backend, **params) is not first


def test_different_settings_get_different_connections(invoke) -> None:
    assert invoke(application_name="a") is not invoke(application_name="b")


def test_a_closed_connection_is_replaced(invoke) -> None:
    first = invoke()
    first.close()
    second = invoke()
    assert second is not first
    assert scalar(second, "SELECT 1") == 1


def test_a_connection_terminated_by_the_server_is_replaced(invoke, admin) -> None:
    first = invoke()
    pid = backend_pid(first)
    first.rollback()
    terminate_backend(admin, pid)
    second = invoke()
    assert backend_pid(second) != pid


def test_a_dead_connection_found_by_the_idle_ping_is_replaced(invoke, admin) -> None:
    first = invoke()
    pid = backend_pid(first)
    first.rollback()
    terminate_backend(admin, pid)
    second = invoke(idle_check_after=0)
    assert scalar(second, "SELECT 1") == 1
    assert backend_pid(second) != pid


def test_a_leftover_transaction_is_rolled_back_before_reuse(invoke) -> None:
    connection = invoke()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE leftover (x int) ON COMMIT PRESERVE ROWS")
    connection.commit()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO leftover VALUES (1)")
    # the invocation failed here, without commit or rollback
    again = invoke()
    assert scalar(again, "SELECT count(*) FROM leftover") == 0


def test_a_failed_transaction_is_rolled_back_before_reuse(invoke) -> None:
    connection = invoke()
    with pytest.raises(errors.DivisionByZero), connection.cursor() as cursor:
        cursor.execute("SELECT 1/0")
    again = invoke()
    assert scalar(again, "SELECT 2") == 2


def test_a_leftover_explicit_transaction_in_autocommit_is_rolled_back(invoke) -> None:
    connection = invoke()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("CREATE TEMP TABLE explicit_leftover (x int)")
    again = invoke()
    assert again is connection
    assert scalar(again, "SELECT to_regclass('pg_temp.explicit_leftover') IS NULL") is True


def test_statement_timeout_is_bounded_by_the_remaining_time(invoke) -> None:
    connection = invoke(remaining_ms=10_000, deadline_margin_ms=1_000)
    connection.autocommit = True
    timeout_ms = int(scalar(connection, TIMEOUT_SQL))
    assert 0 < timeout_ms <= 9_000


def test_statement_timeout_is_lowered_for_a_shorter_invocation(invoke) -> None:
    invoke(remaining_ms=60_000)
    connection = invoke(remaining_ms=5_000, deadline_margin_ms=500)
    connection.autocommit = True
    timeout_ms = int(scalar(connection, TIMEOUT_SQL))
    assert timeout_ms <= 4_500


def test_pooler_safe_mode_sets_no_session_state(invoke) -> None:
    connection = invoke(remaining_ms=10_000, pooler_safe=True, cancel_at_deadline=False)
    assert scalar(connection, "SHOW statement_timeout") == "0"


def test_a_statement_is_cut_off_by_statement_timeout(invoke) -> None:
    connection = invoke(remaining_ms=1_500, deadline_margin_ms=500, cancel_at_deadline=False)
    with pytest.raises(errors.QueryCanceledError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(30)")
    assert caught.value.sqlstate == "57014"


def test_a_statement_is_cancelled_at_the_deadline(invoke) -> None:
    connection = invoke(remaining_ms=1_500, deadline_margin_ms=500, statement_timeout=False)
    with pytest.raises(errors.QueryCanceledError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(30)")
    assert caught.value.sqlstate == "57014"
    assert "user request" in caught.value.message


def test_the_connection_is_usable_after_a_deadline_cancel(invoke) -> None:
    connection = invoke(remaining_ms=1_000, deadline_margin_ms=500, statement_timeout=False)
    with pytest.raises(errors.QueryCanceledError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(30)")
    again = invoke()
    assert again is connection
    assert scalar(again, "SELECT 3") == 3


def test_the_previous_invocations_timer_does_not_cancel_the_next(invoke) -> None:
    invoke(remaining_ms=1_000, deadline_margin_ms=500, statement_timeout=False)
    connection = invoke(remaining_ms=60_000)
    assert scalar(connection, "SELECT pg_sleep(1.5)::text") == ""
