"""Named prepared statements: which queries to prepare, their names, an LRU of them.

Pure bookkeeping, no I/O: the connection asks ``lookup`` / ``should_prepare`` before sending,
``add`` registers a statement it is about to Parse, and the names of evicted or failed
statements wait in ``take_closes`` to be closed in the next request's write.

A statement is keyed by its SQL and the parameter type OIDs it was parsed with (the same
query with an int4 and an int8 argument is two statements). Once its first execution
described the result columns, later executions skip Parse and Describe and ask for binary
results where the codec registry prefers them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from purepg.protocol.messages import Column

Key = tuple[str, tuple[int, ...]]


class PreparedStatement:
    """One named statement on the server (or about to be)."""

    __slots__ = ("columns", "described", "key", "name", "pinned", "result_formats")

    def __init__(self, key: Key, name: bytes, pinned: bool) -> None:
        self.key = key
        self.name = name
        self.pinned = pinned
        """Explicitly prepared: never evicted by the LRU."""
        self.described = False
        """True once an execution reported the result columns (or that there are none)."""
        self.columns: list[Column] | None = None
        """Result columns with the format each execution requests."""
        self.result_formats: list[int] = []
        """Bind's result format codes (empty = all text)."""

    @property
    def sql(self) -> str:
        """The statement's SQL (``$n`` placeholders)."""
        return self.key[0]

    def describe(self, columns: list[Column] | None, formats: list[int]) -> None:
        """Record the result columns; ``formats`` are the formats later executions request."""
        self.described = True
        if columns is None:
            return
        self.columns = [column._replace(format=fmt) for column, fmt in zip(columns, formats)]
        self.result_formats = formats if any(formats) else []


class StatementCache:
    """An LRU of named statements plus use counts of queries not prepared yet.

    ``size`` 0 disables named statements entirely (only the unnamed one is used: the mode
    for PgBouncer transaction pooling and RDS Proxy). A query is prepared automatically on
    its ``threshold``-th execution (1 = the first).
    """

    def __init__(self, size: int, threshold: int) -> None:
        if size < 0:
            raise ValueError(f"statement_cache_size must be >= 0, not {size}")
        if threshold < 1:
            raise ValueError(f"prepare_threshold must be >= 1, not {threshold}")
        self.size = size
        self.threshold = threshold
        self._statements: OrderedDict[Key, PreparedStatement] = OrderedDict()
        self._uses: OrderedDict[Key, int] = OrderedDict()
        self._closes: list[bytes] = []
        self._counter = 0

    def __len__(self) -> int:
        return len(self._statements)

    @property
    def enabled(self) -> bool:
        """False when named statements are disabled (``statement_cache_size=0``)."""
        return self.size > 0

    def lookup(self, key: Key) -> PreparedStatement | None:
        """The statement prepared for ``key``, marked most recently used."""
        statement = self._statements.get(key)
        if statement is not None:
            self._statements.move_to_end(key)
        return statement

    def should_prepare(self, key: Key) -> bool:
        """Count one execution of ``key``; True when it has now run ``threshold`` times."""
        if not self.enabled:
            return False
        uses = self._uses.pop(key, 0) + 1
        if uses >= self.threshold:
            return True
        self._uses[key] = uses
        while len(self._uses) > 4 * self.size:
            self._uses.popitem(last=False)
        return False

    def add(self, key: Key, pinned: bool = False) -> PreparedStatement:
        """A new statement for ``key`` (the caller Parses it), evicting the least recent."""
        statement = PreparedStatement(key, self._new_name(), pinned)
        old = self._statements.pop(key, None)
        if old is not None:
            self._closes.append(old.name)
        self._statements[key] = statement
        unpinned = [s for s in self._statements.values() if not s.pinned]
        excess = len(unpinned) - self.size
        for victim in unpinned[: max(excess, 0)]:
            self.discard(victim)
        return statement

    def discard(self, statement: PreparedStatement) -> None:
        """Forget ``statement``; its name is closed in the next request."""
        if self._statements.get(statement.key) is statement:
            del self._statements[statement.key]
        self._closes.append(statement.name)

    def invalidate(self) -> None:
        """Close every statement (the schema changed: their plans may be stale).

        Automatic statements are forgotten (re-prepared once hot again); explicitly prepared
        ones get a new name, parsed at their next execution.
        """
        for key, statement in list(self._statements.items()):
            self._closes.append(statement.name)
            if statement.pinned:
                self._statements[key] = PreparedStatement(key, self._new_name(), pinned=True)
            else:
                del self._statements[key]

    def forget_all(self) -> None:
        """Forget every statement without closing them (the server dropped them already)."""
        self._statements.clear()
        self._closes.clear()

    def statements_for(self, sql: str) -> list[PreparedStatement]:
        """Every statement prepared for ``sql`` (one per parameter type signature)."""
        return [s for key, s in self._statements.items() if key[0] == sql]

    def _new_name(self) -> bytes:
        self._counter += 1
        return f"_purepg_{self._counter}".encode()

    def take_closes(self) -> Sequence[bytes]:
        """Names to Close (statements evicted or failed), emptied by the call."""
        if not self._closes:
            return ()
        closes, self._closes = self._closes, []
        return closes


class PreparedQuery:
    """A query prepared by ``Connection.prepare``: pass it to ``cursor.execute``."""

    def __init__(self, cache: StatementCache, sql: str, query: str) -> None:
        self._cache = cache
        self.sql = sql
        """The query with ``$n`` placeholders."""
        self.query = query
        """The query as written (``%s`` / ``%(name)s`` placeholders)."""

    def close(self) -> None:
        """Deallocate the statement(s) prepared for this query (at the next request)."""
        cache = self._cache
        for statement in cache.statements_for(self.sql):
            cache.discard(statement)

    def __repr__(self) -> str:
        return f"<PreparedQuery {self.query!r}>"
