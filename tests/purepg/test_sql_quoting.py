"""`purepg.sql.quote_literal` / `quote_identifier`, the one quoting helper for statements that
take no parameters: the server reads back exactly the value, with ``standard_conforming_strings``
on or off, and a NUL is refused with an error that says so."""

from __future__ import annotations

import purepg
import pytest
from purepg.sql import quote_identifier, quote_literal

HARD_TEXTS = [
    "plain",
    "it's",
    "back\\slash",
    "\\'; SELECT 1; --",
    "trailing backslash \\",
    "E'\\x41'",
    "$$ dollar $$",
    "ünïcødé ☃ 😀",
    "",
]


@pytest.fixture(params=["on", "off"], ids=lambda value: f"standard_conforming_strings={value}")
def scs_conn(request, pg_cluster):
    options = f"-c standard_conforming_strings={request.param}"
    connection = purepg.connect(**pg_cluster.params("scram-sha-256"), options=options)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


@pytest.mark.parametrize("text", HARD_TEXTS)
def test_a_quoted_literal_reads_back_as_the_same_text(scs_conn, text):
    with scs_conn.cursor() as cur:
        cur.execute(f"SELECT {quote_literal(text)}")
        assert cur.fetchone() == (text,)


@pytest.mark.parametrize("name", ['col "x"', "back\\slash'", "ünï ☃", "select"])
def test_a_quoted_identifier_names_exactly_that_column(scs_conn, name):
    with scs_conn.cursor() as cur:
        cur.execute(f"SELECT 1 AS {quote_identifier(name)}")
        assert cur.description[0].name == name


@pytest.mark.parametrize("quote", [quote_literal, quote_identifier])
def test_a_nul_character_is_refused_naming_the_value(quote):
    with pytest.raises(purepg.ProgrammingError, match="the type name contains a NUL character"):
        quote("a\0b", "the type name")


def test_a_type_name_with_backslash_and_quote_registers_that_composite(scs_conn):
    name = "we\\'ird ☃"
    with scs_conn.cursor() as cur:
        cur.execute(f"CREATE TYPE pg_temp.{quote_identifier(name)} AS (a int)")
    cls = scs_conn.register_composite(f"pg_temp.{quote_identifier(name)}")
    assert cls._fields == ("a",)


def test_copy_to_with_a_null_marker_of_backslash_and_quote_writes_that_marker(scs_conn):
    import io

    with scs_conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE copy_null_marker (a text, b text)")
        cur.execute("INSERT INTO copy_null_marker VALUES ('x', NULL)")
        out = io.StringIO()
        cur.copy_to(out, "copy_null_marker", null="N\\\\'")
    assert out.getvalue() == "x\tN\\\\'\n"
