"""Two-phase transactions through the dialects: the xid stays one value even when the session
turned ``standard_conforming_strings`` off after the engine read it (SQLAlchemy's own
PostgreSQL dialect quotes the xid by what the first connection said)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

sa = pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed in this environment")


def _forget_prepared(engine: Any, prefix: str) -> None:
    """Roll back what a failed test left prepared (nothing when the xid was quoted right)."""
    raw = engine.raw_connection()
    try:
        driver_connection = raw.driver_connection
        driver_connection.autocommit = True
        for xid in driver_connection.tpc_recover():
            if str(xid).startswith(prefix):
                driver_connection.tpc_rollback(xid)
    finally:
        raw.close()


@pytest.mark.parametrize("finish", ["commit", "rollback"])
def test_a_twophase_xid_with_backslash_and_quote_runs_nothing_else(engine, metadata, finish):
    canary = sa.Table("twophase_canary", metadata, sa.Column("v", sa.Text))
    metadata.create_all(engine)
    prefix = f"sa-{uuid.uuid4().hex}"
    xid = f"{prefix}\\'; INSERT INTO twophase_canary VALUES ($c$injected$c$); --"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET standard_conforming_strings = off")
            conn.commit()
            transaction = conn.begin_twophase(xid)
            conn.execute(canary.insert().values(v="real"))
            transaction.prepare()
            getattr(transaction, finish)()
    finally:
        _forget_prepared(engine, prefix)
    with engine.connect() as conn:
        values = sorted(conn.scalars(sa.select(canary.c.v)))
    assert values == (["real"] if finish == "commit" else [])
