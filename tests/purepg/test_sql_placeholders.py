"""purepg.sql: psycopg2's pyformat placeholders translated to $1..$n server parameters."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from purepg.errors import ProgrammingError
from purepg.sql import ParsedQuery, parse


def test_positional_placeholders_are_numbered_in_order():
    parsed = parse("SELECT %s, %s FROM t WHERE a = %s")
    assert parsed.sql == "SELECT $1, $2 FROM t WHERE a = $3"
    assert parsed.count == 3
    assert parsed.names is None


def test_named_placeholders_are_numbered_by_first_appearance():
    parsed = parse("SELECT %(b)s, %(a)s")
    assert parsed.sql == "SELECT $1, $2"
    assert parsed.names == ("b", "a")


def test_repeated_name_reuses_its_number():
    parsed = parse("SELECT %(a)s, %(b)s, %(a)s")
    assert parsed.sql == "SELECT $1, $2, $1"
    assert parsed.bind({"a": 1, "b": 2}) == [1, 2]


def test_any_characters_but_a_parenthesis_make_a_name():
    assert parse("SELECT %(a b-c)s, %()s").names == ("a b-c", "")


def test_double_percent_is_a_literal_percent():
    assert parse("SELECT 7 %% 3, %s").sql == "SELECT 7 % 3, $1"


def test_query_without_placeholders_is_unchanged():
    parsed = parse("SELECT 1")
    assert (parsed.sql, parsed.count) == ("SELECT 1", 0)


@pytest.mark.parametrize(
    "literal",
    [
        "'100%%'",
        "E'100%%'",
        "e'it\\'s 100%%'",
        '"col%%"',
        "$$100%%$$",
        "$tag$100%%$tag$",
        "U&'100%%'",
    ],
)
def test_double_percent_inside_literals_is_a_percent_like_psycopg2(literal):
    assert parse(f"SELECT {literal}, %s").sql == f"SELECT {literal.replace('%%', '%')}, $1"


def test_double_percent_inside_comments_is_a_percent():
    assert parse("SELECT %s -- 100%%\n").sql == "SELECT $1 -- 100%\n"
    assert parse("SELECT /* 100%% */ %s").sql == "SELECT /* 100% */ $1"


@pytest.mark.parametrize(
    "text",
    ["'50%'", "E'50%d'", '"a%b"', "$$50%$$", "-- 50% off\n", "/* 50% */", "/* /* % */ % */"],
)
def test_lone_percent_inside_literals_and_comments_is_left_alone(text):
    assert parse(f"SELECT {text} %s").sql == f"SELECT {text} $1"


@pytest.mark.parametrize(
    ("query", "context"),
    [
        ("SELECT '%s'", "string literal"),
        ("SELECT 'it''s %s'", "string literal"),
        ("SELECT E'\\'%s'", "string literal"),
        ('SELECT "%s"', "quoted identifier"),
        ("SELECT $$%s$$", "dollar-quoted string"),
        ("SELECT $f$ %(x)s $f$", "dollar-quoted string"),
        ("SELECT 1 -- %s\n", "comment"),
        ("SELECT /* /* */ %s */ 1", "comment"),
    ],
)
def test_placeholder_inside_a_literal_or_comment_is_refused(query, context):
    with pytest.raises(ProgrammingError, match=f"inside a {context}"):
        parse(query)


def test_quote_escapes_do_not_end_string_literals():
    assert parse("SELECT 'it''s', %s").sql == "SELECT 'it''s', $1"
    assert parse("SELECT E'it\\'s', %s").sql == "SELECT E'it\\'s', $1"


def test_backslash_does_not_escape_in_standard_strings():
    assert parse("SELECT 'C:\\', %s").sql == "SELECT 'C:\\', $1"


def test_word_ending_in_e_does_not_start_an_escape_string():
    assert parse("SELECT some'\\', %s").sql == "SELECT some'\\', $1"


def test_nested_block_comments_end_at_the_matching_close():
    assert parse("SELECT /* a /* b */ c */ %s").sql == "SELECT /* a /* b */ c */ $1"


def test_dollar_in_identifiers_is_not_a_dollar_quote():
    assert parse("SELECT a$b$ + %s, c$1").sql == "SELECT a$b$ + $1, c$1"


def test_dollar_number_parameter_with_params_is_refused():
    with pytest.raises(ProgrammingError, match=r"\$1 in a query given parameters"):
        parse("SELECT $1, %s")


def test_mixing_positional_and_named_is_refused():
    with pytest.raises(ProgrammingError, match="can't be mixed"):
        parse("SELECT %s, %(a)s")
    with pytest.raises(ProgrammingError, match="can't be mixed"):
        parse("SELECT %(a)s, %s")


def test_unsupported_format_character_is_named_with_its_position():
    with pytest.raises(ProgrammingError, match=r"unsupported format character 'd'.*position 7"):
        parse("SELECT %d")


def test_modulo_operator_needs_doubling_like_psycopg2():
    with pytest.raises(ProgrammingError, match="unsupported format character ' '"):
        parse("SELECT 7 % 3, %s")


def test_trailing_percent_is_an_incomplete_placeholder():
    with pytest.raises(ProgrammingError, match="incomplete placeholder"):
        parse("SELECT %s %")


def test_unclosed_name_is_an_incomplete_placeholder():
    with pytest.raises(ProgrammingError, match=r"'%\(' without '\)'"):
        parse("SELECT %(a")


def test_named_placeholder_must_end_in_s():
    with pytest.raises(ProgrammingError, match=r"only %\(name\)s"):
        parse("SELECT %(a)d")


def test_parse_is_cached():
    query = "SELECT %s /* cache test */"
    assert parse(query) is parse(query)


def test_very_long_queries_are_parsed_too():
    query = "SELECT " + ", ".join(["%s"] * 10000)
    assert parse(query).count == 10000


# --- binding -----------------------------------------------------------------------------


@pytest.mark.parametrize("params", [(1, "x"), [1, "x"]])
def test_positional_params_are_a_tuple_or_list(params):
    assert list(parse("SELECT %s, %s").bind(params)) == [1, "x"]


def test_a_string_is_not_a_sequence_of_params():
    with pytest.raises(ProgrammingError, match="got str"):
        parse("SELECT %s").bind("a")


@pytest.mark.parametrize("params", [5, iter([1]), {1}, b"a"])
def test_non_sequence_params_are_refused_with_their_type(params):
    with pytest.raises(ProgrammingError, match=f"got {type(params).__name__}"):
        parse("SELECT %s").bind(params)


@pytest.mark.parametrize(
    ("params", "words"), [((1,), "1 parameter was"), ((1, 2, 3), "3 parameters were")]
)
def test_wrong_number_of_positional_params_is_counted(params, words):
    with pytest.raises(ProgrammingError, match=f"the query has 2 placeholders but {words} given"):
        parse("SELECT %s, %s").bind(params)


def test_params_given_to_a_query_without_placeholders_are_refused():
    with pytest.raises(ProgrammingError, match="0 placeholders but 1 parameter was given"):
        parse("SELECT 1").bind((1,))


def test_empty_params_suit_a_query_without_placeholders():
    assert list(parse("SELECT 1").bind(())) == []
    assert parse("SELECT 1").bind({}) == []


def test_named_params_take_any_mapping_and_ignore_extra_keys():
    params = OrderedDict([("b", 2), ("a", 1), ("unused", 3)])
    assert parse("SELECT %(a)s, %(b)s").bind(params) == [1, 2]


def test_missing_names_are_listed():
    with pytest.raises(ProgrammingError, match="missing query parameters: 'b', 'c'"):
        parse("SELECT %(a)s, %(b)s, %(c)s").bind({"a": 1})


def test_named_placeholders_refuse_a_sequence():
    with pytest.raises(ProgrammingError, match="must be a mapping, got tuple"):
        parse("SELECT %(a)s").bind((1,))


def test_positional_placeholders_refuse_a_mapping():
    with pytest.raises(ProgrammingError, match="must be a sequence, got dict"):
        parse("SELECT %s").bind({"a": 1})


def test_parsed_query_is_immutable():
    parsed = parse("SELECT %s")
    with pytest.raises(AttributeError):
        parsed.sql = "DROP TABLE t"
    assert isinstance(parsed, ParsedQuery)


# --- properties --------------------------------------------------------------------------

plain_text = st.text(alphabet=st.characters(blacklist_characters="%$'\"-/\\"), max_size=40)


@given(st.text().filter(lambda q: "%" not in q and "$" not in q))
def test_any_query_without_percent_or_dollar_is_unchanged(query):
    assert parse(query).sql == query


@given(st.lists(plain_text, min_size=1, max_size=8))
def test_positional_placeholders_between_plain_text_become_numbers(chunks):
    query = "%s".join(chunks)
    expected = chunks[0] + "".join(f"${i}{chunk}" for i, chunk in enumerate(chunks[1:], 1))
    assert parse(query).sql == expected


@given(st.lists(plain_text, min_size=1, max_size=8))
def test_doubled_percents_come_back_single(chunks):
    assert parse("%%".join(chunks)).sql == "%".join(chunks)
