"""psycopg2 typecasters and adapters that give the values purepg gives.

Typecasters are registered per connection (`register_on`); adapters (Python -> SQL) are global
in psycopg2 (`install_adapters`). Differences from psycopg2's defaults: uuid -> `uuid.UUID`,
inet/cidr -> `ipaddress` objects, ranges -> `purepg.types.Range`, multiranges -> lists of
`Range`, interval -> `timedelta` or `purepg.types.Interval` when it has months, bytea ->
`bytes`, hstore -> `dict`; arrays of all of these.

Cold-start budget: this module is what connecting needs, and imports nothing psycopg2 did not.
The slower conversions and the adapters live in `psycopg2_values`, imported by the first value
that needs them; ``uuid``, ``ipaddress`` and ``purepg.types`` likewise, and their adapters are
installed once the application (or a value) imported them.
"""

from __future__ import annotations

import sys

import psycopg2.extensions as ext

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: importing these costs a Lambda cold start milliseconds
    from collections.abc import Callable
    from typing import Any

    Caster = Callable[[Any, Any], Any]

BYTEA, BYTEA_ARRAY = 17, 1001
INTERVAL, INTERVAL_ARRAY = 1186, 1187
UUID, UUID_ARRAY = 2950, 2951
INET, INET_ARRAY = 869, 1041
CIDR, CIDR_ARRAY = 650, 651
MONEY, MONEY_ARRAY = 790, 791
# range oid -> (array oid, multirange oid, multirange array oid)
RANGES: dict[int, tuple[int, int, int]] = {
    3904: (3905, 4451, 6150),  # int4range
    3906: (3907, 4532, 6151),  # numrange
    3908: (3909, 4533, 6152),  # tsrange
    3910: (3911, 4534, 6153),  # tstzrange
    3912: (3913, 4535, 6155),  # daterange
    3926: (3927, 4536, 6157),  # int8range
}
# PostgreSQL's FirstGenbkiObjectId: the types of the system catalogs have OIDs below it; those
# created by initdb (information_schema's domains), extensions (hstore, even when installed in
# initdb's single-user mode: 12000-16383) and users have OIDs from here on.
FIRST_NON_BUILTIN_OID = 10000

_BINARY: Caster = ext.string_types[BYTEA]


def _interval_caster(value: str | None, cursor: Any) -> Any:
    if value is None:
        return None
    from purepg.codecs.datetime import decode_interval_text  # with purepg: the first interval

    return decode_interval_text(value.encode())


def _bytea_caster(value: str | None, cursor: Any) -> Any:
    if value is None:
        return None
    return bytes(_BINARY(value, cursor))


_new_object = object.__new__
# uuid.UUID and setters of its two slots, loaded with ``uuid`` by the first uuid value.
_uuid_class: Any = None
_set_uuid_int: Any = None
_set_uuid_safety: Any = None
_unknown_safety: Any = None


def _load_uuid() -> None:
    """Import ``uuid`` (and install its adapter: the application can now send UUIDs back)."""
    global _uuid_class, _set_uuid_int, _set_uuid_safety, _unknown_safety  # noqa: PLW0603
    import uuid

    slots = vars(uuid.UUID)
    _set_uuid_int = slots["int"].__set__
    _set_uuid_safety = slots["is_safe"].__set__
    _unknown_safety = uuid.SafeUUID.unknown
    _uuid_class = uuid.UUID
    install_adapters()


def _uuid_caster(value: str | None, cursor: Any) -> Any:
    """A `uuid.UUID` from the server's canonical text, its two slots set directly: a third of
    the cost of ``uuid.UUID(text)``, which first normalises any accepted spelling."""
    if value is None:
        return None
    if _uuid_class is None:
        _load_uuid()
    result = _new_object(_uuid_class)
    _set_uuid_int(result, int(value.replace("-", ""), 16))
    _set_uuid_safety(result, _unknown_safety)
    return result


def _inet_caster(value: str | None, cursor: Any) -> Any:
    """Always an interface, a host being a /32 or /128 (as purepg)."""
    if value is None:
        return None
    import ipaddress

    return ipaddress.ip_interface(value)


def _cidr_caster(value: str | None, cursor: Any) -> Any:
    if value is None:
        return None
    import ipaddress

    return ipaddress.ip_network(value)


def _text_caster(value: str | None, cursor: Any) -> Any:
    """The value's text as is (psycopg2 has no caster for money[]: it returned the literal)."""
    return value


def _range_caster(original: Caster) -> Caster:
    def cast(value: str | None, cursor: Any) -> Any:
        from .psycopg2_values import to_range

        return to_range(original(value, cursor))

    return cast


def _multirange_caster(original: Caster) -> Caster:
    def cast(value: str | None, cursor: Any) -> Any:
        if value is None:
            return None
        from .psycopg2_values import split_multirange, to_range

        return [to_range(original(piece, cursor)) for piece in split_multirange(value)]

    return cast


def _adapt_dict(value: dict[Any, Any]) -> Any:
    """``dict`` -> jsonb (`psycopg2_values.adapt_dict`, imported by the first dict sent)."""
    from .psycopg2_values import adapt_dict

    return adapt_dict(value)


def _hstore_caster(value: Any, cursor: Any) -> Any:
    import psycopg2.extras  # only when an hstore value shows up: psycopg2.extras is heavy

    return psycopg2.extras.HstoreAdapter.parse(value, cursor)  # type: ignore[no-untyped-call]


def _scalar_and_array(oid: int, array_oid: int, name: str, function: Caster) -> list[Any]:
    scalar = ext.new_type((oid,), name, function)
    return [scalar, ext.new_array_type((array_oid,), name + "ARRAY", scalar)]


def _build_casters() -> list[Any]:
    casters = [
        *_scalar_and_array(BYTEA, BYTEA_ARRAY, "PGFACADE_BYTEA", _bytea_caster),
        *_scalar_and_array(UUID, UUID_ARRAY, "PGFACADE_UUID", _uuid_caster),
        *_scalar_and_array(INET, INET_ARRAY, "PGFACADE_INET", _inet_caster),
        *_scalar_and_array(CIDR, CIDR_ARRAY, "PGFACADE_CIDR", _cidr_caster),
        *_scalar_and_array(INTERVAL, INTERVAL_ARRAY, "PGFACADE_INTERVAL", _interval_caster),
        *_scalar_and_array(MONEY, MONEY_ARRAY, "PGFACADE_MONEY", _text_caster),
    ]
    for oid, (array_oid, multi_oid, multi_array_oid) in RANGES.items():
        original = ext.string_types[oid]
        casters += _scalar_and_array(
            oid, array_oid, f"PGFACADE_RANGE_{oid}", _range_caster(original)
        )
        casters += _scalar_and_array(
            multi_oid, multi_array_oid, f"PGFACADE_MULTIRANGE_{oid}", _multirange_caster(original)
        )
    return casters


_CASTERS = _build_casters()

# (host, port, dbname) -> the hstore typecasters of that database (none: no extension).
_hstore_casters: dict[tuple[str, int, str], list[Any]] = {}


def _database_of(connection: Any) -> tuple[str, int, str]:
    info = connection.info
    return (info.host, info.port, info.dbname)


def register_on(connection: Any) -> bool:
    """Register the facade's typecasters on one psycopg2 connection, hstore's too when this
    database's are known already. False when they are not: see `late_casts`."""
    for caster in _CASTERS:
        ext.register_type(caster, connection)
    hstore = _hstore_casters.get(_database_of(connection))
    if hstore is None:
        return False
    for caster in hstore:
        ext.register_type(caster, connection)
    return True


def settle_hstore(connection: Any) -> list[Any]:
    """Look hstore up in this connection's database (one query, once per database in the
    process) and register its typecasters on the connection; returns them (none: no hstore).

    Runs in the caller's transaction, or in autocommit when none is open: a read of pg_type,
    no state left. An extension created (or re-created) later is seen by a new process (a new
    Lambda execution environment).
    """
    key = _database_of(connection)
    casters = _hstore_casters.get(key)
    if casters is None:
        rows = _query_hstore_oids(connection)
        casters = []
        for oid, array_oid in rows:
            casters += _scalar_and_array(oid, array_oid, "PGFACADE_HSTORE", _hstore_caster)
        _hstore_casters[key] = casters
    for caster in casters:
        ext.register_type(caster, connection)
    return casters


def _query_hstore_oids(connection: Any) -> list[tuple[int, int]]:
    idle = connection.info.transaction_status == ext.TRANSACTION_STATUS_IDLE
    autocommit = connection.autocommit
    if idle and not autocommit:
        connection.autocommit = True  # no transaction left open by the facade's own query
    try:
        from purepg.codecs.registry import HSTORE_QUERY  # with purepg: once per database

        with ext.cursor(connection) as cursor:  # psycopg2's own: not the facade's wrappers
            cursor.execute(HSTORE_QUERY)
            rows: list[tuple[int, int]] = cursor.fetchall()
    finally:
        if idle and not autocommit:
            connection.autocommit = False
    return rows


def late_casts(cursor: Any) -> list[tuple[int, Any]] | None:
    """Settle hstore (`settle_hstore`) for a result with a column of a type that is not built
    in; the (column index, typecaster) pairs still to apply to this result's rows (psycopg2
    chose its typecasters before the lookup), None when there is nothing to apply."""
    description = cursor.description
    by_oid = {oid: caster for caster in settle_hstore(cursor.connection) for oid in caster.values}
    casts = [
        (index, by_oid[column.type_code])
        for index, column in enumerate(description)
        if column.type_code in by_oid
    ]
    return casts or None


def recast(row: tuple[Any, ...], casts: list[tuple[int, Any]], cursor: Any) -> tuple[Any, ...]:
    """``row`` with `late_casts` applied (the values are psycopg2's text for unknown types)."""
    values = list(row)
    for index, caster in casts:
        values[index] = caster(values[index], cursor)
    return tuple(values)


# Modules whose classes get adapters once imported (until then no value of them can exist).
_PENDING_ADAPTERS = ["builtins", "uuid", "ipaddress", "purepg.types"]
MODULES_SEEN = [-1]
"""``len(sys.modules)`` at the last `install_adapters`: the cursor calls it again only when
something was imported since (one ``len`` per execute instead of a function call)."""


def install_adapters() -> None:
    """Install the Python -> SQL adapters (process-wide in psycopg2) whose classes exist: dict
    at once, those of ``uuid``, ``ipaddress``, ``purepg.types`` once they are imported (by
    the application, or by the facade for a value it returned)."""
    modules = sys.modules
    MODULES_SEEN[0] = len(modules)
    for name in [name for name in _PENDING_ADAPTERS if name in modules]:
        if name == "builtins":  # dict, at connect: the adapters module waits for a value
            ext.register_adapter(dict, _adapt_dict)
        else:
            from .psycopg2_values import adapters_for

            for klass, adapter in adapters_for(name, modules[name]):
                ext.register_adapter(klass, adapter)
        if name in _PENDING_ADAPTERS:  # else another thread did it too: harmless
            _PENDING_ADAPTERS.remove(name)
