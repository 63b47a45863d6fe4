"""The connection state machine: feed it bytes, take events and bytes to send. No I/O at all.

A transport (blocking sockets, asyncio) drives it with the same loop::

    machine.start(startup_params, authenticator)   # or send_query / send_extended
    while True:
        transport.write(machine.data_to_send())
        event = machine.next_event()
        if event is NEED_DATA:
            machine.receive_data(transport.read())  # b"" at end of stream
        elif isinstance(event, ReadyForQuery):
            break
        ...                                          # CopyInRequested, CopyOutData

Every request (startup, a simple query, an extended-query batch ended by Sync) is an
``Exchange`` that collects its results until ReadyForQuery. Data rows are kept as raw
``DataRow`` payloads and decoded by the cursor when fetched (``messages.decode_data_row``), so
receiving costs one slice per row and no per-row event.

ParameterStatus, NoticeResponse and NotificationResponse may arrive at any time; they update
``parameters`` and append to ``notices`` / ``notifications``, which the owner drains.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple, Optional, Union

from purepg.errors import DataError, Error, InterfaceError, OperationalError, ProtocolViolation
from purepg.errors import error_from_fields as _error_from_fields
from purepg.protocol import client_encoding, messages
from purepg.protocol.auth import AUTH_OK, Authenticator
from purepg.protocol.messages import (
    KIND_AUTHENTICATION,
    KIND_BACKEND_KEY_DATA,
    KIND_BIND_COMPLETE,
    KIND_CLOSE_COMPLETE,
    KIND_COMMAND_COMPLETE,
    KIND_COPY_BOTH_RESPONSE,
    KIND_COPY_DATA,
    KIND_COPY_DONE,
    KIND_COPY_IN_RESPONSE,
    KIND_COPY_OUT_RESPONSE,
    KIND_DATA_ROW,
    KIND_EMPTY_QUERY_RESPONSE,
    KIND_ERROR_RESPONSE,
    KIND_NEGOTIATE_PROTOCOL_VERSION,
    KIND_NO_DATA,
    KIND_NOTICE_RESPONSE,
    KIND_NOTIFICATION_RESPONSE,
    KIND_PARAMETER_DESCRIPTION,
    KIND_PARAMETER_STATUS,
    KIND_PARSE_COMPLETE,
    KIND_PORTAL_SUSPENDED,
    KIND_READY_FOR_QUERY,
    KIND_ROW_DESCRIPTION,
    Column,
    CopyResponse,
    Notification,
)

# Phases of the connection.
STARTUP = "startup"  # startup packet sent, authenticating, waiting for the first ReadyForQuery
READY = "ready"  # idle, a request may be sent
BUSY = "busy"  # requests in flight
COPY_IN = "copy-in"  # the server waits for CopyData / CopyDone / CopyFail
COPY_OUT = "copy-out"  # the server sends CopyData until CopyDone
CLOSED = "closed"  # Terminate sent
FAILED = "failed"  # protocol error, fatal server error or lost connection

ROW_DESCRIPTIONS_KEPT = 64
"""Distinct RowDescriptions a connection keeps parsed (queries run again reuse them)."""
ROW_DESCRIPTION_KEPT_SIZE = 0x10000
"""The largest RowDescription kept (hundreds of columns): a server sending huge ones cannot
make the cache hold ``ROW_DESCRIPTIONS_KEPT`` times the largest message."""
NOTICES_KEPT = 50
"""Notices a machine keeps until its owner collects them (the newest, as psycopg2 keeps 50):
a server sending notices without end cannot grow memory."""
PARAMETERS_KEPT = 1000
"""Distinct ParameterStatus names a server may report (PostgreSQL reports about 20)."""

# What a server may send before its first ReadyForQuery.
_STARTUP_MESSAGE_TYPES = frozenset(
    (
        KIND_AUTHENTICATION,
        KIND_ERROR_RESPONSE,
        KIND_NEGOTIATE_PROTOCOL_VERSION,
        KIND_NOTICE_RESPONSE,
        KIND_PARAMETER_STATUS,
        KIND_BACKEND_KEY_DATA,
        KIND_READY_FOR_QUERY,
    )
)
# ParameterStatus, NoticeResponse, NotificationResponse (any time) and ErrorResponse.
_ASYNC_OR_ERROR = frozenset(
    (KIND_PARAMETER_STATUS, KIND_NOTICE_RESPONSE, KIND_NOTIFICATION_RESPONSE, KIND_ERROR_RESPONSE)
)
_EMPTY_COMPLETIONS = frozenset((KIND_PARSE_COMPLETE, KIND_BIND_COMPLETE, KIND_CLOSE_COMPLETE))
_READY_STATUSES = {b"I": "I", b"T": "T", b"E": "E"}
"""ReadyForQuery's transaction status byte -> ``transaction_status``."""


_unpack_int32 = struct.Struct("!i").unpack_from
_DESCRIBE_PORTAL = messages.describe(b"P", b"")
_EXECUTE_ALL = messages.execute(b"", 0)
_EXECUTE_ALL_SYNC = _EXECUTE_ALL + messages.SYNC


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()
"""``next_event`` needs more bytes from the server: call ``receive_data``."""


class ReadyForQuery(NamedTuple):
    """The server finished a request; ``exchange`` holds its results (None after startup)."""

    status: str
    exchange: Exchange | None


class CopyInRequested(NamedTuple):
    """COPY FROM STDIN started: send ``send_copy_data`` chunks, then ``send_copy_done``."""

    response: CopyResponse


class CopyOutStarted(NamedTuple):
    """COPY TO STDOUT started: ``CopyOutData`` events follow."""

    response: CopyResponse


class CopyOutData(NamedTuple):
    """One CopyData message of COPY TO STDOUT (usually one row)."""

    data: bytes


class Suspended(NamedTuple):
    """A row-limited Execute of a streaming exchange returned its rows; the portal is open.

    Take the rows from ``exchange.results``, then ``send_execute`` for more or ``send_sync``.
    """

    exchange: Exchange


Event = Union[_NeedData, ReadyForQuery, CopyInRequested, CopyOutStarted, CopyOutData, Suspended]


class Result:
    """One statement's outcome: its columns (None if it returns no rows), raw rows, tag."""

    __slots__ = ("columns", "rows", "suspended", "tag")

    def __init__(self, columns: list[Column] | None) -> None:
        self.columns = columns
        self.rows: list[bytes] = []
        self.tag: str | None = None
        self.suspended = False

    @property
    def rowcount(self) -> int:
        """Rows affected or returned according to the command tag, -1 if unknown."""
        if self.tag is None:
            return len(self.rows) if self.suspended else -1
        return messages.rowcount_from_tag(self.tag)


class Exchange:
    """One request's results, filled in as its responses arrive, complete at ReadyForQuery."""

    __slots__ = (
        "current",
        "done",
        "error",
        "extended",
        "param_oids",
        "results",
        "row_limit",
        "synced",
    )

    def __init__(self, extended: bool, synced: bool = True, row_limit: int = 0) -> None:
        self.extended = extended
        self.row_limit = row_limit
        """The most rows one result may have (0: no limit): a streaming exchange's
        ``max_rows``, a FETCH's count. More break the protocol (and the memory bound the
        caller asked for)."""
        self.results: list[Result] = []
        self.error: Error | None = None
        self.param_oids: list[int] | None = None
        self.current: Result | None = None
        self.synced = synced
        """False while a streaming exchange's portal is open (Flush sent, no Sync yet)."""
        self.done = False
        """True once its ReadyForQuery arrived."""


ParamSet = tuple[Sequence[int], Sequence[int], Sequence[Optional[bytes]]]
"""(type OIDs, format codes, encoded values) of one execution's parameters."""


class Machine:
    """The protocol state of one connection (frontend side)."""

    def __init__(self) -> None:
        self.phase = STARTUP
        self.encoding = "utf-8"
        """Always UTF-8: another client encoding is refused (`client_encoding`)."""
        self.parameters: dict[str, str] = {}
        self.backend_pid: int | None = None
        self.backend_key: bytes | None = None
        self.transaction_status = "I"
        self.notices: deque[dict[str, str]] = deque(maxlen=NOTICES_KEPT)
        self.notifications: list[Notification] = []
        self.protocol_minor = 0
        """The protocol minor version in use: the one requested, or the server's lower one."""
        self._min_minor = 0
        self._negotiated = False
        self._auth: Authenticator | None = None
        self._authenticated = False
        self._outgoing: list[bytes] = []
        self._pending: list[Exchange] = []
        self._rows: list[bytes] | None = None
        self._buf = b""
        self._pos = 0
        self._chunks: list[bytes] = []
        self._chunked = 0
        self._need = 5
        self._eof = False
        self._failure: Error | None = None
        self._last_bind_prefix: tuple[bytes, Sequence[int], bytes] = (
            b"",
            (),
            messages.bind_prefix(b"", b"", ()),
        )
        self._last_bind_suffix: tuple[Sequence[int], bytes] = ((), messages.bind_suffix(()))
        self._row_descriptions: dict[bytes, list[Column]] = {}

    # -- sending ----------------------------------------------------------------------------

    def start(
        self,
        params: dict[str, str],
        authenticator: Authenticator,
        protocol: tuple[int, int] = (0, 0),
    ) -> None:
        """Queue the StartupMessage (``user``, ``database``, GUCs) and authenticate with it.

        ``protocol``: the lowest and highest protocol minor versions allowed (3.0 to 3.2);
        the highest is requested, a server may lower it down to the lowest."""
        self._auth = authenticator
        self._min_minor, self.protocol_minor = protocol
        self._outgoing.append(messages.startup_message(params, minor=self.protocol_minor))

    def _check_can_send(self) -> None:
        if self.phase == FAILED:
            raise self._broken()
        if self.phase == CLOSED:
            raise InterfaceError("the connection is closed")
        if self.phase not in (READY, BUSY):
            raise InterfaceError(f"cannot send a request while {self.phase}")

    def send_query(self, sql: str, row_limit: int = 0) -> Exchange:
        """Queue a simple-protocol Query (one or more statements, no parameters); a result of
        more than ``row_limit`` rows (0: no limit, else what a FETCH asked for) breaks the
        protocol."""
        self._check_can_send()
        data = self._encode_sql(sql)
        exchange = Exchange(extended=False, row_limit=row_limit)
        self._outgoing.append(messages.query(data))
        self._pending.append(exchange)
        self.phase = BUSY
        return exchange

    def send_extended(
        self,
        sql: str,
        param_sets: Sequence[ParamSet],
        *,
        describe: bool = True,
        result_formats: Sequence[int] = (),
        statement: bytes = b"",
        parse: bool = True,
        close_statements: Sequence[bytes] = (),
        max_rows: int = 0,
    ) -> Exchange:
        """Queue Parse/Bind/Describe/Execute for each parameter set and one Sync, as one write.

        ``statement`` names a prepared statement: it is parsed first when ``parse`` is true,
        else it must exist. The unnamed statement is parsed again only when the parameter
        types change. ``close_statements`` are closed first (deallocating evicted statements
        in the same write). ``max_rows`` > 0 streams: each Execute returns at most that many
        rows, a Flush replaces the Sync, and ``Suspended`` events report each batch until the
        portal completes (the machine then sends the Sync itself; ``send_sync`` ends early).
        """
        self._check_can_send()
        if not parse and not describe and not close_statements and len(param_sets) == 1:
            # The hot path: one execution of a statement the server already knows.
            _, formats, values = param_sets[0]
            bind = messages.bind_values(
                self._bind_prefix(statement, formats), values, self._bind_suffix(result_formats)
            )
            streaming = max_rows > 0
            if streaming:
                message = bind + messages.execute(b"", max_rows) + messages.FLUSH
            else:
                message = bind + _EXECUTE_ALL_SYNC
            return self._queue_extended(message, max_rows)
        sql_data = self._encode_sql(sql)
        parts: list[bytes] = [messages.close(b"S", name) for name in close_statements]
        parsed_oids: Sequence[int] | None = None
        bind_suffix = self._bind_suffix(result_formats)
        execute = messages.execute(b"", max_rows) if max_rows else _EXECUTE_ALL
        for oids, formats, values in param_sets:
            if parse and (parsed_oids is None or list(oids) != list(parsed_oids)):
                parts.append(messages.parse(statement, sql_data, oids))
                parsed_oids = oids
            parts.append(
                messages.bind_values(self._bind_prefix(statement, formats), values, bind_suffix)
            )
            if describe:
                parts.append(_DESCRIBE_PORTAL)
            parts.append(execute)
        streaming = max_rows > 0
        parts.append(messages.FLUSH if streaming else messages.SYNC)
        return self._queue_extended(b"".join(parts), max_rows)

    def _queue_extended(self, message: bytes, max_rows: int) -> Exchange:
        streaming = max_rows > 0
        exchange = Exchange(extended=True, synced=not streaming, row_limit=max_rows)
        self._outgoing.append(message)
        self._pending.append(exchange)
        self.phase = BUSY
        return exchange

    def _bind_prefix(self, statement: bytes, formats: Sequence[int]) -> bytes:
        """``messages.bind_prefix`` for the unnamed portal, the last one reused."""
        cached = self._last_bind_prefix
        if cached[0] == statement and cached[1] == formats:
            return cached[2]
        prefix = messages.bind_prefix(b"", statement, formats)
        self._last_bind_prefix = (statement, formats, prefix)
        return prefix

    def _bind_suffix(self, result_formats: Sequence[int]) -> bytes:
        """``messages.bind_suffix``, the last one reused."""
        cached = self._last_bind_suffix
        if cached[0] == result_formats:
            return cached[1]
        suffix = messages.bind_suffix(result_formats)
        self._last_bind_suffix = (result_formats, suffix)
        return suffix

    def send_execute(self, exchange: Exchange, max_rows: int) -> None:
        """Ask a suspended streaming exchange for its next ``max_rows`` rows."""
        if exchange.synced or self.phase != BUSY or self._pending[-1] is not exchange:
            raise InterfaceError("no suspended portal to fetch from")
        self._outgoing.append(messages.execute(b"", max_rows) + messages.FLUSH)

    def send_sync(self, exchange: Exchange) -> None:
        """End a streaming exchange early: close its portal and Sync."""
        if not exchange.synced:
            exchange.synced = True
            self._outgoing.append(messages.close(b"P", b"") + messages.SYNC)

    def _sync_stream(self, exchange: Exchange) -> None:
        """A streaming portal completed or failed: send the Sync the server now waits for."""
        if not exchange.synced:
            exchange.synced = True
            self._outgoing.append(messages.SYNC)

    def _encode_sql(self, sql: str) -> bytes:
        try:
            return sql.encode(self.encoding)
        except UnicodeEncodeError as exc:
            raise DataError(
                f"the query cannot be encoded in the client encoding {self.encoding}: {exc}"
            ) from None

    def send_copy_data(self, data: bytes) -> None:
        """Queue one chunk of COPY FROM STDIN data."""
        if self.phase != COPY_IN:
            raise InterfaceError("not in COPY FROM STDIN")
        self._outgoing.append(messages.copy_data(data))

    def send_copy_done(self) -> None:
        """End COPY FROM STDIN successfully."""
        self._end_copy_in(messages.COPY_DONE)

    def send_copy_fail(self, reason: str) -> None:
        """Abort COPY FROM STDIN; the server answers with an error naming ``reason``."""
        self._end_copy_in(messages.copy_fail(reason))

    def _end_copy_in(self, message: bytes) -> None:
        if self.phase != COPY_IN:
            raise InterfaceError("not in COPY FROM STDIN")
        self._outgoing.append(message)
        if self._pending and self._pending[0].extended:
            # The server ignored the batch's Sync while in copy-in mode: send another.
            self._outgoing.append(messages.SYNC)
        self.phase = BUSY

    def terminate(self) -> None:
        """Queue Terminate; the connection can then be closed."""
        if self.phase not in (CLOSED, FAILED):
            self._outgoing.append(messages.TERMINATE)
        if self.phase != FAILED:
            self.phase = CLOSED

    def data_to_send(self) -> bytes:
        """Every byte queued so far (b"" if none); the caller must write all of it."""
        if not self._outgoing:
            return b""
        data = b"".join(self._outgoing) if len(self._outgoing) > 1 else self._outgoing[0]
        self._outgoing = []
        return data

    # -- receiving --------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the server; b"" means the server closed the connection."""
        if not data:
            self._eof = True
            return
        if self._pos >= len(self._buf) and not self._chunks:  # nothing left over: the usual case
            self._buf = data
            self._pos = 0
            return
        self._chunks.append(data)
        self._chunked += len(data)
        if len(self._buf) - self._pos + self._chunked >= self._need:
            if self._pos < len(self._buf):
                self._chunks.insert(0, self._buf[self._pos :])
            self._buf = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
            self._pos = 0
            self._chunks = []
            self._chunked = 0

    def needs_data(self) -> bool:
        """True when no complete message is buffered: ``next_event`` would return
        ``NEED_DATA`` (a transport may read right away)."""
        return len(self._buf) - self._pos < self._need and not self._eof and self.phase != FAILED

    def fail(self, error: Error) -> None:
        """Mark the connection broken (by the transport: timeout, reset); ``error`` is why."""
        self.phase = FAILED
        if self._failure is None:
            self._failure = error

    def _broken(self) -> Error:
        reason = f": {self._failure}" if self._failure is not None else ""
        return InterfaceError(f"the connection is broken{reason}")

    def next_event(self, join_copy_data: bool = False) -> Event:
        """The next event, or ``NEED_DATA``. Server and protocol errors are raised here.

        With ``join_copy_data``, one ``CopyOutData`` carries all the complete CopyData
        messages in the buffer (joined) instead of one message.
        """
        if self.phase == FAILED:
            raise self._broken()
        try:
            return self._process(join_copy_data)
        except Error as exc:
            self.fail(exc)
            raise

    def _process(self, join_copy_data: bool = False) -> Event:
        buf = self._buf
        pos = self._pos
        end = len(buf)
        max_sizes = messages.MAX_PAYLOAD_LENGTHS
        rows = self._rows
        startup = self.phase == STARTUP  # it ends with ReadyForQuery, which returns
        data_row, bind_complete, copy_data = KIND_DATA_ROW, KIND_BIND_COMPLETE, KIND_COPY_DATA
        while end - pos >= 5:
            kind = buf[pos]
            size = _unpack_int32(buf, pos + 1)[0] - 4
            stop = pos + 5 + size
            if kind == data_row and rows is not None and size >= 0 and stop <= end:
                rows.append(buf[pos + 5 : stop])  # a complete DataRow: the hot path
                pos = stop
                continue
            if startup and kind not in _STARTUP_MESSAGE_TYPES:
                raise ProtocolViolation(
                    f"the server answered the startup packet with {buf[pos : pos + 16]!r}: it "
                    "is not a PostgreSQL server, or not one that speaks protocol 3.0"
                )
            if not 0 <= size <= max_sizes.get(kind, -1):
                messages.parse_header(buf, pos)  # raises the ProtocolViolation naming it
            if stop > end:
                self._pos = pos
                self._need = stop - pos
                break
            if kind == bind_complete and size == 0 and self.phase == BUSY and self._pending:
                pos = stop
                continue
            if kind == copy_data and join_copy_data and self.phase == COPY_OUT and self._pending:
                return self._joined_copy_data(pos + 5, stop)
            self._pos = stop
            payload = buf[pos + 5 : stop]
            pos = stop
            if startup or kind in _ASYNC_OR_ERROR or not self._pending:
                event = self._handle(kind, payload)
            else:  # a response to the oldest request in flight
                event = self._handle_response(kind, payload, self._pending[0])
            if event is not None:
                return event
            rows = self._rows
        else:
            self._pos = pos
            self._need = 5
        if rows is not None and self._pending:
            self._check_row_limit(rows, self._pending[0])
        if self._eof:
            raise OperationalError(
                "server closed the connection unexpectedly: it probably terminated abnormally "
                "before or while processing the request"
            )
        return NEED_DATA

    @staticmethod
    def _check_row_limit(rows: list[bytes], exchange: Exchange) -> None:
        """Refuse more rows than a streaming exchange's Execute asked for."""
        limit = exchange.row_limit
        if limit and len(rows) > limit:
            raise ProtocolViolation(
                f"the server sent more than the {limit} rows asked for; the connection is out "
                "of step"
            )

    def _joined_copy_data(self, start: int, stop: int) -> CopyOutData:
        """The CopyData payload at ``buf[start:stop]`` and those of all complete CopyData
        messages right after it, as one event."""
        buf = self._buf
        end = len(buf)
        chunks = [buf[start:stop]]
        pos = stop
        while end - pos >= 5 and buf[pos] == KIND_COPY_DATA:
            size = messages.parse_header(buf, pos)[1]
            stop = pos + 5 + size
            if stop > end:
                break
            chunks.append(buf[pos + 5 : stop])
            pos = stop
        self._pos = pos
        return CopyOutData(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    def _unexpected(self, kind: int) -> ProtocolViolation:
        name = messages.BACKEND_MESSAGE_NAMES.get(kind, repr(bytes([kind])))
        return ProtocolViolation(
            f"unexpected {name} message from the server while {self.phase}; the connection "
            "is out of step"
        )

    def _handle(self, kind: int, payload: bytes) -> Event | None:
        # Asynchronous messages, valid in any phase.
        if kind == KIND_PARAMETER_STATUS:
            name, value = messages.parse_parameter_status(payload, self.encoding)
            if name == "client_encoding":
                client_encoding.check_reported(value)
            parameters = self.parameters
            if name not in parameters and len(parameters) >= PARAMETERS_KEPT:
                raise ProtocolViolation(
                    f"the server reported more than {PARAMETERS_KEPT} distinct parameters"
                )
            parameters[name] = value
            return None
        if kind == KIND_NOTICE_RESPONSE:
            fields = messages.parse_fields(payload, "NoticeResponse", self.encoding)
            self.notices.append(self._without_password(fields))
            return None
        if kind == KIND_NOTIFICATION_RESPONSE:
            self.notifications.append(messages.parse_notification(payload, self.encoding))
            return None
        if kind == KIND_ERROR_RESPONSE:
            return self._handle_error(payload)
        if self.phase == STARTUP:
            return self._handle_startup(kind, payload)
        if not self._pending:
            raise self._unexpected(kind)
        return self._handle_response(kind, payload, self._pending[0])

    def _row_description(self, payload: bytes) -> list[Column]:
        """The columns of a RowDescription; a query run again gets the very same list (its
        column decoders are then reused). Treat it as read-only."""
        columns = self._row_descriptions.get(payload)
        if columns is None:
            columns = messages.parse_row_description(payload, self.encoding)
            if len(payload) > ROW_DESCRIPTION_KEPT_SIZE:
                return columns
            if len(self._row_descriptions) >= ROW_DESCRIPTIONS_KEPT:
                del self._row_descriptions[next(iter(self._row_descriptions))]  # the oldest
            self._row_descriptions[payload] = columns
        return columns

    def _handle_error(self, payload: bytes) -> Event | None:
        fields = self._without_password(
            messages.parse_fields(payload, "ErrorResponse", self.encoding)
        )
        error = _error_from_fields(fields, startup=self.phase == STARTUP)
        fatal = fields.get("V", fields.get("S")) in ("FATAL", "PANIC")
        if self.phase == STARTUP or fatal or not self._pending:
            raise error
        exchange = self._pending[0]
        if exchange.error is None:
            exchange.error = error
        self._sync_stream(exchange)
        exchange.current = None
        self._rows = None
        if self.phase == COPY_OUT:
            self.phase = BUSY
        return None

    def _without_password(self, fields: dict[str, str]) -> dict[str, str]:
        """An ErrorResponse's or NoticeResponse's ``fields`` with the connection's password
        masked: a server may echo it (a failed login, ``RAISE`` of a value), at any time."""
        if self._auth is None or not self._auth.password:
            return fields
        from purepg.redaction import redact_fields

        return redact_fields(fields, [self._auth.password])

    def _handle_startup(self, kind: int, payload: bytes) -> Event | None:
        auth = self._auth
        if kind == KIND_AUTHENTICATION and auth is not None:
            if self._authenticated:
                raise self._unexpected(kind)
            code, data = messages.parse_authentication(payload)
            if code == AUTH_OK:
                auth.finish()
                self._authenticated = True
                return None
            response = auth.respond(code, data)
            if response is not None:
                self._outgoing.append(response)
            return None
        if (
            kind == KIND_NEGOTIATE_PROTOCOL_VERSION
            and not self._negotiated
            and not self._authenticated
        ):
            self._negotiate(payload)
            return None
        if not self._authenticated:
            raise self._unexpected(kind)
        if kind == KIND_BACKEND_KEY_DATA:
            self.backend_pid, self.backend_key = messages.parse_backend_key_data(
                payload, self.protocol_minor
            )
            return None
        if kind == KIND_READY_FOR_QUERY:
            self.transaction_status = messages.parse_ready_for_query(payload)
            self.phase = READY
            return ReadyForQuery(self.transaction_status, None)
        raise self._unexpected(kind)

    def _negotiate(self, payload: bytes) -> None:
        """Accept a NegotiateProtocolVersion only as libpq 18 does: a lower version within
        the allowed range, and no option (purepg requests none)."""
        version, options = messages.parse_negotiate_protocol_version(payload)
        self._negotiated = True
        requested = messages.PROTOCOL_MAJOR << 16 | self.protocol_minor
        invalid = "received invalid protocol negotiation message: server"
        if version > requested:
            raise ProtocolViolation(f"{invalid} requested downgrade to a higher-numbered version")
        if version >> 16 != messages.PROTOCOL_MAJOR:
            raise ProtocolViolation(f"{invalid} requested downgrade to pre-3.0 protocol version")
        minor = version & 0xFFFF
        if minor == 1:
            raise ProtocolViolation(
                f"{invalid} requested downgrade to non-existent 3.1 protocol version"
            )
        if version == requested and not options:
            raise ProtocolViolation(f"{invalid} negotiated but asks for no changes")
        if minor < self._min_minor:
            raise OperationalError(
                f"server only supports protocol version 3.{minor}, but "
                f'"min_protocol_version" was set to 3.{self._min_minor}'
            )
        for option in options:
            if not option.startswith("_pq_."):
                raise ProtocolViolation(
                    f"{invalid} reported unsupported parameter name without a "
                    f'"_pq_." prefix ("{option}")'
                )
            unrequested = "an unsupported parameter that was not requested"
            raise ProtocolViolation(f'{invalid} reported {unrequested} ("{option}")')
        self.protocol_minor = minor

    def _handle_response(self, kind: int, payload: bytes, exchange: Exchange) -> Event | None:
        if kind == KIND_DATA_ROW:  # without a RowDescription (executemany skips Describe)
            if not exchange.extended or self.phase != BUSY:
                raise self._unexpected(kind)
            exchange.current = Result(None)
            self._rows = exchange.current.rows
            self._rows.append(payload)
            return None
        if kind == KIND_ROW_DESCRIPTION:
            exchange.current = Result(self._row_description(payload))
            self._rows = exchange.current.rows
            return None
        if kind == KIND_COMMAND_COMPLETE:
            result = exchange.current if exchange.current is not None else Result(None)
            self._check_row_limit(result.rows, exchange)
            result.tag = messages.parse_command_complete(payload, self.encoding)
            exchange.results.append(result)
            exchange.current = None
            self._rows = None
            if not exchange.synced:
                self._sync_stream(exchange)
            if self.phase == COPY_OUT:
                self.phase = BUSY
            return None
        if kind == KIND_READY_FOR_QUERY:
            status = _READY_STATUSES.get(payload)
            if status is None:
                status = messages.parse_ready_for_query(payload)  # raises, naming the status
            self.transaction_status = status
            exchange.done = True
            self._pending.pop(0)
            self._rows = None
            if not self._pending:
                self.phase = READY
            return ReadyForQuery(self.transaction_status, exchange)
        if kind in _EMPTY_COMPLETIONS:
            messages.parse_empty(payload, messages.BACKEND_MESSAGE_NAMES[kind])
            return None
        if kind == KIND_NO_DATA:
            messages.parse_empty(payload, "NoData")
            exchange.current = Result(None)
            self._rows = None
            return None
        if kind == KIND_EMPTY_QUERY_RESPONSE:
            messages.parse_empty(payload, "EmptyQueryResponse")
            exchange.results.append(Result(None))
            exchange.current = None
            self._rows = None
            self._sync_stream(exchange)
            return None
        if kind == KIND_PORTAL_SUSPENDED:
            messages.parse_empty(payload, "PortalSuspended")
            result = exchange.current if exchange.current is not None else Result(None)
            self._check_row_limit(result.rows, exchange)
            result.suspended = True
            exchange.results.append(result)
            exchange.current = None
            self._rows = None
            return None if exchange.synced else Suspended(exchange)
        if kind == KIND_PARAMETER_DESCRIPTION:
            exchange.param_oids = messages.parse_parameter_description(payload)
            return None
        if kind == KIND_COPY_IN_RESPONSE:
            response = messages.parse_copy_response(payload, "CopyInResponse")
            self.phase = COPY_IN
            return CopyInRequested(response)
        if kind == KIND_COPY_OUT_RESPONSE:
            response = messages.parse_copy_response(payload, "CopyOutResponse")
            self.phase = COPY_OUT
            exchange.current = Result(None)
            return CopyOutStarted(response)
        if kind == KIND_COPY_DATA:
            if self.phase != COPY_OUT:
                raise self._unexpected(kind)
            return CopyOutData(payload)
        if kind == KIND_COPY_DONE:
            if self.phase != COPY_OUT:
                raise self._unexpected(kind)
            messages.parse_empty(payload, "CopyDone")
            return None
        if kind == KIND_COPY_BOTH_RESPONSE:
            raise ProtocolViolation(
                "the server started COPY BOTH (replication), which purepg does not support"
            )
        raise self._unexpected(kind)
