"""``postgresql+purepg://`` and ``postgresql+pgfacade://`` with SQLAlchemy Core and ORM."""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import uuid
from typing import Any, Optional

import pytest

sa = pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed in this environment")

from sqlalchemy import orm  # noqa: E402
from sqlalchemy.dialects import postgresql as pg  # noqa: E402
from sqlalchemy.dialects.postgresql.ranges import MultiRange  # noqa: E402

from tests.sqlalchemy.conftest import url_for  # noqa: E402

# -- URL and dialect attributes (no server) ---------------------------------------------------


def test_url_becomes_libpq_keywords(dialect_name):
    url = sa.make_url(
        f"postgresql+{dialect_name}://app:s3cret@db.example.com:6432/shop"
        "?sslmode=verify-full&application_name=api"
    )
    dialect = url.get_dialect()()

    args, kwargs = dialect.create_connect_args(url)

    assert args == []
    assert kwargs == {
        "host": "db.example.com",
        "port": "6432",
        "user": "app",
        "password": "s3cret",
        "dbname": "shop",
        "sslmode": "verify-full",
        "application_name": "api",
    }


def test_url_with_several_hosts_becomes_libpq_host_and_port_lists(dialect_name):
    url = sa.make_url(f"postgresql+{dialect_name}://app@/shop?host=a:5432&host=b:5433")

    _, kwargs = url.get_dialect()().create_connect_args(url)

    assert (kwargs["host"], kwargs["port"]) == ("a,b", "5432,5433")


def test_empty_url_leaves_everything_to_the_environment(dialect_name):
    url = sa.make_url(f"postgresql+{dialect_name}://")

    assert url.get_dialect()().create_connect_args(url) == ([], {})


def test_pgfacade_url_options_become_booleans():
    url = sa.make_url("postgresql+pgfacade://app@db/shop?iam_auth=true&pooler_safe=0&driver=purepg")

    _, kwargs = url.get_dialect()().create_connect_args(url)

    assert (kwargs["iam_auth"], kwargs["pooler_safe"], kwargs["driver"]) == (True, False, "purepg")


def test_pgfacade_url_rejects_a_non_boolean_option():
    url = sa.make_url("postgresql+pgfacade://app@db/shop?iam_auth=maybe")

    with pytest.raises(ValueError, match="iam_auth"):
        url.get_dialect()().create_connect_args(url)


# -- against the servers --------------------------------------------------------------------


def test_server_version_is_read_from_the_connection(engine, pg_cluster):
    with engine.connect() as conn:
        shown = conn.exec_driver_sql("SHOW server_version_num").scalar()

    assert engine.dialect.server_version_info[0] == pg_cluster.major
    assert engine.dialect.server_version_info[0] == int(shown) // 10000


def test_core_insert_select_update_delete(engine, metadata):
    items = sa.Table(
        "sa_items",
        metadata,
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("added", sa.DateTime(timezone=True)),
    )
    metadata.create_all(engine)
    added = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc)

    with engine.begin() as conn:
        ids = (
            conn.execute(
                sa.insert(items).returning(items.c.id),
                [
                    {"name": "pen", "price": decimal.Decimal("1.50"), "added": added},
                    {"name": "ink", "price": decimal.Decimal("7.25"), "added": added},
                ],
            )
            .scalars()
            .all()
        )
        conn.execute(sa.update(items).where(items.c.name == "pen").values(price=2))
        conn.execute(sa.delete(items).where(items.c.name == "ink"))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items.c.name, items.c.price, items.c.added)).all()

    assert len(ids) == 2
    assert rows == [("pen", decimal.Decimal("2.00"), added)]


def test_executemany_update_reports_the_total_rowcount(engine, metadata):
    counters = sa.Table("sa_counters", metadata, sa.Column("n", sa.Integer))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(counters), [{"n": 1}, {"n": 1}, {"n": 2}])
        result = conn.execute(
            sa.update(counters).where(counters.c.n == sa.bindparam("old")).values(n=0),
            [{"old": 1}, {"old": 2}],
        )

    assert result.rowcount == 3


def test_rolled_back_transaction_leaves_nothing(engine, metadata):
    notes = sa.Table("sa_notes", metadata, sa.Column("text", sa.Text))
    metadata.create_all(engine)

    with engine.connect() as conn:
        conn.execute(sa.insert(notes).values(text="draft"))
        conn.rollback()
        count = conn.execute(sa.select(sa.func.count()).select_from(notes)).scalar()

    assert count == 0


def test_numeric_and_float_follow_asdecimal(engine):
    query = sa.select(
        sa.cast(sa.literal(1.5), sa.Numeric(asdecimal=False)),
        sa.cast(sa.literal(2.25), sa.Float(asdecimal=True)),
    )
    with engine.connect() as conn:
        as_float, as_decimal = conn.execute(query).one()

    assert (type(as_float), as_float) == (float, 1.5)
    assert (type(as_decimal), as_decimal) == (decimal.Decimal, decimal.Decimal("2.25"))


def test_json_and_jsonb_round_trip_as_python_values(engine, metadata):
    docs = sa.Table(
        "sa_docs",
        metadata,
        sa.Column("plain", sa.JSON),
        sa.Column("binary", pg.JSONB),
    )
    metadata.create_all(engine)
    value = {"name": "pen", "tags": ["a", "b"], "price": 1.5, "none": None}

    with engine.begin() as conn:
        conn.execute(sa.insert(docs).values(plain=value, binary=value))
        row = conn.execute(sa.select(docs.c.plain, docs.c.binary)).one()
        name = conn.execute(sa.select(docs.c.binary["name"].astext)).scalar()

    assert row == (value, value)
    assert name == "pen"


def test_json_deserializer_is_used_for_results(engine_factory):
    engine = engine_factory(json_deserializer=lambda text: ("parsed", text))

    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.cast(sa.literal('{"a": 1}'), pg.JSONB))).scalar()

    assert value == ("parsed", '{"a": 1}')


def test_uuid_round_trips_as_uuid_or_str(engine, metadata):
    tokens = sa.Table(
        "sa_tokens",
        metadata,
        sa.Column("native", sa.Uuid),
        sa.Column("text", sa.Uuid(as_uuid=False)),
    )
    metadata.create_all(engine)
    value = uuid.uuid4()

    with engine.begin() as conn:
        conn.execute(sa.insert(tokens).values(native=value, text=str(value)))
        row = conn.execute(sa.select(tokens.c.native, tokens.c.text)).one()

    assert row == (value, str(value))


def test_arrays_round_trip_as_lists(engine, metadata):
    arrays = sa.Table(
        "sa_arrays",
        metadata,
        sa.Column("numbers", pg.ARRAY(sa.Integer)),
        sa.Column("words", pg.ARRAY(sa.String)),
        sa.Column("grid", pg.ARRAY(sa.Integer, dimensions=2)),
    )
    metadata.create_all(engine)

    with engine.begin() as conn:
        conn.execute(
            sa.insert(arrays).values(
                numbers=[1, None, 3], words=["a", 'b "c"'], grid=[[1, 2], [3, 4]]
            )
        )
        row = conn.execute(sa.select(arrays)).one()
        found = conn.execute(
            sa.select(arrays.c.words).where(sa.literal(3) == sa.any_(arrays.c.numbers))
        ).scalar()

    assert row == ([1, None, 3], ["a", 'b "c"'], [[1, 2], [3, 4]])
    assert found == ["a", 'b "c"']


def test_ranges_round_trip_as_sqlalchemy_ranges(engine, metadata):
    spans = sa.Table(
        "sa_spans",
        metadata,
        sa.Column("seats", pg.INT4RANGE),
        sa.Column("booked", pg.TSTZRANGE),
        sa.Column("nothing", pg.INT8RANGE),
    )
    metadata.create_all(engine)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    booked = pg.Range(start, start + datetime.timedelta(hours=2))

    with engine.begin() as conn:
        conn.execute(
            sa.insert(spans).values(
                seats=pg.Range(1, 10, bounds="[]"), booked=booked, nothing=pg.Range(empty=True)
            )
        )
        row = conn.execute(sa.select(spans)).one()
        hit = conn.execute(sa.select(sa.func.count()).where(spans.c.seats.contains(10))).scalar()

    assert row == (pg.Range(1, 11, bounds="[)"), booked, pg.Range(empty=True))
    assert hit == 1


def test_multiranges_round_trip_as_sqlalchemy_multiranges(engine, metadata, pg_cluster):
    if pg_cluster.major < 14:
        pytest.skip("multiranges need PostgreSQL 14")
    spans = sa.Table("sa_multi", metadata, sa.Column("free", pg.INT4MULTIRANGE))
    metadata.create_all(engine)
    value = MultiRange([pg.Range(1, 3), pg.Range(5, 8)])

    with engine.begin() as conn:
        conn.execute(sa.insert(spans).values(free=value))
        stored = conn.execute(sa.select(spans.c.free)).scalar()

    assert stored == value
    assert isinstance(stored, MultiRange)


def test_hstore_round_trips_as_dict(engine, metadata):
    attrs = sa.Table("sa_attrs", metadata, sa.Column("attrs", pg.HSTORE))
    metadata.create_all(engine)
    value = {"colour": "red", "size": None, 'quote"d': "a\\b"}

    with engine.begin() as conn:
        conn.execute(sa.insert(attrs).values(attrs=value))
        stored = conn.execute(sa.select(attrs.c.attrs)).scalar()

    assert stored == value


def test_inet_is_a_string_by_default_as_in_sqlalchemys_other_dialects(engine):
    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.cast(sa.literal("10.1.2.3/8"), pg.INET))).scalar()

    assert value == "10.1.2.3/8"


def test_inet_and_cidr_are_ipaddress_objects_with_native_inet_types(engine_factory):
    engine = engine_factory(native_inet_types=True)
    query = sa.select(
        sa.cast(sa.literal("10.1.2.3"), pg.INET),
        sa.cast(sa.literal("10.1.2.3/8"), pg.INET),
        sa.cast(sa.literal("10.0.0.0/8"), pg.CIDR),
    )

    with engine.connect() as conn:
        host, interface, network = conn.execute(query).one()

    assert host == ipaddress.ip_address("10.1.2.3")
    assert interface == ipaddress.ip_interface("10.1.2.3/8")
    assert network == ipaddress.ip_network("10.0.0.0/8")


def test_inet_is_a_string_with_native_inet_types_false(engine_factory):
    engine = engine_factory(native_inet_types=False)

    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.cast(sa.literal("10.1.2.3/8"), pg.INET))).scalar()

    assert value == "10.1.2.3/8"


@pytest.mark.parametrize("level", ["SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED"])
def test_isolation_level_applies_to_the_transaction(engine, level):
    with engine.connect().execution_options(isolation_level=level) as conn:
        shown = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
        reported = conn.get_isolation_level()

    assert shown.upper() == level
    assert reported == level


def test_autocommit_isolation_level_commits_each_statement(engine, metadata):
    log = sa.Table("sa_log", metadata, sa.Column("n", sa.Integer))
    metadata.create_all(engine)

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as writer:
        writer.execute(sa.insert(log).values(n=1))
        with engine.connect() as reader:  # sees the row while the writer is still open
            count = reader.execute(sa.select(sa.func.count()).select_from(log)).scalar()

    assert count == 1


def test_default_isolation_level_is_detected_without_leaving_a_transaction(engine):
    with engine.connect() as conn:
        status = conn.connection.dbapi_connection.autocommit, engine.dialect.default_isolation_level

    assert status == (False, "READ COMMITTED")


def test_readonly_execution_option_makes_writes_fail(engine, metadata):
    log = sa.Table("sa_ro", metadata, sa.Column("n", sa.Integer))
    metadata.create_all(engine)

    readonly = engine.connect().execution_options(postgresql_readonly=True)
    with readonly as conn, pytest.raises(sa.exc.DBAPIError) as caught:
        conn.execute(sa.insert(log).values(n=1))

    assert getattr(caught.value.orig, "sqlstate", None) == "25006"


def test_stream_results_fetches_through_a_server_side_cursor(engine):
    query = sa.text("SELECT n FROM generate_series(1, 5000) AS n")

    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=100).execute(query)
        cursor_name = result.cursor.name
        total = sum(n for (n,) in result)

    assert cursor_name.startswith("sqlalchemy_cursor_")
    assert total == 5000 * 5001 // 2


def test_reflection_reads_columns_keys_and_indexes(engine, metadata):
    parents = sa.Table("sa_parents", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table(
        "sa_children",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.ForeignKey(parents.c.id), nullable=False),
        sa.Column("name", sa.String(40), index=True),
        sa.Column("data", pg.JSONB),
        sa.Column("token", sa.Uuid),
        sa.Column("tags", pg.ARRAY(sa.Text)),
    )
    metadata.create_all(engine)

    reflected = sa.Table("sa_children", sa.MetaData(), autoload_with=engine)
    inspector = sa.inspect(engine)

    types = {column.name: type(column.type) for column in reflected.columns}
    assert types == {
        "id": sa.INTEGER,
        "parent_id": sa.BIGINT,
        "name": sa.VARCHAR,
        "data": pg.JSONB,
        "token": sa.UUID,
        "tags": pg.ARRAY,
    }
    assert reflected.c.name.type.length == 40
    assert [column.name for column in reflected.primary_key] == ["id"]
    assert [fk.target_fullname for fk in reflected.c.parent_id.foreign_keys] == ["sa_parents.id"]
    assert [index["column_names"] for index in inspector.get_indexes("sa_children")] == [["name"]]


class Base(orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "sa_authors"

    id: orm.Mapped[uuid.UUID] = orm.mapped_column(primary_key=True, default=uuid.uuid4)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    profile: orm.Mapped[Optional[dict[str, Any]]] = orm.mapped_column(pg.JSONB)  # noqa: UP045 - evaluated at runtime, also on 3.9
    books: orm.Mapped[list[Book]] = orm.relationship(back_populates="author", order_by="Book.id")


class Book(Base):
    __tablename__ = "sa_books"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    title: orm.Mapped[str]
    author_id: orm.Mapped[uuid.UUID] = orm.mapped_column(sa.ForeignKey("sa_authors.id"))
    author: orm.Mapped[Author] = orm.relationship(back_populates="books")


@pytest.fixture
def orm_tables(engine):
    Base.metadata.create_all(engine)
    yield
    Base.metadata.drop_all(engine)


def test_orm_round_trip(engine, orm_tables):
    with orm.Session(engine) as session, session.begin():
        author = Author(name="Ada", profile={"born": 1815})
        author.books = [Book(title="Notes"), Book(title="Letters")]
        session.add(author)
    with orm.Session(engine) as session:
        loaded = session.scalars(sa.select(Author).options(orm.selectinload(Author.books))).one()
        loaded.books[0].title = "Notes, revised"
        session.delete(loaded.books[1])
        session.commit()
        titles = session.scalars(sa.select(Book.title)).all()
        author_id, profile = loaded.id, loaded.profile

    assert isinstance(author_id, uuid.UUID)
    assert profile == {"born": 1815}
    assert titles == ["Notes, revised"]


def test_pool_pre_ping_replaces_a_terminated_connection(engine_factory, pg_cluster):
    import purepg

    engine = engine_factory(pool_pre_ping=True, pool_size=1)
    with engine.connect() as conn:
        first_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = purepg.connect(**pg_cluster.admin_params())
    admin.autocommit = True
    try:
        admin.cursor().execute("SELECT pg_terminate_backend(%s)", (first_pid,))
    finally:
        admin.close()

    with engine.connect() as conn:
        second_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    assert second_pid != first_pid


def test_statement_on_a_terminated_connection_is_a_disconnect(engine, pg_cluster):
    import purepg

    with engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        conn.commit()
        admin = purepg.connect(**pg_cluster.admin_params())
        admin.autocommit = True
        try:
            admin.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
        finally:
            admin.close()
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.exec_driver_sql("SELECT 1")

    assert caught.value.connection_invalidated


def test_url_helper_round_trips_the_cluster_params(pg_cluster, dialect_name):
    params = pg_cluster.params("scram-sha-256")
    url = url_for(dialect_name, params)

    _, kwargs = url.get_dialect()().create_connect_args(url)

    assert kwargs == params
