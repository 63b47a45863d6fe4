"""An Alembic migration while another connection holds prepared statements for its tables."""

from __future__ import annotations

import decimal

import pytest

sa = pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed in this environment")
alembic = pytest.importorskip("alembic", reason="Alembic is not installed in this environment")

from alembic.migration import MigrationContext  # noqa: E402
from alembic.operations import Operations  # noqa: E402

ORDERS, STATUS, SHIPMENTS = "mig_orders", "mig_status", "mig_shipments"
PREPARE_THRESHOLD = 5  # purepg's default: a query runs this often before it is prepared


@pytest.fixture
def schema(engine):
    """``mig_orders (id, qty int, status mig_status('new', 'paid'))`` with one row."""
    drop = [f"DROP TABLE IF EXISTS {ORDERS}, {SHIPMENTS}", f"DROP TYPE IF EXISTS {STATUS}"]
    with engine.begin() as conn:
        for sql in drop:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql(f"CREATE TYPE {STATUS} AS ENUM ('new', 'paid')")
        conn.exec_driver_sql(f"CREATE TABLE {ORDERS} (id int, qty int, status {STATUS})")
        conn.exec_driver_sql(f"INSERT INTO {ORDERS} VALUES (1, 3, 'paid')")
    yield
    with engine.begin() as conn:
        for sql in drop:
            conn.exec_driver_sql(sql)


def migrate(connection):
    """Create a table, change a column's type, add an enum value (by recreating the type, the
    way that works inside a migration's transaction on every PostgreSQL)."""
    op = Operations(MigrationContext.configure(connection))
    op.create_table(SHIPMENTS, sa.Column("order_id", sa.Integer), sa.Column("at", sa.DateTime))
    op.alter_column(ORDERS, "qty", type_=sa.Numeric(10, 2), postgresql_using="qty::numeric")
    op.execute(f"ALTER TYPE {STATUS} RENAME TO {STATUS}_old")
    sa.Enum("new", "paid", "shipped", name=STATUS).create(connection)
    op.alter_column(
        ORDERS,
        "status",
        type_=sa.Enum(name=STATUS, create_type=False),
        postgresql_using=f"status::text::{STATUS}",
    )
    op.execute(f"DROP TYPE {STATUS}_old")


QTY = sa.text(f"SELECT qty FROM {ORDERS} WHERE id = :id")
BY_STATUS = sa.text(f"SELECT count(*) FROM {ORDERS} WHERE status = :status")


def test_queries_prepared_before_a_migration_work_after_it(engine, schema, dialect_name):
    with engine.connect() as reader:
        for _ in range(PREPARE_THRESHOLD):
            reader.execute(QTY, {"id": 1}).scalar()
            reader.execute(BY_STATUS, {"status": "paid"}).scalar()
            reader.commit()
        prepared = getattr(reader.connection.dbapi_connection, "prepared_statements", None)
        assert prepared != 0, "the reader's queries are not prepared: the test proves nothing"

        with engine.begin() as migration:
            migrate(migration)

        with reader.begin():
            qty = reader.execute(QTY, {"id": 1}).scalar()
            paid = reader.execute(BY_STATUS, {"status": "paid"}).scalar()
            shipped = reader.execute(BY_STATUS, {"status": "shipped"}).scalar()

    assert (qty, paid, shipped) == (decimal.Decimal("3.00"), 1, 0)
