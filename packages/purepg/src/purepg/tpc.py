"""Two-phase commit transaction ids (the DB-API tpc extension's ``xid`` objects).

An XA triple ``(format_id, gtrid, bqual)`` is stored on the server as the transaction's GID
``"<format_id>_<base64 gtrid>_<base64 bqual>"``, the encoding psycopg2 uses, so transactions
prepared by either driver are recognised by the other. A GID in any other form (prepared by
``PREPARE TRANSACTION`` directly) becomes an Xid with ``format_id`` None and ``gtrid`` = GID.
"""

from __future__ import annotations

import base64
import binascii
from typing import NamedTuple

from purepg.errors import ProgrammingError

MAX_PART_LENGTH = 64


class _Triple(NamedTuple):
    format_id: int | None
    gtrid: str
    bqual: str | None = None


class Xid(_Triple):
    """A two-phase transaction id: the triple ``(format_id, gtrid, bqual)`` as the DB-API tpc
    extension and psycopg2 define it (``len(xid) == 3``, ``xid[0]`` is ``format_id``).

    ``prepared``/``owner``/``database`` are attributes, set on the xids ``tpc_recover()``
    returns (None otherwise).
    """

    prepared: str | None = None
    owner: str | None = None
    database: str | None = None

    def recovered(self, prepared: str | None, owner: str | None, database: str | None) -> Xid:
        """This xid with what ``pg_prepared_xacts`` says of it."""
        found = Xid(*self)
        found.prepared, found.owner, found.database = prepared, owner, database
        return found

    @property
    def gid(self) -> str:
        """The transaction's name on the server."""
        if self.format_id is None:
            return self.gtrid
        return "_".join((str(self.format_id), _b64(self.gtrid), _b64(self.bqual or "")))

    @classmethod
    def from_string(cls, gid: str) -> Xid:
        """The Xid a GID stands for: an XA triple when encoded as purepg/psycopg2 do."""
        if not isinstance(gid, str):
            raise ProgrammingError(
                f"a transaction id must be an Xid (conn.xid()) or a string, not "
                f"{type(gid).__name__}"
            )
        if "\0" in gid:
            raise ProgrammingError("a transaction id cannot contain a NUL character")
        parts = gid.split("_")
        if len(parts) == 3 and parts[0].lstrip("-").isdigit():
            try:
                gtrid = base64.b64decode(parts[1], validate=True).decode("utf-8")
                bqual = base64.b64decode(parts[2], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return cls(None, gid)
            return cls(int(parts[0]), gtrid, bqual)
        return cls(None, gid)

    @classmethod
    def checked(cls, format_id: int, gtrid: str, bqual: str) -> Xid:
        """An XA triple, validated: format_id in 0..2**31-1, parts of at most 64 chars."""
        if not isinstance(format_id, int) or not 0 <= format_id < 2**31:
            raise ProgrammingError(f"format_id must be an int in 0..2**31-1, not {format_id!r}")
        for name, value in (("gtrid", gtrid), ("bqual", bqual)):
            if not isinstance(value, str) or len(value) > MAX_PART_LENGTH:
                raise ProgrammingError(
                    f"{name} must be a string of at most {MAX_PART_LENGTH} characters, "
                    f"not {value!r}"
                )
        return cls(format_id, gtrid, bqual)

    def __str__(self) -> str:
        return self.gid


def transaction_command(command: str, gid: str) -> str:
    """``PREPARE TRANSACTION``, ``COMMIT PREPARED`` or ``ROLLBACK PREPARED`` of ``gid``: these
    statements take no parameters, so the GID is quoted (see `purepg.sql.quote_literal`)."""
    from purepg.sql import quote_literal

    return f"{command} {quote_literal(gid, 'the transaction id')}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
