"""COPY FROM STDIN and COPY TO STDOUT, through ``Driver.copy_expert``."""

from __future__ import annotations

import io

import pytest


@pytest.fixture
def cur(conn):
    with conn.cursor() as cursor:
        yield cursor


@pytest.fixture
def copy_table(cur):
    cur.execute("CREATE TEMPORARY TABLE copied (n int4, label text)")
    return "copied"


def test_copy_from_stdin_loads_every_row(driver, cur, copy_table):
    data = io.StringIO("1\tone\n2\tgrüße 🐘\n3\t\\N\n4\ttab\\there\n")
    driver.copy_expert(cur, "COPY copied (n, label) FROM STDIN", data)
    cur.execute("SELECT n, label FROM copied ORDER BY n")
    assert cur.fetchall() == [(1, "one"), (2, "grüße 🐘"), (3, None), (4, "tab\there")]


def test_copy_from_stdin_in_csv_format(driver, cur, copy_table):
    data = io.StringIO('1,"a, ""quoted"" value"\n2,\n')
    driver.copy_expert(cur, "COPY copied (n, label) FROM STDIN WITH (FORMAT csv)", data)
    cur.execute("SELECT n, label FROM copied ORDER BY n")
    assert cur.fetchall() == [(1, 'a, "quoted" value'), (2, None)]


def test_copy_from_stdin_with_bad_data_raises_data_error(driver, cur, copy_table):
    data = io.StringIO("not a number\tx\n")
    with pytest.raises(driver.module.DataError):
        driver.copy_expert(cur, "COPY copied (n, label) FROM STDIN", data)


def test_copy_to_stdout_writes_every_row(driver, cur, copy_table):
    cur.execute("INSERT INTO copied VALUES (1, 'one'), (2, 'grüße'), (3, NULL)")
    out = io.StringIO()
    driver.copy_expert(cur, "COPY (SELECT * FROM copied ORDER BY n) TO STDOUT", out)
    assert out.getvalue() == "1\tone\n2\tgrüße\n3\t\\N\n"


def test_copy_to_stdout_in_csv_format_with_header(driver, cur):
    out = io.StringIO()
    sql = "COPY (SELECT 1 AS n, 'a,b' AS label) TO STDOUT WITH (FORMAT csv, HEADER)"
    driver.copy_expert(cur, sql, out)
    assert out.getvalue() == 'n,label\n1,"a,b"\n'


def test_connection_is_usable_after_copy(driver, cur, copy_table):
    driver.copy_expert(cur, "COPY copied FROM STDIN", io.StringIO("7\tseven\n"))
    cur.execute("SELECT count(*) FROM copied")
    assert cur.fetchone() == (1,)
