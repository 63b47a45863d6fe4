"""COPY from and to Python objects: files, chunks, rows; failures load nothing."""

from __future__ import annotations

import datetime
import io

import purepg
import pytest
from purepg import errors


@pytest.fixture
def conn(pg_cluster):
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"))
    connection.autocommit = True
    cur = connection.cursor()
    cur.execute("CREATE TEMP TABLE copied (id int, label text, day date, data bytea)")
    yield connection
    connection.close()


def table(conn):
    cur = conn.cursor()
    cur.execute("SELECT * FROM copied ORDER BY id")
    return cur.fetchall()


def test_copy_in_rows_escapes_tabs_newlines_backslashes_and_nulls(conn):
    rows = [
        (1, "tab\there", datetime.date(2024, 1, 2), b"\x00\xff"),
        (2, "line\nbreak\\slash\rcr", None, None),
        (3, None, None, b""),
    ]
    assert conn.cursor().copy_in("COPY copied FROM STDIN", rows) == 3
    assert table(conn) == [
        (1, "tab\there", datetime.date(2024, 1, 2), b"\x00\xff"),
        (2, "line\nbreak\\slash\rcr", None, None),
        (3, None, None, b""),
    ]


def test_copy_in_from_a_binary_file(conn):
    data = io.BytesIO(b"1\ta\t\\N\t\\N\n2\tb\t\\N\t\\N\n")
    conn.cursor().copy_in("COPY copied FROM STDIN", data)
    assert [row[:2] for row in table(conn)] == [(1, "a"), (2, "b")]


def test_copy_in_from_an_iterable_of_str_chunks(conn):
    chunks = (f"{i}\tlabel{i}\t\\N\t\\N\n" for i in range(1000))
    assert conn.cursor().copy_in("COPY copied FROM STDIN", chunks) == 1000


def test_an_exception_in_the_source_aborts_the_copy_and_loads_nothing(conn):
    def rows():
        yield (1, "a", None, None)
        raise RuntimeError("source broke")

    cur = conn.cursor()
    with pytest.raises(RuntimeError, match="source broke"):
        cur.copy_in("COPY copied FROM STDIN", rows())
    assert table(conn) == []


def test_a_bad_row_fails_the_copy_and_leaves_the_connection_usable(conn):
    cur = conn.cursor()
    with pytest.raises(errors.InvalidTextRepresentation):
        cur.copy_in("COPY copied FROM STDIN", [(1, "a", None, None), ("x", "b", None, None)])
    assert table(conn) == []


def test_an_unsupported_item_in_the_source_is_named(conn):
    cur = conn.cursor()
    with pytest.raises(purepg.ProgrammingError, match="int"):
        cur.copy_in("COPY copied FROM STDIN", [42])
    assert table(conn) == []


def test_copy_out_yields_chunks_as_an_iterator(conn):
    cur = conn.cursor()
    cur.copy_in("COPY copied (id, label) FROM STDIN", [(i, f"l{i}") for i in range(3)])
    chunks = list(cur.copy_out("COPY copied (id, label) TO STDOUT"))
    assert b"".join(chunks) == b"0\tl0\n1\tl1\n2\tl2\n"


def test_leaving_copy_out_early_keeps_the_connection_usable(conn):
    cur = conn.cursor()
    chunks = cur.copy_out("COPY (SELECT g FROM generate_series(1, 10000) g) TO STDOUT")
    assert next(chunks) == b"1\n"
    chunks.close()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


def test_copy_out_into_a_file_object(conn):
    buffer = io.BytesIO()
    conn.cursor().copy_expert("COPY (SELECT 1, 'a') TO STDOUT", buffer)
    assert buffer.getvalue() == b"1\ta\n"
