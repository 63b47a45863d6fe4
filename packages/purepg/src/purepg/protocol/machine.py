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
from typing import Any, Callable, NamedTuple, Optional, Union

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
COMMAND_TAGS_KEPT = 64
"""Distinct CommandComplete messages a connection keeps parsed."""
COMMAND_TAG_KEPT_SIZE = 64
"""The longest CommandComplete kept (a tag is a command name and up to two numbers)."""
NOTICES_KEPT = 50
"""Notices a machine keeps until its owner collects them (the newest, as psycopg2 keeps 50):
a server sending notices without end cannot grow memory."""
PARAMETERS_KEPT = 1000
"""Distinct ParameterStatus names a server may report (PostgreSQL reports about 20)."""

_READY_STATUSES = {b"I": "I", b"T": "T", b"E": "E"}
"""ReadyForQuery's transaction status byte -> ``transaction_status``."""
_READY_FOR_QUERY_HEADER = b"Z\0\0\0\x05"
"""A ReadyForQuery message up to its status byte."""


_unpack_header = struct.Struct("!Bi").unpack_from
"""A message's type byte and length."""
_MAX_LENGTHS = {kind: size + 4 for kind, size in messages.MAX_PAYLOAD_LENGTHS.items()}
"""The largest valid length of each backend message type (``messages.parse_header``'s check)."""
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

    __slots__ = ("_tag_rowcount", "columns", "rows", "suspended", "tag")

    def __init__(self, columns: list[Column] | None) -> None:
        self.columns = columns
        self.rows: list[bytes] = []
        self.tag: str | None = None
        self.suspended = False
        self._tag_rowcount = -1
        """The row count of ``tag``, set with it."""

    @property
    def rowcount(self) -> int:
        """Rows affected or returned according to the command tag, -1 if unknown."""
        if self.tag is None:
            return len(self.rows) if self.suspended else -1
        return self._tag_rowcount


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
        self._join_copy_data = False
        self._failure: Error | None = None
        self._last_bind_prefix: tuple[bytes, Sequence[int], bytes] = (
            b"",
            (),
            messages.bind_prefix(b"", b"", ()),
        )
        self._last_bind_suffix: tuple[Sequence[int], bytes] = ((), messages.bind_suffix(()))
        self._row_descriptions: dict[bytes, list[Column]] = {}
        self._command_tags: dict[bytes, tuple[str, int]] = {}

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

    def _cannot_send(self) -> Error:
        """Why no request may be sent now (the phase is neither READY nor BUSY)."""
        if self.phase == FAILED:
            return self._broken()
        if self.phase == CLOSED:
            return InterfaceError("the connection is closed")
        return InterfaceError(f"cannot send a request while {self.phase}")

    def send_query(self, sql: str, row_limit: int = 0) -> Exchange:
        """Queue a simple-protocol Query (one or more statements, no parameters); a result of
        more than ``row_limit`` rows (0: no limit, else what a FETCH asked for) breaks the
        protocol."""
        if self.phase not in (READY, BUSY):
            raise self._cannot_send()
        data = self._encode_sql(sql)
        exchange = Exchange(False, True, row_limit)
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
        if self.phase not in (READY, BUSY):
            raise self._cannot_send()
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
        exchange = Exchange(True, max_rows == 0, max_rows)  # streaming (not synced) if max_rows
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
        self._join_copy_data = join_copy_data
        try:
            return self._process()
        except Error as exc:
            self.fail(exc)
            raise

    def _process(self) -> Event:
        """Handle the complete messages in the buffer until one of them makes an event.

        One loop for every phase: a complete DataRow of the current result is appended
        as is (the hot path), any other message goes to its handler in the table of the
        phase (startup, a request in flight, idle), which also names what cannot arrive.
        """
        buf = self._buf
        pos = self._pos
        end = len(buf)
        rows = self._rows
        pending = self._pending
        if self.phase == STARTUP:  # it ends with ReadyForQuery, which returns
            handlers, exchange = _STARTUP_HANDLERS, _NO_REQUEST
        elif pending:  # every message until ReadyForQuery answers the oldest request
            handlers, exchange = _RESPONSE_HANDLERS, pending[0]
        else:
            handlers, exchange = _ASYNC_HANDLERS, _NO_REQUEST
        max_lengths = _MAX_LENGTHS
        data_row = KIND_DATA_ROW
        while end - pos >= 5:
            kind, length = _unpack_header(buf, pos)  # the length counts itself, not the type
            stop = pos + 1 + length
            if kind == data_row and rows is not None and length >= 4 and stop <= end:
                rows.append(buf[pos + 5 : stop])
                pos = stop
                continue
            handler = handlers.get(kind)
            if handler is None or not 4 <= length <= max_lengths[kind]:
                raise self._refusal(buf, pos)  # before waiting for a payload that may not come
            if stop > end:
                self._pos = pos
                self._need = stop - pos
                break
            payload = buf[pos + 5 : stop]
            self._pos = pos = stop
            event = handler(self, payload, exchange)
            if event is not None:
                return event
            rows = self._rows
        else:
            self._pos = pos
            self._need = 5
        if rows is not None and exchange.row_limit:
            self._check_row_limit(rows, exchange)
        if self._eof:
            raise OperationalError(
                "server closed the connection unexpectedly: it probably terminated abnormally "
                "before or while processing the request"
            )
        return NEED_DATA

    def _refusal(self, buf: bytes, pos: int) -> ProtocolViolation:
        """Why the message at ``buf[pos]`` cannot be handled now: not a PostgreSQL server's
        answer to the startup packet, an unknown type or length, or out of step."""
        kind = buf[pos]
        if self.phase == STARTUP and kind not in _STARTUP_HANDLERS:
            return ProtocolViolation(
                f"the server answered the startup packet with {buf[pos : pos + 16]!r}: it "
                "is not a PostgreSQL server, or not one that speaks protocol 3.0"
            )
        messages.parse_header(buf, pos)  # raises the ProtocolViolation naming it
        return self._unexpected(kind)

    @staticmethod
    def _check_row_limit(rows: list[bytes], exchange: Exchange) -> None:
        """Refuse more rows than a streaming exchange's Execute asked for."""
        limit = exchange.row_limit
        if limit and len(rows) > limit:
            raise ProtocolViolation(
                f"the server sent more than the {limit} rows asked for; the connection is out "
                "of step"
            )

    def _joined_copy_data(self, first: bytes) -> CopyOutData:
        """``first`` (a CopyData payload) and the payloads of all the complete CopyData
        messages right after it in the buffer, as one event."""
        buf = self._buf
        end = len(buf)
        chunks = [first]
        pos = self._pos
        while end - pos >= 5 and buf[pos] == KIND_COPY_DATA:
            size = messages.parse_header(buf, pos)[1]
            stop = pos + 5 + size
            if stop > end:
                break
            chunks.append(buf[pos + 5 : stop])
            pos = stop
        self._pos = pos
        return CopyOutData(first if len(chunks) == 1 else b"".join(chunks))

    def _unexpected(self, kind: int) -> ProtocolViolation:
        name = messages.BACKEND_MESSAGE_NAMES.get(kind, repr(bytes([kind])))
        return ProtocolViolation(
            f"unexpected {name} message from the server while {self.phase}; the connection "
            "is out of step"
        )

    def _parse_row_description(self, payload: bytes) -> list[Column]:
        """The columns of a RowDescription not seen before, kept for the next time (see
        ``_on_row_description``)."""
        columns = messages.parse_row_description(payload, self.encoding)
        if len(payload) <= ROW_DESCRIPTION_KEPT_SIZE:
            _keep(self._row_descriptions, payload, columns, ROW_DESCRIPTIONS_KEPT)
        return columns

    def _parse_command_complete(self, payload: bytes) -> tuple[str, int]:
        """The tag and row count of a CommandComplete not seen before, kept for the next
        time (the same few recur: ``SELECT 1``, ``INSERT 0 1``)."""
        tag = messages.parse_command_complete(payload, self.encoding)
        known = (tag, messages.rowcount_from_tag(tag))
        if len(payload) <= COMMAND_TAG_KEPT_SIZE:
            _keep(self._command_tags, payload, known, COMMAND_TAGS_KEPT)
        return known

    def _without_password(self, fields: dict[str, str]) -> dict[str, str]:
        """An ErrorResponse's or NoticeResponse's ``fields`` with the connection's password
        masked: a server may echo it (a failed login, ``RAISE`` of a value), at any time."""
        if self._auth is None or not self._auth.password:
            return fields
        from purepg.redaction import redact_fields

        return redact_fields(fields, [self._auth.password])

    # -- message handlers: ``handler(machine, payload, exchange)`` (see the tables below) ---
    # ``exchange`` is the oldest request in flight (``_NO_REQUEST`` at startup and when idle).

    # Asynchronous messages and errors, valid in any phase.

    def _on_parameter_status(self, payload: bytes, exchange: Exchange) -> None:
        name, value = messages.parse_parameter_status(payload, self.encoding)
        if name == "client_encoding":
            client_encoding.check_reported(value)
        parameters = self.parameters
        if name not in parameters and len(parameters) >= PARAMETERS_KEPT:
            raise ProtocolViolation(
                f"the server reported more than {PARAMETERS_KEPT} distinct parameters"
            )
        parameters[name] = value

    def _on_notice(self, payload: bytes, exchange: Exchange) -> None:
        fields = messages.parse_fields(payload, "NoticeResponse", self.encoding)
        self.notices.append(self._without_password(fields))

    def _on_notification(self, payload: bytes, exchange: Exchange) -> None:
        self.notifications.append(messages.parse_notification(payload, self.encoding))

    def _on_error(self, payload: bytes, exchange: Exchange) -> None:
        fields = self._without_password(
            messages.parse_fields(payload, "ErrorResponse", self.encoding)
        )
        error = _error_from_fields(fields, startup=self.phase == STARTUP)
        fatal = fields.get("V", fields.get("S")) in ("FATAL", "PANIC")
        if self.phase == STARTUP or fatal or exchange is _NO_REQUEST:
            raise error
        if exchange.error is None:
            exchange.error = error
        self._sync_stream(exchange)
        exchange.current = None
        self._rows = None
        if self.phase == COPY_OUT:
            self.phase = BUSY

    # Startup: authentication, then the session's key and the first ReadyForQuery.

    def _on_authentication(self, payload: bytes, exchange: Exchange) -> None:
        auth = self._auth
        if auth is None or self._authenticated:
            raise self._unexpected(KIND_AUTHENTICATION)
        code, data = messages.parse_authentication(payload)
        if code == AUTH_OK:
            auth.finish()
            self._authenticated = True
            return
        response = auth.respond(code, data)
        if response is not None:
            self._outgoing.append(response)

    def _on_negotiate_protocol_version(self, payload: bytes, exchange: Exchange) -> None:
        if self._negotiated or self._authenticated:
            raise self._unexpected(KIND_NEGOTIATE_PROTOCOL_VERSION)
        self._negotiate(payload)

    def _on_backend_key_data(self, payload: bytes, exchange: Exchange) -> None:
        if not self._authenticated:
            raise self._unexpected(KIND_BACKEND_KEY_DATA)
        self.backend_pid, self.backend_key = messages.parse_backend_key_data(
            payload, self.protocol_minor
        )

    def _on_startup_ready(self, payload: bytes, exchange: Exchange) -> ReadyForQuery:
        if not self._authenticated:
            raise self._unexpected(KIND_READY_FOR_QUERY)
        self.transaction_status = messages.parse_ready_for_query(payload)
        self.phase = READY
        return ReadyForQuery(self.transaction_status, None)

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

    # Responses to the request in flight.

    def _on_row_description(self, payload: bytes, exchange: Exchange) -> None:
        """A query run again gets the very same list of columns (its column decoders are
        then reused): treat it as read-only."""
        columns = self._row_descriptions.get(payload)
        if columns is None:
            columns = self._parse_row_description(payload)
        result = exchange.current = Result(columns)
        self._rows = result.rows

    def _on_data_row(self, payload: bytes, exchange: Exchange) -> None:
        """A DataRow while no result is open (``_process`` appends the others to the open
        one): it starts a result without columns, in an extended exchange only."""
        if not exchange.extended or self.phase != BUSY:
            raise self._unexpected(KIND_DATA_ROW)
        result = exchange.current = Result(None)
        self._rows = result.rows
        result.rows.append(payload)

    def _on_command_complete(self, payload: bytes, exchange: Exchange) -> ReadyForQuery | None:
        result = exchange.current
        if result is None:
            result = Result(None)
        elif exchange.row_limit:
            self._check_row_limit(result.rows, exchange)
        known = self._command_tags.get(payload)
        if known is None:
            known = self._parse_command_complete(payload)
        result.tag, result._tag_rowcount = known
        exchange.results.append(result)
        exchange.current = None
        self._rows = None
        if not exchange.synced:
            self._sync_stream(exchange)
        if self.phase == COPY_OUT:
            self.phase = BUSY
        # The usual end of a request, ReadyForQuery right after: handled here in one step.
        buf = self._buf
        pos = self._pos
        if buf.startswith(_READY_FOR_QUERY_HEADER, pos) and len(buf) > pos + 5:
            self._pos = pos + 6
            return self._on_ready_for_query(buf[pos + 5 : pos + 6], exchange)
        return None

    def _on_ready_for_query(self, payload: bytes, exchange: Exchange) -> ReadyForQuery:
        status = _READY_STATUSES.get(payload)
        if status is None:
            status = messages.parse_ready_for_query(payload)  # raises, naming the status
        self.transaction_status = status
        exchange.done = True
        pending = self._pending
        pending.pop(0)
        self._rows = None
        if not pending:
            self.phase = READY
        return ReadyForQuery(status, exchange)

    def _on_parse_complete(self, payload: bytes, exchange: Exchange) -> None:
        if payload:
            messages.parse_empty(payload, "ParseComplete")

    def _on_bind_complete(self, payload: bytes, exchange: Exchange) -> None:
        """The portal's result starts: without a Describe (a statement already described,
        executemany) its DataRows come without a RowDescription and take the hot path of
        ``_process`` into this result; a RowDescription or NoData replaces it."""
        if payload:
            messages.parse_empty(payload, "BindComplete")
        result = exchange.current = Result(None)
        self._rows = result.rows

    def _on_close_complete(self, payload: bytes, exchange: Exchange) -> None:
        if payload:
            messages.parse_empty(payload, "CloseComplete")

    def _on_no_data(self, payload: bytes, exchange: Exchange) -> None:
        messages.parse_empty(payload, "NoData")
        exchange.current = Result(None)
        self._rows = None

    def _on_empty_query(self, payload: bytes, exchange: Exchange) -> None:
        messages.parse_empty(payload, "EmptyQueryResponse")
        exchange.results.append(Result(None))
        exchange.current = None
        self._rows = None
        self._sync_stream(exchange)

    def _on_portal_suspended(self, payload: bytes, exchange: Exchange) -> Suspended | None:
        messages.parse_empty(payload, "PortalSuspended")
        result = exchange.current if exchange.current is not None else Result(None)
        self._check_row_limit(result.rows, exchange)
        result.suspended = True
        exchange.results.append(result)
        exchange.current = None
        self._rows = None
        return None if exchange.synced else Suspended(exchange)

    def _on_parameter_description(self, payload: bytes, exchange: Exchange) -> None:
        exchange.param_oids = messages.parse_parameter_description(payload)

    def _on_copy_in_response(self, payload: bytes, exchange: Exchange) -> CopyInRequested:
        response = messages.parse_copy_response(payload, "CopyInResponse")
        self.phase = COPY_IN
        self._rows = None
        return CopyInRequested(response)

    def _on_copy_out_response(self, payload: bytes, exchange: Exchange) -> CopyOutStarted:
        response = messages.parse_copy_response(payload, "CopyOutResponse")
        self.phase = COPY_OUT
        exchange.current = Result(None)
        self._rows = None
        return CopyOutStarted(response)

    def _on_copy_data(self, payload: bytes, exchange: Exchange) -> CopyOutData:
        if self.phase != COPY_OUT:
            raise self._unexpected(KIND_COPY_DATA)
        if self._join_copy_data:
            return self._joined_copy_data(payload)
        return CopyOutData(payload)

    def _on_copy_done(self, payload: bytes, exchange: Exchange) -> None:
        if self.phase != COPY_OUT:
            raise self._unexpected(KIND_COPY_DONE)
        messages.parse_empty(payload, "CopyDone")

    def _on_copy_both_response(self, payload: bytes, exchange: Exchange) -> None:
        raise ProtocolViolation(
            "the server started COPY BOTH (replication), which purepg does not support"
        )


def _keep(cache: dict[bytes, Any], key: bytes, value: object, limit: int) -> None:
    """Add ``key`` to ``cache``, forgetting the oldest key once it holds ``limit``."""
    if len(cache) >= limit:
        del cache[next(iter(cache))]
    cache[key] = value


_Handler = Callable[[Machine, bytes, Exchange], Optional[Event]]

_NO_REQUEST = Exchange(extended=False)
"""The ``exchange`` handlers get when no request is in flight (only asynchronous messages,
which do not use it, are accepted then)."""

_ASYNC_HANDLERS: dict[int, _Handler] = {
    KIND_PARAMETER_STATUS: Machine._on_parameter_status,
    KIND_NOTICE_RESPONSE: Machine._on_notice,
    KIND_NOTIFICATION_RESPONSE: Machine._on_notification,
    KIND_ERROR_RESPONSE: Machine._on_error,
}
"""What an idle connection accepts: messages the server may send at any time, and errors."""

_STARTUP_HANDLERS: dict[int, _Handler] = {
    KIND_AUTHENTICATION: Machine._on_authentication,
    KIND_NEGOTIATE_PROTOCOL_VERSION: Machine._on_negotiate_protocol_version,
    KIND_BACKEND_KEY_DATA: Machine._on_backend_key_data,
    KIND_READY_FOR_QUERY: Machine._on_startup_ready,
    KIND_PARAMETER_STATUS: Machine._on_parameter_status,
    KIND_NOTICE_RESPONSE: Machine._on_notice,
    KIND_ERROR_RESPONSE: Machine._on_error,
}
"""What a server may send before its first ReadyForQuery."""

_RESPONSE_HANDLERS: dict[int, _Handler] = {
    **_ASYNC_HANDLERS,
    KIND_ROW_DESCRIPTION: Machine._on_row_description,
    KIND_DATA_ROW: Machine._on_data_row,
    KIND_COMMAND_COMPLETE: Machine._on_command_complete,
    KIND_READY_FOR_QUERY: Machine._on_ready_for_query,
    KIND_PARSE_COMPLETE: Machine._on_parse_complete,
    KIND_BIND_COMPLETE: Machine._on_bind_complete,
    KIND_CLOSE_COMPLETE: Machine._on_close_complete,
    KIND_NO_DATA: Machine._on_no_data,
    KIND_EMPTY_QUERY_RESPONSE: Machine._on_empty_query,
    KIND_PORTAL_SUSPENDED: Machine._on_portal_suspended,
    KIND_PARAMETER_DESCRIPTION: Machine._on_parameter_description,
    KIND_COPY_IN_RESPONSE: Machine._on_copy_in_response,
    KIND_COPY_OUT_RESPONSE: Machine._on_copy_out_response,
    KIND_COPY_DATA: Machine._on_copy_data,
    KIND_COPY_DONE: Machine._on_copy_done,
    KIND_COPY_BOTH_RESPONSE: Machine._on_copy_both_response,
}
"""What may answer a request in flight (the asynchronous messages included)."""
