"""What SQLAlchemy's own suites expect of a PostgreSQL dialect (issue 17), on ours."""

from __future__ import annotations

import pytest

sa = pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed in this environment")

import purepg  # noqa: E402
from sqlalchemy.dialects import postgresql as pg  # noqa: E402


def test_load_provisioning_registers_the_postgresql_test_hooks(dialect_name):
    from sqlalchemy.testing import provision

    dialect_class = sa.make_url(f"postgresql+{dialect_name}://").get_dialect()

    dialect_class.load_provisioning()

    assert "postgresql" in provision.temp_table_keyword_args.fns


@pytest.mark.parametrize(
    "type_",
    [
        sa.Date(),
        sa.DateTime(),
        sa.DateTime(timezone=True),
        sa.Time(),
        sa.Interval(),
        sa.Integer(),
        sa.SmallInteger(),
        sa.BigInteger(),
        sa.Numeric(),
        sa.Float(),
        sa.Boolean(),
    ],
    ids=repr,
)
def test_a_null_bind_is_typed_where_the_server_cannot_infer_it(engine, type_):
    query = sa.select(sa.bindparam("x", type_=type_).is_(None))

    with engine.connect() as conn:
        assert conn.execute(query, {"x": None}).scalar() is True


@pytest.mark.parametrize("level", ["SERIALIZABLE", "REPEATABLE READ", "READ UNCOMMITTED"])
def test_the_connections_isolation_level_is_reported_outside_a_transaction(engine_factory, level):
    engine = engine_factory(isolation_level=level)

    with engine.connect() as conn:
        dbapi_connection = conn.connection.dbapi_connection
        conn.commit()
        reported = engine.dialect.get_isolation_level(dbapi_connection)
        idle = engine.dialect.is_idle(dbapi_connection)

    assert (reported, idle) == (level, True)


@pytest.fixture
def citext(pg_cluster):
    """The citext extension in the test database."""
    admin = purepg.connect(**pg_cluster.admin_params())
    admin.autocommit = True
    try:
        admin.cursor().execute("CREATE EXTENSION IF NOT EXISTS citext")
    finally:
        admin.close()


def test_citext_columns_compare_case_insensitively(engine, metadata, citext):
    names = sa.Table("sa_citext", metadata, sa.Column("name", pg.CITEXT))
    metadata.create_all(engine)

    with engine.begin() as conn:
        conn.execute(sa.insert(names).values(name="Alice"))
        found = conn.execute(sa.select(names.c.name).where(names.c.name == "ALICE")).all()

    assert found == [("Alice",)]


@pytest.mark.parametrize("sql", ["ARRAY[1.5, 2.5]::numeric[]", "ARRAY[1, 2]::int8[]"])
def test_numeric_arrays_follow_asdecimal_false(engine, sql):
    column = sa.literal_column(sql, type_=pg.ARRAY(sa.Numeric(asdecimal=False)))

    with engine.connect() as conn:
        values = conn.execute(sa.select(column)).scalar()

    assert [(type(v), v) for v in values] == [(float, float(v)) for v in values]


@pytest.fixture(params=["purepg", "psycopg2"])
def pgfacade_engine(request, pg_cluster):
    """A ``postgresql+pgfacade`` engine over each backend."""
    from tests.sqlalchemy.conftest import SCRAM, url_for

    params = {**pg_cluster.params(SCRAM), "driver": request.param}
    engine = sa.create_engine(url_for("pgfacade", params))
    yield engine
    engine.dispose()


def test_pgfacade_money_arrays_are_lists_of_strings_on_both_backends(pgfacade_engine):
    column = sa.literal_column("ARRAY['2.50'::money, NULL]", type_=pg.ARRAY(pg.MONEY))

    with pgfacade_engine.connect() as conn:
        values = conn.execute(sa.select(column)).scalar()

    assert values == ["$2.50", None]


def test_pgfacade_runs_an_empty_statement_as_nothing_on_both_backends(pgfacade_engine):
    with pgfacade_engine.connect() as conn:
        result = conn.exec_driver_sql("")

        assert result.returns_rows is False
