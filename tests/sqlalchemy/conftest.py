"""Fixtures for the SQLAlchemy dialects: an engine per dialect on each selected PostgreSQL.

The dialects are registered here by name; once the packages declare the
``sqlalchemy.dialects`` entry points this registration is redundant and harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

try:
    import sqlalchemy as sa
    from sqlalchemy.dialects import registry
except ImportError:  # the test modules skip themselves with the reason
    sa = None  # type: ignore[assignment]
else:
    registry.register("postgresql.purepg", "purepg.sqlalchemy_dialect", "PGDialect_purepg")
    registry.register("postgresql.pgfacade", "pgfacade.sqlalchemy_dialect", "PGDialect_pgfacade")

DIALECTS = ("purepg", "pgfacade")
SCRAM = "scram-sha-256"


def url_for(dialect: str, params: dict[str, str]) -> Any:
    """A ``postgresql+<dialect>://`` URL carrying libpq keywords (the rest go in the query)."""
    rest = {
        key: value
        for key, value in params.items()
        if key not in ("host", "port", "user", "password", "dbname")
    }
    return sa.URL.create(
        f"postgresql+{dialect}",
        username=params["user"],
        password=params.get("password"),
        host=params["host"],
        port=int(params["port"]),
        database=params["dbname"],
        query=rest,
    )


@pytest.fixture(params=DIALECTS)
def dialect_name(request: pytest.FixtureRequest) -> str:
    """``purepg`` or ``pgfacade``."""
    return str(request.param)


@pytest.fixture
def engine_factory(pg_cluster: Any, dialect_name: str) -> Iterator[Any]:
    """Makes engines of ``dialect_name`` on the cluster's scram-sha-256 role; disposes them."""
    engines: list[Any] = []

    def make(**kwargs: Any) -> Any:
        engine = sa.create_engine(url_for(dialect_name, pg_cluster.params(SCRAM)), **kwargs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def engine(engine_factory: Any) -> Any:
    """A default engine of the dialect under test."""
    return engine_factory()


@pytest.fixture
def metadata(engine: Any) -> Iterator[Any]:
    """A MetaData whose tables are dropped after the test."""
    meta = sa.MetaData()
    yield meta
    meta.drop_all(engine)
