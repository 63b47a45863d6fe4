"""Requests: a statement with or without parameters, through the prepared-statement cache.

A query run with parameters ``prepare_threshold`` times (default 5) is prepared as a named
statement, kept in an LRU of ``statement_cache_size`` (default 100; 0 = never name statements,
for PgBouncer transaction pooling and RDS Proxy). Its later executions skip Parse and Describe
(still one round trip) and fetch binary results where the codec registry prefers them. A DDL
command run on this connection (command tag ``CREATE ...``, ``ALTER ...`` or ``DROP ...``)
closes every statement. When the server reports a statement stale after a schema change made
elsewhere ("cached plan must not change result type", "cache lookup failed for type",
"operator does not exist" from a statement that ran before) or gone ("prepared statement does
not exist" after ``DEALLOCATE ALL`` / ``DISCARD ALL``), every statement is closed and the query
re-prepared and run again transparently if it was the first statement of its transaction
(autocommit, or the implicit ``BEGIN`` went with it: nothing else is lost by rolling that
transaction back); inside a transaction that already did work, the error is raised with a note
(the transaction is aborted: roll back and run it again, which re-prepares).
See docs/guide/prepared-statements-and-ddl.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable

from purepg import errors
from purepg.protocol import flow
from purepg.protocol.flow import Run

if TYPE_CHECKING:
    from purepg.core.operation import Operation
    from purepg.core.session import Session
    from purepg.protocol.machine import Exchange, ParamSet
    from purepg.statements import PreparedStatement

STALE_PLAN_MESSAGE = "cached plan must not change result type"
STALE_TYPE_MESSAGE = "cache lookup failed for type"
SCHEMA_CHANGING_TAGS = ("CREATE", "ALTER", "DROP")
STALE_IN_TRANSACTION_NOTE = (
    "purepg: a prepared statement of this connection is stale (the schema changed since it was"
    " prepared). The transaction is aborted: roll it back and run it again; the statement"
    " cache was cleared, so the retry prepares the statements anew."
)


def stale_statement(error: errors.Error) -> bool:
    """True when ``error``, from a named statement that ran before, says it is stale or gone
    (worth re-preparing): its result type changed, a type it was planned with was dropped
    (recreated types get new OIDs), or the server deallocated it. An undefined operator is
    a recreated type too; a genuine one fails again when re-prepared, and is raised then."""
    sqlstate, message = error.sqlstate, error.message
    if sqlstate == "26000":  # invalid_sql_statement_name: prepared statement ... does not exist
        return True
    if sqlstate == "0A000":  # feature_not_supported
        return STALE_PLAN_MESSAGE in message
    if sqlstate == "XX000":  # internal_error
        return STALE_TYPE_MESSAGE in message
    return sqlstate == "42883"  # undefined_function: operator does not exist: myenum = text


def stale_in_transaction(error: errors.Error) -> errors.Error:
    """``error`` (same class and fields) with the note that rolling back and retrying works."""
    noted = type(error)(f"{error}\n{STALE_IN_TRANSACTION_NOTE}", fields=error.fields)
    noted.__cause__ = error
    return noted


def changes_schema(exchange: Exchange) -> bool:
    """True when a command of ``exchange`` created, altered or dropped an object: statements
    prepared before may have stale plans (a table dropped elsewhere and created here)."""
    for result in exchange.results:
        tag = result.tag
        if tag is not None and tag.startswith(SCHEMA_CHANGING_TAGS):
            return True
    return False


def request(
    session: Session,
    sql: str,
    param_sets: Sequence[ParamSet] | None = None,
    *,
    describe: bool = True,
    copy_source: Iterable[bytes] | None = None,
    copy_sink: Callable[[bytes], Any] | None = None,
    statement: PreparedStatement | None = None,
    row_limit: int = 0,
) -> Operation[Exchange]:
    """Send one request (simple query when ``param_sets`` is None) and wait for its results.

    Outside autocommit, a ``BEGIN`` is sent first in the same write when no transaction is
    open. ``statement`` runs a named statement (parsed now unless already described).
    ``row_limit``: the most rows a simple query may return (a FETCH's count). Raises the
    server's error, if any.
    """
    session._check_open()
    machine = session._machine
    begin = session._implicit_begin()
    if param_sets is None and begin is None and statement is None:
        machine.send_query(sql, row_limit)  # the usual simple query, as send_request sends it
    else:
        closes = session._statements.take_closes() if param_sets is not None else ()
        if statement is None:
            flow.send_request(
                machine,
                sql,
                param_sets,
                begin,
                describe=describe,
                close_statements=closes,
                row_limit=row_limit,
            )
        else:
            flow.send_request(
                machine,
                sql,
                param_sets,
                begin,
                statement=statement.name,
                described=statement.described,
                result_formats=statement.result_formats,
                close_statements=closes,
            )
    if copy_source is None and copy_sink is None:
        run = session._run  # built once per connection
        run.done = []
    else:
        run = Run(machine, copy_source, copy_sink)
    try:
        done: list[Exchange] = yield run
    finally:
        if machine.notices or machine.notifications:
            session._collect_messages()
    if begin is not None and done[0].error is not None:
        raise done[0].error  # the BEGIN's error first
    exchange = done[-1]
    if exchange.error is not None:
        raise exchange.error
    if changes_schema(exchange):
        session._statements.invalidate()
    return exchange


def execute_simple(session: Session, sql: str) -> Operation[Exchange]:
    """Run ``sql`` (simple protocol) without starting a transaction."""
    session._check_open()
    session._machine.send_query(sql)
    try:
        done: list[Exchange] = yield Run(session._machine)
    finally:
        session._collect_messages()
    (exchange,) = done
    flow.raise_error(exchange)
    if changes_schema(exchange):
        session._statements.invalidate()
    return exchange


def execute_params(
    session: Session, sql: str, param_set: ParamSet, prepare: bool | None = None
) -> Operation[Exchange]:
    """Run ``sql`` ($n placeholders) with one parameter set, through the statement cache.

    ``prepare`` True prepares (and pins) the statement now, False never prepares it, None
    prepares it automatically once it ran ``prepare_threshold`` times.
    """
    cache = session._statements
    key = (sql, tuple(param_set[0]))
    for attempt in (1, 2):
        statement = cache.lookup(key)
        if (
            statement is None
            and prepare is not False
            and cache.enabled
            and (prepare or cache.should_prepare(key))
        ):
            statement = cache.add(key, pinned=bool(prepare))
        if statement is None:
            unnamed: Exchange = yield from request(session, sql, [param_set])
            return unnamed
        alone = session._machine.transaction_status == "I"
        try:
            exchange = yield from request(session, sql, [param_set], statement=statement)
        except errors.Error as exc:
            stale = statement.described and stale_statement(exc)
            if not stale:
                cache.discard(statement)
                raise
            if exc.sqlstate == "26000":
                cache.forget_all()  # the server deallocated them all
            else:
                cache.invalidate()  # prepared under the old schema: all may be stale
            if attempt == 2 or session.closed:
                raise
            if not alone:
                raise stale_in_transaction(exc) from exc
            if session._machine.transaction_status != "I":
                yield from execute_simple(session, "ROLLBACK")  # our implicit BEGIN only
            if statement.pinned:
                prepare = True  # pinned again if the server's deallocation forgot it
            else:
                cache.add(key)  # it was hot: prepare it again right away
            continue
        result = exchange.results[-1] if exchange.results else None
        if not statement.described:
            columns = result.columns if result is not None else None
            formats = [session.registry.result_format(c.type_oid) for c in columns or ()]
            statement.describe(columns, formats)
        elif result is not None and result.columns is None:
            result.columns = statement.columns
        return exchange
    raise AssertionError("unreachable")  # pragma: no cover


def rows_of(
    session: Session, exchange: Exchange, decoders: Sequence[Callable[[bytes], Any]]
) -> list[tuple[Any, ...]]:
    """The rows of an internal query's last result (the connection breaks on a malformed
    DataRow; a value that does not decode is a DataError)."""
    from purepg.rows import decode_rows

    result = exchange.results[-1]
    try:
        return decode_rows(result.rows, decoders, result.columns or ())
    except errors.ProtocolViolation as exc:
        session.fail(exc)
        raise
