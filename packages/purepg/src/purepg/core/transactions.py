"""Transactions: COMMIT, ROLLBACK, session characteristics and two-phase commit (DB-API tpc
extension), as operations."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from purepg import errors
from purepg.connection_options import ISOLATION_NAMES
from purepg.core.requests import execute_simple, rows_of
from purepg.errors import ProgrammingError
from purepg.tpc import Xid, transaction_command

if TYPE_CHECKING:
    from purepg.core.operation import Operation
    from purepg.core.session import Session

RECOVER_QUERY = (
    "SELECT gid, prepared::text, owner::text, database::text FROM pg_catalog.pg_prepared_xacts"
)


def commit(session: Session) -> Operation[None]:
    """Commit the current transaction (nothing to do in autocommit mode or when idle)."""
    session._check_open()
    session._check_no_tpc("commit")
    if session.transaction_status != "I":
        try:
            yield from execute_simple(session, "COMMIT")
        except errors.Error as error:
            raise session._commit_failure(error) from None


def rollback(session: Session) -> Operation[None]:
    """Roll back the current transaction."""
    session._check_open()
    session._check_no_tpc("rollback")
    if session.transaction_status != "I":
        yield from execute_simple(session, "ROLLBACK")


def end_block(session: Session, failed: bool) -> Operation[None]:
    """The end of a ``with conn:`` block: commit on success, roll back (quietly) when the
    block ``failed``; nothing on a closed connection, which stays open either way."""
    if session.closed:
        return
    if not failed:
        yield from commit(session)
        return
    with contextlib.suppress(errors.Error):
        yield from rollback(session)


def set_session(
    session: Session,
    isolation_level: Any = None,
    readonly: Any = None,
    deferrable: Any = None,
    autocommit: bool | None = None,
) -> Operation[None]:
    """Set the characteristics of the following transactions, like psycopg2 (None: unchanged,
    ``"DEFAULT"``: the server's default); in autocommit mode they become the session's
    ``default_transaction_*`` settings."""
    if not session._change_session(isolation_level, readonly, deferrable, autocommit):
        return
    isolation = ISOLATION_NAMES.get(session.isolation_level or -1, "DEFAULT")
    statements = [
        "SET default_transaction_isolation TO "
        + ("DEFAULT" if isolation == "DEFAULT" else f"'{isolation.lower()}'"),
        "SET default_transaction_read_only TO " + on_off(session.readonly),
        "SET default_transaction_deferrable TO " + on_off(session.deferrable),
    ]
    yield from execute_simple(session, "; ".join(statements))


def on_off(value: bool | None) -> str:
    """A boolean setting's SQL value: on, off, or DEFAULT for None."""
    return "DEFAULT" if value is None else ("on" if value else "off")


def tpc_begin(session: Session, xid: Xid | str) -> Operation[None]:
    """Begin a two-phase transaction identified by ``xid``."""
    session._check_open()
    if session.autocommit:
        raise ProgrammingError("tpc_begin cannot be used in autocommit mode")
    if session._tpc_xid is not None or session.transaction_status != "I":
        raise ProgrammingError("tpc_begin must be called outside a transaction")
    session._tpc_xid = xid if isinstance(xid, Xid) else Xid.from_string(xid)
    session._tpc_prepared = False
    yield from execute_simple(session, session._begin_statement())


def tpc_prepare(session: Session) -> Operation[None]:
    """First phase: ``PREPARE TRANSACTION`` of the transaction begun by ``tpc_begin``."""
    session._check_open()
    xid = session._tpc_xid
    if xid is None:
        raise ProgrammingError("tpc_prepare must be called in a two-phase transaction")
    if session._tpc_prepared:
        raise ProgrammingError("the two-phase transaction is already prepared")
    yield from execute_simple(session, transaction_command("PREPARE TRANSACTION", xid.gid))
    session._tpc_prepared = True


def tpc_finish(session: Session, verb: str, xid: Xid | str | None) -> Operation[None]:
    """``tpc_commit`` / ``tpc_rollback`` (``verb`` COMMIT or ROLLBACK): of the current
    two-phase transaction, or with ``xid`` of a prepared one (from ``tpc_recover``)."""
    session._check_open()
    if xid is not None:
        if session._tpc_xid is not None or session.transaction_status != "I":
            raise ProgrammingError(
                f"tpc_{verb.lower()} with an xid must be called outside a transaction"
            )
        gid = xid.gid if isinstance(xid, Xid) else xid
        yield from execute_simple(session, transaction_command(f"{verb} PREPARED", gid))
        return
    current = session._tpc_xid
    if current is None:
        raise ProgrammingError(
            f"tpc_{verb.lower()} without an xid must be called in a two-phase transaction"
        )
    try:
        if session._tpc_prepared:
            command = transaction_command(f"{verb} PREPARED", current.gid)
            yield from execute_simple(session, command)
        elif session.transaction_status != "I":
            yield from execute_simple(session, verb)  # one-phase
    finally:
        session._tpc_xid = None
        session._tpc_prepared = False


def tpc_recover(session: Session) -> Operation[list[Xid]]:
    """The transactions prepared on the server and not yet committed or rolled back."""
    exchange = yield from execute_simple(session, RECOVER_QUERY)
    found = []
    for gid, prepared, owner, database in rows_of(session, exchange, [bytes.decode] * 4):
        xid = Xid.from_string(gid)
        found.append(xid.recovered(prepared, owner, database))
    return found
