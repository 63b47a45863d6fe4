"""Types whose OIDs differ per database: extension types found when a result first shows
one (hstore), composite types registered by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from purepg.core.requests import execute_simple, rows_of

if TYPE_CHECKING:
    from purepg.core.operation import Operation
    from purepg.core.session import Session


def discover_types(session: Session, oids: Iterable[int]) -> Operation[None]:
    """Register the extension types (hstore) the first time a result has an unknown type.

    Their OIDs differ per database, so they are looked up (one query per connection) only
    when a column of a type the registry does not know shows up.
    """
    if session._types_discovered:
        return
    registry = session.registry
    if all(registry.type_name(oid) for oid in oids):
        return
    session._types_discovered = True
    from purepg.codecs.registry import HSTORE_QUERY

    exchange = yield from execute_simple(session, HSTORE_QUERY)
    for oid, array_oid in rows_of(session, exchange, [int, int]):
        registry.register_hstore(oid, array_oid)


def register_composite(
    session: Session, name: str, python_type: type | None = None
) -> Operation[type]:
    """Decode the composite type ``name`` (schema-qualified or found through search_path) and
    arrays of it to ``python_type`` (default: a new namedtuple of its attributes), and encode
    ``python_type`` values as that type; on this connection only. Returns the class.

    The type is looked up once, now (inside the current transaction, if one is open).
    """
    from purepg.codecs import composite

    exchange = yield from execute_simple(session, composite.lookup_query(name))
    rows = rows_of(session, exchange, composite.LOOKUP_DECODERS)
    return composite.register_from_rows(session.registry, name, rows, python_type)
