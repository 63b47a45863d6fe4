"""purepg.conninfo: libpq conninfo strings, URIs, PG* variables, defaults and validation."""

from __future__ import annotations

import os

import pytest
from purepg.conninfo import (
    DEFAULT_SOCKET_DIRS,
    HostAddress,
    parse_dsn,
    parse_require_auth,
    resolve,
)
from purepg.errors import ProgrammingError

NO_ENV: dict[str, str] = {"HOME": "/nonexistent-home"}


def resolve_clean(dsn: str | None = None, **params: object):
    """resolve() with an empty environment, so the machine's PG* variables do not leak in."""
    return resolve(dsn, params, NO_ENV)


# --- keyword/value strings ----------------------------------------------------------------


def test_keyword_value_pairs_are_split_on_whitespace():
    assert parse_dsn("host=a port=5432 dbname=db") == {"host": "a", "port": "5432", "dbname": "db"}


def test_spaces_around_equals_are_ignored():
    assert parse_dsn("host = a   port= 5433") == {"host": "a", "port": "5433"}


def test_single_quoted_value_keeps_spaces_and_unescapes_quote_and_backslash():
    assert parse_dsn(r"password='x y\'z\\w'") == {"password": "x y'z\\w"}


def test_unquoted_value_unescapes_backslashes():
    assert parse_dsn(r"password=a\ b user=x\\y") == {"password": "a b", "user": "x\\y"}


def test_empty_quoted_value_is_an_empty_string():
    assert parse_dsn("dbname=''") == {"dbname": ""}


def test_empty_unquoted_value_takes_the_next_word_like_libpq():
    assert parse_dsn("host= port=5432") == {"host": "port=5432"}


def test_later_keyword_overrides_earlier_one():
    assert parse_dsn("host=a host=b") == {"host": "b"}


def test_empty_string_gives_no_parameters():
    assert parse_dsn("   ") == {}


def test_unknown_keyword_is_named_in_the_error():
    with pytest.raises(ProgrammingError, match='invalid connection option "foo"'):
        parse_dsn("foo=1")


def test_keyword_without_equals_is_named_in_the_error():
    with pytest.raises(ProgrammingError, match='missing "=" after "host" in connection info'):
        parse_dsn("host")


def test_unterminated_quote_is_an_error():
    with pytest.raises(ProgrammingError, match="unterminated quoted string"):
        parse_dsn("host='abc")


def test_invalid_port_in_dsn_is_named_in_the_error():
    with pytest.raises(ProgrammingError, match='invalid port number: "abc"'):
        parse_dsn("port=abc")


def test_invalid_sslmode_in_dsn_is_named_in_the_error():
    with pytest.raises(ProgrammingError, match='invalid sslmode value: "on"'):
        parse_dsn("sslmode=on")


# --- URIs ---------------------------------------------------------------------------------


def test_uri_with_every_part():
    assert parse_dsn("postgresql://user:pw@host:5433/db?application_name=app") == {
        "user": "user",
        "password": "pw",
        "host": "host",
        "port": "5433",
        "dbname": "db",
        "application_name": "app",
    }


def test_postgres_scheme_is_accepted_too():
    assert parse_dsn("postgres://host/db") == {"host": "host", "dbname": "db"}


def test_uri_parts_are_percent_decoded():
    assert parse_dsn("postgresql://us%40r:p%3Aw%2F@h/d%20b?options=-c%20a%3Db") == {
        "user": "us@r",
        "password": "p:w/",
        "host": "h",
        "dbname": "d b",
        "options": "-c a=b",
    }


def test_uri_percent_decoding_is_utf8():
    assert parse_dsn("postgresql://h/caf%C3%A9") == {"host": "h", "dbname": "café"}


def test_uri_with_nothing_after_the_scheme_is_empty():
    assert parse_dsn("postgresql://") == {}


def test_uri_empty_parts_are_left_out():
    assert parse_dsn("postgresql://u@/db") == {"user": "u", "dbname": "db"}
    assert parse_dsn("postgresql://h/?") == {"host": "h"}


def test_uri_ipv6_hosts_in_brackets():
    assert parse_dsn("postgresql://[::1]:5433,[fe80::1%25eth0]/db") == {
        "host": "::1,fe80::1%eth0",
        "port": "5433,",
        "dbname": "db",
    }


def test_uri_multiple_hosts_with_ports():
    assert parse_dsn("postgresql://h1:1,h2:2,h3/db") == {
        "host": "h1,h2,h3",
        "port": "1,2,",
        "dbname": "db",
    }


def test_uri_port_without_host():
    assert parse_dsn("postgresql://:5433") == {"port": "5433"}


def test_uri_percent_encoded_socket_directory_as_host():
    assert parse_dsn("postgresql://%2Fvar%2Frun%2Fpostgresql/db") == {
        "host": "/var/run/postgresql",
        "dbname": "db",
    }


def test_uri_host_as_query_parameter():
    assert parse_dsn("postgresql:///db?host=/var/run/postgresql") == {
        "dbname": "db",
        "host": "/var/run/postgresql",
    }


def test_uri_query_parameters_override_the_hierarchical_part():
    assert parse_dsn("postgresql://u@h/db?user=v&dbname=other") == {
        "user": "v",
        "host": "h",
        "dbname": "other",
    }


def test_uri_ssl_true_means_sslmode_require():
    assert parse_dsn("postgresql://h?ssl=true") == {"host": "h", "sslmode": "require"}


def test_uri_first_at_sign_ends_the_user_info_like_libpq():
    assert parse_dsn("postgresql://u:p@ss@host") == {
        "user": "u",
        "password": "p",
        "host": "ss@host",
    }


def test_uri_unknown_query_parameter_is_named():
    with pytest.raises(ProgrammingError, match='invalid URI query parameter: "foo"'):
        parse_dsn("postgresql://h/db?foo=1")


def test_uri_query_parameter_without_equals_is_named():
    with pytest.raises(ProgrammingError, match='separator "=" in URI query parameter: "a"'):
        parse_dsn("postgresql://h/db?a")


def test_uri_query_parameter_with_two_equals_is_named():
    with pytest.raises(ProgrammingError, match=r'extra key/value separator "=".*"a"'):
        parse_dsn("postgresql://h/db?a=b=c")


@pytest.mark.parametrize("uri", ["postgresql://h%zz/", "postgresql://h%2/", "postgresql://h%"])
def test_uri_bad_percent_escape_is_named(uri):
    with pytest.raises(ProgrammingError, match="invalid percent-encoded token"):
        parse_dsn(uri)


def test_uri_percent_encoded_nul_is_refused():
    with pytest.raises(ProgrammingError, match="forbidden value %00"):
        parse_dsn("postgresql://h%00/")


def test_uri_unclosed_ipv6_bracket_is_an_error():
    with pytest.raises(ProgrammingError, match='matching "]" in IPv6 host address'):
        parse_dsn("postgresql://[::1/db")


def test_uri_empty_ipv6_address_is_an_error():
    with pytest.raises(ProgrammingError, match="IPv6 host address may not be empty"):
        parse_dsn("postgresql://[]/db")


def test_uri_garbage_after_ipv6_address_names_the_position():
    with pytest.raises(ProgrammingError, match='unexpected character "x" at position 19'):
        parse_dsn("postgresql://[::1]x/")


def test_uri_bad_port_is_named():
    with pytest.raises(ProgrammingError, match='invalid port number: "abc"'):
        parse_dsn("postgresql://h:abc/db")


LIBPQ_AGREEMENT_CASES = [
    "host=a port=5432 password='x y\\'z'",
    "host = a   port= 5433",
    "host= port=5432",
    "password=a\\ b user=x\\\\y",
    "host=a\\",
    "postgresql://user:pw@host:5433/db?sslmode=require&application_name=x%20y",
    "postgres://[::1]:5432,[fe80::1%25eth0]/db",
    "postgresql://%2Fvar%2Frun/db",
    "postgresql:///db?host=/var/run",
    "postgresql://h1,:5433",
    "postgresql://u:@h",
    "postgresql://:p@h",
    "postgresql://u:p@ss@host",
    "postgresql://h?x@y",
    "postgresql://h/db#frag",
    "postgresql://h%2Cq/",
    "postgresql://h/db?host=x&",
]


@pytest.mark.parametrize("dsn", LIBPQ_AGREEMENT_CASES)
def test_parse_dsn_agrees_with_libpq(dsn):
    extensions = pytest.importorskip("psycopg2.extensions")
    assert parse_dsn(dsn) == extensions.parse_dsn(dsn)


# --- resolve: precedence and defaults -----------------------------------------------------


def test_keyword_arguments_override_dsn_which_overrides_environment():
    params = resolve(
        "host=from-dsn user=dsn-user",
        {"host": "from-kwargs"},
        {"PGHOST": "from-env", "PGUSER": "env-user", "PGDATABASE": "env-db"},
    )
    assert params.hosts == (HostAddress("from-kwargs", None, 5432),)
    assert params.user == "dsn-user"
    assert params.dbname == "env-db"


def test_keyword_argument_none_counts_as_not_given():
    params = resolve("host=from-dsn", {"host": None}, NO_ENV)
    assert params.hosts[0].host == "from-dsn"


def test_database_is_an_alias_of_dbname():
    assert resolve_clean(database="db").dbname == "db"


def test_database_and_dbname_together_are_refused():
    with pytest.raises(ProgrammingError, match=r"dbname.*database"):
        resolve_clean(database="a", dbname="b")


def test_integer_keyword_values_are_accepted():
    params = resolve_clean(host="h", port=6543, connect_timeout=10)
    assert params.hosts[0].port == 6543
    assert params.connect_timeout == 10.0


def test_every_documented_environment_variable_is_read():
    env = {
        "PGHOST": "h",
        "PGPORT": "6000",
        "PGDATABASE": "db",
        "PGUSER": "u",
        "PGPASSWORD": "pw",
        "PGPASSFILE": "/p",
        "PGSSLMODE": "require",
        "PGSSLROOTCERT": "/root.crt",
        "PGSSLCERT": "/c.crt",
        "PGSSLKEY": "/c.key",
        "PGSSLNEGOTIATION": "direct",
        "PGSSLSNI": "0",
        "PGCHANNELBINDING": "require",
        "PGREQUIREAUTH": "scram-sha-256",
        "PGCONNECT_TIMEOUT": "7",
        "PGAPPNAME": "app",
        "PGOPTIONS": "-c x=y",
        "PGTARGETSESSIONATTRS": "read-write",
        "PGLOADBALANCEHOSTS": "random",
        "PGCLIENTENCODING": "UTF8",
        "PGSSLMINPROTOCOLVERSION": "TLSv1.3",
    }
    params = resolve(None, {}, env)
    assert params.hosts == (HostAddress("h", None, 6000),)
    assert (params.dbname, params.user, params.password, params.passfile) == ("db", "u", "pw", "/p")
    assert (params.sslmode, params.sslrootcert, params.sslcert, params.sslkey) == (
        "require",
        "/root.crt",
        "/c.crt",
        "/c.key",
    )
    assert (params.sslnegotiation, params.sslsni) == ("direct", False)
    assert (params.channel_binding, params.require_auth) == ("require", "scram-sha-256")
    assert params.connect_timeout == 7.0
    assert (params.application_name, params.options, params.client_encoding) == (
        "app",
        "-c x=y",
        "UTF8",
    )
    assert (params.target_session_attrs, params.load_balance_hosts) == ("read-write", "random")
    assert params.ssl_min_protocol_version == "TLSv1.3"


def test_defaults_follow_libpq():
    params = resolve_clean(user="alice")
    assert params.hosts == tuple(HostAddress(d, None, 5432) for d in DEFAULT_SOCKET_DIRS)
    assert params.dbname == "alice"
    assert params.sslmode == "prefer"
    assert params.channel_binding == "prefer"
    assert params.target_session_attrs == "any"
    assert params.load_balance_hosts == "disable"
    assert params.sslsni is True
    assert params.keepalives is True
    assert params.connect_timeout is None
    assert params.ssl_min_protocol_version == "TLSv1.2"
    assert params.passfile == "/nonexistent-home/.pgpass"


def test_default_user_is_the_effective_operating_system_user():
    pwd = pytest.importorskip("pwd")
    assert resolve_clean().user == pwd.getpwuid(os.geteuid()).pw_name


def test_default_dbname_is_the_user():
    assert resolve_clean(user="bob").dbname == "bob"


def test_uri_from_dsn_is_resolved():
    params = resolve_clean("postgresql://u:pw@db.example.com:6432/app?sslmode=verify-full")
    assert params.hosts == (HostAddress("db.example.com", None, 6432),)
    assert (params.user, params.password, params.dbname, params.sslmode) == (
        "u",
        "pw",
        "app",
        "verify-full",
    )


def test_unknown_keyword_argument_is_named():
    with pytest.raises(ProgrammingError, match='invalid connection option "server_settings"'):
        resolve_clean(server_settings="x")


def test_service_files_are_not_supported_and_say_so():
    with pytest.raises(ProgrammingError, match=r"pg_service.conf"):
        resolve_clean(service="mydb")


# --- multiple hosts -------------------------------------------------------------------------


def test_one_port_applies_to_every_host():
    params = resolve_clean(host="a,b", port="6000")
    assert params.hosts == (HostAddress("a", None, 6000), HostAddress("b", None, 6000))


def test_ports_are_matched_to_hosts_one_by_one():
    params = resolve_clean(host="a,b,c", port="1,,3")
    assert [h.port for h in params.hosts] == [1, 5432, 3]


def test_port_count_must_match_host_count():
    with pytest.raises(ProgrammingError, match="could not match 2 port numbers to 3 hosts"):
        resolve_clean(host="a,b,c", port="1,2")


def test_hostaddr_alone_gives_one_address_per_value():
    params = resolve_clean(hostaddr="127.0.0.1,::1")
    assert params.hosts == (HostAddress("", "127.0.0.1", 5432), HostAddress("", "::1", 5432))


def test_host_and_hostaddr_are_paired():
    params = resolve_clean(host="a,b", hostaddr="10.0.0.1,10.0.0.2")
    assert params.hosts[1] == HostAddress("b", "10.0.0.2", 5432)


def test_host_and_hostaddr_counts_must_match():
    with pytest.raises(ProgrammingError, match="could not match 2 host names to 1 hostaddr"):
        resolve_clean(host="a,b", hostaddr="10.0.0.1")


def test_hostaddr_must_be_numeric():
    with pytest.raises(ProgrammingError, match=r'could not parse network address "db.example"'):
        resolve_clean(hostaddr="db.example")


def test_empty_host_in_a_list_means_the_default_socket_directories():
    params = resolve_clean(host="a,", port="1,2")
    assert params.hosts == (
        HostAddress("a", None, 1),
        *(HostAddress(d, None, 2) for d in DEFAULT_SOCKET_DIRS),
    )


def test_socket_directory_host_is_a_unix_socket():
    host = resolve_clean(host="/run/pg", port=5433).hosts[0]
    assert host.is_unix_socket
    assert host.socket_path == "/run/pg/.s.PGSQL.5433"


def test_at_sign_host_is_an_abstract_unix_socket():
    host = resolve_clean(host="@pg").hosts[0]
    assert host.is_unix_socket
    assert host.socket_path == "\0pg/.s.PGSQL.5432"


def test_ip_host_is_not_a_unix_socket():
    assert not resolve_clean(host="127.0.0.1").hosts[0].is_unix_socket


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sslmode", "yes"),
        ("channel_binding", "maybe"),
        ("target_session_attrs", "master"),
        ("load_balance_hosts", "round-robin"),
        ("sslnegotiation", "tls"),
        ("gssencmode", "sometimes"),
        ("sslcertmode", "always"),
        ("ssl_min_protocol_version", "TLSv1.4"),
    ],
)
def test_invalid_enumerated_value_names_key_and_value(key, value):
    with pytest.raises(ProgrammingError, match=f'invalid {key} value: "{value}"'):
        resolve_clean(**{key: value})


@pytest.mark.parametrize("port", ["0", "65536", "-1", "abc", "5432x"])
def test_port_out_of_range_or_not_a_number_is_named(port):
    with pytest.raises(ProgrammingError, match=f'invalid port number: "{port}"'):
        resolve_clean(port=port)


def test_non_integer_connect_timeout_is_named():
    with pytest.raises(ProgrammingError, match=r'invalid integer value "1.5".*"connect_timeout"'):
        resolve_clean(connect_timeout="1.5")


@pytest.mark.parametrize(("given", "expected"), [("0", None), ("-5", None), ("1", 2.0), ("9", 9.0)])
def test_connect_timeout_below_two_seconds_is_two_and_zero_is_infinite(given, expected):
    assert resolve_clean(connect_timeout=given).connect_timeout == expected


@pytest.mark.parametrize(("given", "expected"), [("0", False), ("1", True), (False, False)])
def test_sslsni_is_a_boolean(given, expected):
    assert resolve_clean(sslsni=given).sslsni is expected


def test_sslsni_garbage_is_named():
    with pytest.raises(ProgrammingError, match='invalid sslsni value: "maybe"'):
        resolve_clean(sslsni="maybe")


def test_keepalives_zero_turns_them_off():
    assert resolve_clean(keepalives=0).keepalives is False


def test_sslrootcert_system_defaults_to_verify_full():
    assert resolve_clean(sslrootcert="system").sslmode == "verify-full"


def test_sslrootcert_system_refuses_weaker_sslmode():
    with pytest.raises(ProgrammingError, match='weak sslmode "verify-ca" may not be used'):
        resolve_clean(sslrootcert="system", sslmode="verify-ca")


def test_direct_ssl_negotiation_requires_sslmode_require_or_stronger():
    with pytest.raises(ProgrammingError, match=r'weak sslmode "prefer".*sslnegotiation=direct'):
        resolve_clean(sslnegotiation="direct")


def test_gssencmode_require_is_accepted_for_gss_encryption():
    # GSS encryption needs purepg[gss] when connecting: tests/purepg/test_gss_auth.py.
    assert resolve_clean(gssencmode="require").gssencmode == "require"


def test_inverted_tls_version_range_is_refused():
    with pytest.raises(ProgrammingError, match="invalid SSL protocol version range"):
        resolve_clean(ssl_min_protocol_version="TLSv1.3", ssl_max_protocol_version="TLSv1.2")


def test_invalid_environment_value_is_named():
    with pytest.raises(
        ProgrammingError, match=r'invalid sslmode value: "bogus" \(from PGSSLMODE\)'
    ):
        resolve(None, {}, {"PGSSLMODE": "bogus"})


def test_non_text_keyword_value_is_named():
    with pytest.raises(ProgrammingError, match=r'"port".*got list'):
        resolve_clean(port=[5432])


def test_require_auth_negated_list():
    assert parse_require_auth("!md5,!password") == (True, frozenset({"md5", "password"}))


def test_require_auth_unknown_method_is_named():
    with pytest.raises(ProgrammingError, match='invalid require_auth value: "kerberos"'):
        resolve_clean(require_auth="kerberos")


def test_require_auth_mixing_negated_and_plain_is_refused():
    with pytest.raises(ProgrammingError, match="cannot be mixed"):
        resolve_clean(require_auth="md5,!password")


def test_require_auth_repeated_method_is_refused():
    with pytest.raises(ProgrammingError, match='"md5" is specified more than once'):
        resolve_clean(require_auth="md5,md5")


# --- secrets --------------------------------------------------------------------------------


def test_repr_never_shows_the_password_or_sslpassword():
    params = resolve_clean("password=hunter2", sslpassword="keypass2", user="u")
    text = repr(params)
    assert "hunter2" not in text
    assert "keypass2" not in text
    assert "'u'" in text


def test_explicit_password_is_returned_for_every_host():
    params = resolve_clean(host="a,b", password="pw")
    assert [params.password_for(h) for h in params.hosts] == ["pw", "pw"]


def test_invalid_environment_value_is_ignored_when_overridden():
    assert resolve("sslmode=require", {}, {"PGSSLMODE": "bogus"}).sslmode == "require"


def test_pgtz_pgdatestyle_pggeqo_become_startup_settings():
    params = resolve(None, {}, {"PGTZ": "UTC", "PGDATESTYLE": "ISO, DMY", "PGGEQO": "off"})
    assert dict(params.environment_settings) == {
        "timezone": "UTC",
        "datestyle": "ISO, DMY",
        "geqo": "off",
    }
