"""SQLAlchemy 2 dialect ``postgresql+purepg://``: SQLAlchemy's PostgreSQL dialect over purepg.

purepg already returns what SQLAlchemy wants for most types (``Decimal``, ``uuid.UUID``,
parsed JSON, lists for arrays, ``ipaddress`` objects), so the dialect only converts where the
two disagree: ranges (`purepg.types.Range` <-> SQLAlchemy's ``Range``), multiranges, hstore
(sent as a literal: purepg sends a plain dict as jsonb) and numeric/float conversions that a
column's ``asdecimal`` asks for. purepg sends ``str`` untyped (the server infers the type), so
string, array and range binds are rendered with a cast (``%(x)s::VARCHAR``) where the context
cannot tell. SQLAlchemy is imported by this module only: ``import purepg`` does not need it.

URL: ``postgresql+purepg://user:password@host:port/dbname?sslmode=verify-full&...``; every
query parameter is a libpq keyword passed to `purepg.connect`; PG* variables and ``~/.pgpass``
fill in what the URL leaves out.
"""

from __future__ import annotations

import decimal
import ipaddress
import itertools
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Optional, cast

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import ranges
from sqlalchemy.dialects.postgresql.array import ARRAY
from sqlalchemy.dialects.postgresql.base import PGDialect, PGExecutionContext
from sqlalchemy.dialects.postgresql.hstore import HSTORE
from sqlalchemy.dialects.postgresql.json import JSON, JSONB
from sqlalchemy.dialects.postgresql.pg_catalog import INT2VECTOR, OIDVECTOR
from sqlalchemy.dialects.postgresql.types import CITEXT, INET, INTERVAL

from purepg.codecs import oids
from purepg.codecs.range import range_literal
from purepg.types import Range as PurepgRange

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import ConnectArgsType, DBAPIConnection, IsolationLevel
    from sqlalchemy.engine.url import URL

Processor = Optional[Callable[[Any], Any]]

# Type OIDs (cursor.description type_code) of the numeric result columns and their arrays.
_FLOAT_TYPES = (oids.FLOAT4, oids.FLOAT8)
_EXACT_TYPES = (oids.INT8, oids.INT2, oids.INT4, oids.OID, oids.NUMERIC)
_FLOAT_OIDS = frozenset({oid for base in _FLOAT_TYPES for oid in (base, oids.ARRAY_OF[base])})
_EXACT_OIDS = frozenset({oid for base in _EXACT_TYPES for oid in (base, oids.ARRAY_OF[base])})

# SQLSTATE classes and codes that mean the session is gone.
_DISCONNECT_SQLSTATE_CLASSES = ("08",)  # connection exception
_DISCONNECT_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown
_DISCONNECT_MESSAGES = (
    "connection already closed",
    "the connection is closed",
    "the connection is broken",
    "the connection to the server was lost",
    "server closed the connection",
    "connection not open",
    "could not receive data from server",
    "could not send data to server",
)

ISOLATION_LEVELS: tuple[IsolationLevel, ...] = (
    "AUTOCOMMIT",
    "READ COMMITTED",
    "READ UNCOMMITTED",
    "REPEATABLE READ",
    "SERIALIZABLE",
)


# -- type conversions ----------------------------------------------------------------------


class _Numeric(sqltypes.Numeric):  # type: ignore[type-arg]
    """Decimal or float as the column's ``asdecimal`` asks; the driver sends both natively.

    Binds are cast (``%(x)s::NUMERIC``): a None sent where the server cannot infer a type
    (``CASE WHEN %(x)s IS NOT NULL``) would otherwise be ambiguous.
    """

    render_bind_cast = True

    def bind_processor(self, dialect: Any) -> Processor:
        return None

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return _numeric_result(self.asdecimal, self._effective_decimal_return_scale, coltype)


class _Float(sqltypes.Float):  # type: ignore[type-arg]
    """`_Numeric` for Float columns."""

    render_bind_cast = True

    def bind_processor(self, dialect: Any) -> Processor:
        return None

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return _numeric_result(self.asdecimal, self._effective_decimal_return_scale, coltype)


def _numeric_result(asdecimal: bool, scale: int | None, coltype: Any) -> Processor:
    if asdecimal and coltype in _FLOAT_OIDS:
        quantum = None if scale is None else decimal.Decimal(1).scaleb(-scale)

        def to_decimal(value: Any) -> Any:
            if value is None:
                return None
            result = decimal.Decimal(repr(value))
            return result if quantum is None or not result.is_finite() else result.quantize(quantum)

        return to_decimal
    if not asdecimal and coltype in _EXACT_OIDS:

        def to_float(value: Any) -> Any:
            return None if value is None else float(value)

        return to_float
    return None


_BIND_CAST_TYPES: tuple[type[Any], ...] = (
    sqltypes.String,
    sqltypes.Integer,
    sqltypes.SmallInteger,
    sqltypes.BigInteger,
    sqltypes.Boolean,
    sqltypes.Date,
    sqltypes.DateTime,
    sqltypes.Time,
)
"""The types whose binds are cast to their type (`_bind_cast`)."""


def _bind_cast(base: type[Any]) -> type[Any]:
    """``base`` with its binds cast to their type: None has no type the server can infer, and
    strings are bound untyped, so places that cannot infer one (``json_build_object(%s, ...)``,
    ``%s IS NULL``) need the cast."""
    doc = f"{base.__name__} with its binds cast to their type."
    return type(f"_{base.__name__}", (base,), {"render_bind_cast": True, "__doc__": doc})


class _Interval(INTERVAL):
    """Binds cast to their type; ``Interval`` columns map here."""

    render_bind_cast = True

    @classmethod
    def adapt_emulated_to_native(  # type: ignore[override]  # as INTERVAL's own
        cls, interval: Any, **kw: Any
    ) -> _Interval:
        return cls(precision=interval.second_precision)


class _Inet(INET):
    """With ``native_inet_types=True``: an address without a prefix is an ``ipaddress``
    address (``IPv4Address``), as in other drivers, not a /32 interface."""

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return _host_address


def _host_address(value: Any) -> Any:
    interfaces = (ipaddress.IPv4Interface, ipaddress.IPv6Interface)
    if isinstance(value, interfaces) and value.network.prefixlen == value.max_prefixlen:
        return value.ip
    return value


def _space_separated_ints(value: Any) -> Any:
    if value is None or isinstance(value, list):
        return value
    return [int(item) for item in str(value).split()]


class _Int2Vector(INT2VECTOR):
    """int2vector (catalog columns read by reflection): ``'1 2'`` -> ``[1, 2]``."""

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return _space_separated_ints


class _OidVector(OIDVECTOR):
    """oidvector: ``'23 25'`` -> ``[23, 25]``."""

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return _space_separated_ints


class _JSON(JSON):
    """purepg returns json columns parsed already."""

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return None


class _JSONB(JSONB):
    """purepg returns jsonb columns parsed already."""

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return None


class _Array(ARRAY):  # type: ignore[type-arg]
    """Arrays: lists both ways; the bind is cast so that lists of str get the column's type."""

    render_bind_cast = True


class _HStore(HSTORE):
    """hstore: sent as its text literal (a plain dict would go as jsonb), read as a dict.

    purepg decodes hstore to a dict once it knows the extension's OID; SQLAlchemy's parser
    handles the text it returns before that.
    """

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        parse: Processor = super().result_processor(dialect, coltype)

        def to_dict(value: Any) -> Any:
            if value is None or isinstance(value, dict) or parse is None:
                return value
            return parse(value)

        return to_dict


def to_sqlalchemy_range(value: Any) -> Any:
    """A `purepg.types.Range` as SQLAlchemy's ``Range`` (other values unchanged)."""
    if not isinstance(value, PurepgRange):
        return value
    if value.isempty:
        return ranges.Range(empty=True)
    return ranges.Range(value.lower, value.upper, bounds=value.bounds)  # type: ignore[arg-type]


def to_purepg_range(value: Any) -> Any:
    """SQLAlchemy's ``Range`` as a `purepg.types.Range` (other values unchanged)."""
    if not isinstance(value, ranges.Range):
        return value
    if value.empty:
        return PurepgRange(empty=True)
    return PurepgRange(value.lower, value.upper, value.bounds)


def multirange_literal(value: Sequence[Any]) -> str:
    """The text literal of a multirange (``{[1,3),[5,7)}``) from ranges of either kind."""
    parts = []
    for given in value:
        item = to_purepg_range(given)
        if not isinstance(item, PurepgRange):
            raise TypeError(f"a multirange holds ranges, not {type(item).__name__}: {item!r}")
        if not item.isempty:
            parts.append(range_literal(item).decode())
    return "{" + ",".join(parts) + "}"


class _Range(ranges.AbstractSingleRangeImpl):  # type: ignore[type-arg]
    """Single ranges: SQLAlchemy ``Range`` <-> `purepg.types.Range`, bind cast to the type."""

    render_bind_cast = True

    def bind_processor(self, dialect: Any) -> Processor:
        return to_purepg_range

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        return to_sqlalchemy_range


class _MultiRange(ranges.AbstractMultiRangeImpl):  # type: ignore[type-arg]
    """Multiranges: sent as a literal, read as SQLAlchemy's ``MultiRange``."""

    render_bind_cast = True

    def bind_processor(self, dialect: Any) -> Processor:
        def to_literal(value: Any) -> Any:
            if value is None or isinstance(value, str):
                return value
            return multirange_literal(value)

        return to_literal

    def result_processor(self, dialect: Any, coltype: Any) -> Processor:
        def to_multirange(value: Any) -> Any:
            if value is None:
                return None
            return ranges.MultiRange(to_sqlalchemy_range(item) for item in value)

        return to_multirange


_RANGE_TYPES: tuple[Any, ...] = (
    ranges.INT4RANGE,
    ranges.INT8RANGE,
    ranges.NUMRANGE,
    ranges.DATERANGE,
    ranges.TSRANGE,
    ranges.TSTZRANGE,
)
_MULTIRANGE_TYPES: tuple[Any, ...] = (
    ranges.INT4MULTIRANGE,
    ranges.INT8MULTIRANGE,
    ranges.NUMMULTIRANGE,
    ranges.DATEMULTIRANGE,
    ranges.TSMULTIRANGE,
    ranges.TSTZMULTIRANGE,
)


def _colspecs() -> dict[Any, Any]:
    specs: dict[Any, Any] = dict(PGDialect.colspecs)
    specs.update({base: _bind_cast(base) for base in _BIND_CAST_TYPES})
    specs.update(
        {
            CITEXT: CITEXT,  # not String's VARCHAR cast: it would compare case-sensitively
            sqltypes.Interval: _Interval,
            INTERVAL: _Interval,
            INET: _Inet,
            INT2VECTOR: _Int2Vector,
            OIDVECTOR: _OidVector,
            sqltypes.Numeric: _Numeric,
            sqltypes.Float: _Float,
            sqltypes.JSON: _JSON,
            JSON: _JSON,
            JSONB: _JSONB,
            sqltypes.ARRAY: _Array,
            HSTORE: _HStore,
        }
    )
    specs.update({range_type: _Range for range_type in _RANGE_TYPES})
    specs.update({multirange_type: _MultiRange for multirange_type in _MULTIRANGE_TYPES})
    return specs


# -- the dialect ---------------------------------------------------------------------------

_cursor_numbers = itertools.count(1)


class PGExecutionContext_purepg(PGExecutionContext):  # noqa: N801 - SQLAlchemy's naming
    """``stream_results=True`` runs the statement in a named (server-side) cursor."""

    def create_server_side_cursor(self) -> Any:
        name = f"sqlalchemy_cursor_{next(_cursor_numbers)}"
        return self._dbapi_connection.cursor(name)


class PGDialect_purepg(PGDialect):  # noqa: N801 - SQLAlchemy's naming of dialect classes
    """``postgresql+purepg://``."""

    driver = "purepg"
    supports_statement_cache = True
    default_paramstyle = "pyformat"
    supports_native_uuid = True
    supports_native_decimal = True
    supports_sane_multi_rowcount = True  # executemany's rowcount is the total
    supports_server_side_cursors = True
    execution_ctx_cls = PGExecutionContext_purepg
    returns_native_bytes = True
    colspecs = _colspecs()

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        import purepg

        return purepg

    @classmethod
    def load_provisioning(cls) -> None:
        """SQLAlchemy's test provisioning (temp tables, schemas, follower databases) for
        PostgreSQL: its own PostgreSQL dialect's, which registers the hooks for every driver."""
        __import__("sqlalchemy.dialects.postgresql.provision")

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        """URL -> ``purepg.connect(**kwargs)``: host, port, dbname, user, password + the query.

        Several hosts (``?host=a:5432&host=b:5433``) become libpq's comma-separated lists.
        """
        kwargs: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
        hosts, ports = self._split_multihost_from_url(url)
        for key, value in url.query.items():
            if key == "host" and hosts:
                continue
            if not isinstance(value, str):
                raise ValueError(
                    f"the URL parameter {key!r} is given more than once: {list(value)!r}"
                )
            kwargs[key] = value
        if hosts:
            kwargs["host"] = ",".join(host or "" for host in hosts)
            if ports is not None and any(ports):
                kwargs["port"] = ",".join(str(port) if port else "" for port in ports)
        if "port" in kwargs:
            kwargs["port"] = str(kwargs["port"])
        return ([], kwargs)

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        """From the server_version the server reported at connect time (no query)."""
        dbapi_connection = connection.connection.dbapi_connection
        number = int(dbapi_connection.server_version)
        if number >= 100000:
            return (number // 10000, number % 10000)
        return (number // 10000, number // 100 % 100, number % 100)

    # -- isolation levels, read only, deferrable

    def get_isolation_level_values(
        self, dbapi_connection: DBAPIConnection
    ) -> Sequence[IsolationLevel]:
        return ISOLATION_LEVELS

    def set_isolation_level(self, dbapi_connection: DBAPIConnection, level: IsolationLevel) -> None:
        """AUTOCOMMIT turns the connection's ``autocommit`` on; other levels apply to the next
        transactions (``BEGIN ISOLATION LEVEL ...``)."""
        name = level.replace("_", " ").upper()
        if name == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
            return
        dbapi_connection.autocommit = False
        dbapi_connection.set_session(isolation_level=name)

    def get_isolation_level(self, dbapi_connection: DBAPIConnection) -> IsolationLevel:
        """The isolation level of the connection's transactions (not AUTOCOMMIT: see
        ``detect_autocommit_setting``): read inside one, where the level set for the
        connection applies (outside, the server reports its session default)."""
        rows = self._run_in_a_transaction(dbapi_connection, "SHOW transaction_isolation")
        return cast("IsolationLevel", str(rows[0][0]).upper())

    def detect_autocommit_setting(self, dbapi_conn: DBAPIConnection) -> bool:
        return bool(dbapi_conn.autocommit)

    def _do_autocommit(self, connection: Any, value: bool) -> None:
        connection.autocommit = value

    def set_readonly(self, connection: Any, value: bool) -> None:
        connection.readonly = value

    def get_readonly(self, connection: Any) -> bool:
        return bool(connection.readonly)

    def set_deferrable(self, connection: Any, value: bool) -> None:
        connection.deferrable = value

    def get_deferrable(self, connection: Any) -> bool:
        return bool(connection.deferrable)

    # -- two-phase commit: through the DB-API tpc methods, which quote the xid for the server's
    # standard_conforming_strings (SQLAlchemy's own renders it once for the whole engine)

    def do_begin_twophase(self, connection: Any, xid: Any) -> None:
        connection.connection.tpc_begin(xid)

    def do_prepare_twophase(self, connection: Any, xid: Any) -> None:
        connection.connection.tpc_prepare()

    def do_commit_twophase(
        self, connection: Any, xid: Any, is_prepared: bool = True, recover: bool = False
    ) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        self._finish_twophase(dbapi_connection, dbapi_connection.tpc_commit, xid, recover)

    def do_rollback_twophase(
        self, connection: Any, xid: Any, is_prepared: bool = True, recover: bool = False
    ) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        self._finish_twophase(dbapi_connection, dbapi_connection.tpc_rollback, xid, recover)

    def do_recover_twophase(self, connection: Any) -> list[Any]:
        return [str(xid) for xid in connection.connection.tpc_recover()]

    # -- liveness

    def do_ping(self, dbapi_connection: DBAPIConnection) -> bool:
        """``SELECT 1`` without opening a transaction; errors propagate (pool pre-ping)."""
        self._run_outside_transaction(dbapi_connection, "SELECT 1")
        return True

    def is_disconnect(self, e: Exception, connection: Any, cursor: Any) -> bool:
        """True when ``e`` means the session is gone: the connection reports itself broken,
        a connection-exception / shutdown SQLSTATE, or a lost-connection message."""
        dbapi = self.loaded_dbapi
        if not isinstance(e, dbapi.Error):
            return False
        if connection is not None and bool(getattr(connection, "closed", False)):
            return True
        sqlstate = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None) or ""
        if sqlstate in _DISCONNECT_SQLSTATES or sqlstate[:2] in _DISCONNECT_SQLSTATE_CLASSES:
            return True
        if not isinstance(e, (dbapi.OperationalError, dbapi.InterfaceError)):
            return False
        message = str(e).lower()
        return any(text in message for text in _DISCONNECT_MESSAGES)

    # -- connection setup

    def on_connect(self) -> Callable[[Any], None] | None:
        """Apply ``json_deserializer`` and the inet/cidr representation to each connection:
        strings, as SQLAlchemy's other PostgreSQL dialects by default, unless
        ``native_inet_types=True`` asks for ``ipaddress`` objects."""
        loads = self._json_deserializer
        inet_as_str = self._native_inet_types is not True
        if loads is None and not inet_as_str:
            return None

        def configure(dbapi_connection: Any) -> None:
            self.configure_connection(dbapi_connection, loads, inet_as_str)

        return configure

    # -- what depends on the driver (the ``postgresql+pgfacade://`` dialect overrides these)

    def configure_connection(
        self, dbapi_connection: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
    ) -> None:
        """Per-connection codecs of a purepg connection (its ``registry``): ``loads`` for
        json/jsonb, inet/cidr as strings when ``inet_as_str``."""
        configure_registry(dbapi_connection.registry, loads, inet_as_str)

    def is_idle(self, dbapi_connection: Any) -> bool:
        """No transaction is open on ``dbapi_connection`` (no round trip)."""
        return bool(dbapi_connection.transaction_status == "I")

    def _finish_twophase(
        self, dbapi_connection: Any, finish: Callable[..., None], xid: Any, recover: bool
    ) -> None:
        """Commit or roll back: a recovered ``xid`` from outside any transaction, else the
        connection's own two-phase transaction."""
        if not recover:
            finish()
            return
        if not self.is_idle(dbapi_connection):
            dbapi_connection.rollback()
        finish(xid)

    def _run_outside_transaction(self, dbapi_connection: Any, sql: str) -> list[Any]:
        """Run ``sql`` and return its rows without leaving a transaction open.

        Idle and not in autocommit mode, the statement runs in autocommit for the occasion
        (no ``BEGIN``); inside a transaction it runs in it.
        """
        switch = not dbapi_connection.autocommit and self.is_idle(dbapi_connection)
        if switch:
            dbapi_connection.autocommit = True
        try:
            return _rows(dbapi_connection, sql)
        finally:
            if switch and not dbapi_connection.closed:
                dbapi_connection.autocommit = False

    def _run_in_a_transaction(self, dbapi_connection: Any, sql: str) -> list[Any]:
        """Run ``sql`` in a transaction and return its rows: in the current one, or (idle, not
        in autocommit mode) in one opened for it and rolled back. In autocommit mode: as is."""
        opened = not dbapi_connection.autocommit and self.is_idle(dbapi_connection)
        try:
            return _rows(dbapi_connection, sql)
        finally:
            if opened and not dbapi_connection.closed:
                dbapi_connection.rollback()


def _rows(dbapi_connection: Any, sql: str) -> list[Any]:
    """The rows of ``sql``, run on a cursor closed afterwards."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def configure_registry(
    registry: Any, loads: Callable[[Any], Any] | None, inet_as_str: bool
) -> None:
    """SQLAlchemy's settings in a purepg codec registry: ``loads`` (``json_deserializer``) for
    json/jsonb, inet/cidr as strings when ``inet_as_str``."""
    if loads is not None:
        deserializer = loads  # SQLAlchemy's json_deserializer takes str; purepg passes bytes

        def loads_text(data: str | bytes) -> Any:
            return deserializer(data.decode() if isinstance(data, (bytes, bytearray)) else data)

        registry.set_json(loads=loads_text)
    if inet_as_str:
        as_text: Callable[[bytes], str] = bytes.decode
        registry.register(oids.INET, text_decoder=as_text, prefer_binary=False)
        registry.register(oids.CIDR, text_decoder=as_text, prefer_binary=False)


dialect = PGDialect_purepg
