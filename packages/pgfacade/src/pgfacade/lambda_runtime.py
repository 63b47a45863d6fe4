"""Connection reuse across warm Lambda invocations, liveness checks and invocation deadlines.

One connection per settings is kept at module level. Handing it out again:
- a closed connection is replaced;
- a transaction left open (a failed invocation) is rolled back;
- when it was idle longer than ``idle_check_after`` seconds, or the server already sent
  something (a termination notice), one ``SELECT 1`` checks it; a dead one is replaced;
- with ``target_session_attrs`` ``standby`` or ``read-only``, every reuse checks (one round
  trip) that the server still is one: a promotion does not end sessions, so after a failover
  the cached "standby" session would otherwise run on the new primary.
With a Lambda ``context``, statements are bounded by the invocation's remaining time minus a
margin: ``statement_timeout`` is lowered when needed (not in pooler-safe mode: session state),
and a timer thread cancels a statement still running at the deadline.
"""

from __future__ import annotations

import os
import select
import threading
import time
from typing import Any, Protocol

from . import DEFAULT_DEADLINE_MARGIN_MS, DEFAULT_IDLE_CHECK_AFTER
from .connecting import backend_module, current_selection, open_connection
from .logs import DEBUG, INFO, WARNING, log
from .settings import Settings


class LambdaContext(Protocol):
    """The part of the Lambda context object the facade uses."""

    def get_remaining_time_in_millis(self) -> int: ...


class _Entry:
    """One reusable connection and its bookkeeping."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection: Any = None
        self.last_used = 0.0
        self.statement_timeout_ms: int | None = None
        self.timer: threading.Timer | None = None
        self.generation = 0
        self.lock = threading.Lock()
        self.session_check: str | None = None
        """SQL telling whether the server still suits ``target_session_attrs`` ("": no need
        to ask; None: not looked up yet)."""


_entries: dict[tuple[Any, ...], _Entry] = {}
_entries_lock = threading.Lock()
# target_session_attrs that a promotion can stop a session from meeting: the query that tells.
_SESSION_CHECKS = {
    "standby": "SELECT pg_catalog.pg_is_in_recovery()",
    "read-only": "SELECT pg_catalog.pg_is_in_recovery() OR "
    "pg_catalog.current_setting('default_transaction_read_only')::boolean",
}


def reusable_connection(
    settings: Settings,
    *,
    context: LambdaContext | None = None,
    idle_check_after: float = DEFAULT_IDLE_CHECK_AFTER,
    deadline_margin_ms: int = DEFAULT_DEADLINE_MARGIN_MS,
    statement_timeout: bool = True,
    cancel_at_deadline: bool = True,
) -> Any:
    """The cached connection for ``settings``, checked and ready for this invocation."""
    key = settings.cache_key()
    with _entries_lock:
        entry = _entries.get(key)
        if entry is None:
            entry = _entries[key] = _Entry(settings)
    with entry.lock:
        entry.generation += 1
        _disarm(entry)
        connection = _ready_connection(entry, idle_check_after)
        if context is not None:
            budget = int(context.get_remaining_time_in_millis()) - deadline_margin_ms
            budget = max(budget, 1)
            if statement_timeout and not settings.pooler_safe:
                _bound_statement_timeout(entry, budget)
            if cancel_at_deadline:
                _arm(entry, budget)
        entry.last_used = time.monotonic()
        return connection


def close_all() -> None:
    """Close every cached connection and stop their timers."""
    with _entries_lock:
        entries = list(_entries.values())
        _entries.clear()
    for entry in entries:
        with entry.lock:
            entry.generation += 1
            _disarm(entry)
            _close_quietly(entry.connection)
            entry.connection = None


def _ready_connection(entry: _Entry, idle_check_after: float) -> Any:
    connection = entry.connection
    if connection is not None and not connection.closed:
        try:
            if _check(entry, connection, idle_check_after):
                return connection
        except Exception as exc:  # any failure means: replace it
            log(INFO, "cached connection is unusable (%s); reconnecting", type(exc).__name__)
        _close_quietly(connection)
    entry.connection = None
    entry.statement_timeout_ms = None
    entry.connection = open_connection(entry.settings)
    return entry.connection


def _check(entry: _Entry, connection: Any, idle_check_after: float) -> bool:
    """Roll back a leftover transaction, ping when idle for long; False when unusable."""
    backend = backend_module(current_selection(entry.settings.driver))
    status = backend.transaction_status(connection)
    if entry.session_check is None:
        params = entry.settings.connect_params(backend.parse_dsn)
        wanted = params.get("target_session_attrs") or os.environ.get("PGTARGETSESSIONATTRS")
        entry.session_check = _SESSION_CHECKS.get(wanted or "", "")
    if status == "active":
        return False
    if status in ("intrans", "inerror"):
        log(INFO, "rolling back a transaction left open by a previous invocation")
        if connection.autocommit:
            _execute_autocommit(connection, "ROLLBACK")
        else:
            connection.rollback()
        return True
    if status == "unknown" and not connection.autocommit:
        connection.rollback()
    if entry.session_check:
        return bool(_execute_autocommit(connection, entry.session_check))
    idle = time.monotonic() - entry.last_used
    if idle > idle_check_after or _has_pending_input(connection):
        _execute_autocommit(connection, "SELECT 1")
    return True


def _has_pending_input(connection: Any) -> bool:
    """True when the server sent something while we were idle (e.g. a termination notice)."""
    try:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
    except (AttributeError, OSError, ValueError):
        return True
    return bool(readable)


def _execute_autocommit(connection: Any, sql: str, params: tuple[Any, ...] | None = None) -> Any:
    """Run ``sql`` outside any transaction (one round trip); its first value, if any."""
    previous = connection.autocommit
    if not previous:
        connection.autocommit = True
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()[0] if cursor.description else None
        finally:
            cursor.close()
    finally:
        if not previous:
            connection.autocommit = False


def _bound_statement_timeout(entry: _Entry, budget_ms: int) -> None:
    """Lower ``statement_timeout`` to the budget, leaving 10% slack (<= 1 s) so that the small
    jitter between invocations does not cost a round trip each time."""
    current = entry.statement_timeout_ms
    if current is not None and current <= budget_ms:
        return
    value = max(budget_ms - min(budget_ms // 10, 1000), 1)
    _execute_autocommit(  # a parameter, not SQL text: nothing to quote
        entry.connection,
        "SELECT pg_catalog.set_config('statement_timeout', %s, false)",
        (str(value),),
    )
    entry.statement_timeout_ms = value


def _arm(entry: _Entry, budget_ms: int) -> None:
    timer = threading.Timer(budget_ms / 1000.0, _cancel_at_deadline, (entry, entry.generation))
    timer.daemon = True
    entry.timer = timer
    timer.start()


def _disarm(entry: _Entry) -> None:
    if entry.timer is not None:
        entry.timer.cancel()
        entry.timer = None


def _cancel_at_deadline(entry: _Entry, generation: int) -> None:
    """Cancel the running statement, unless a newer invocation took the connection since."""
    with entry.lock:
        if entry.generation != generation or entry.connection is None:
            return
        log(WARNING, "invocation deadline reached: cancelling the running statement")
        try:
            entry.connection.cancel()
        except Exception as exc:
            log(INFO, "cancel at deadline failed: %s", type(exc).__name__)


def _close_quietly(connection: Any) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception as exc:
        log(DEBUG, "closing a dead connection failed: %s", type(exc).__name__)
