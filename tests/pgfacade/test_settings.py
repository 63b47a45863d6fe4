"""Settings: DSN / DATABASE_URL / keywords, the TLS default, secrets kept out of reprs."""

from __future__ import annotations

import copy
import pickle

import pytest
from pgfacade.settings import Settings, is_local_host, with_tls_default

try:
    from psycopg2.extensions import parse_dsn
except ImportError:  # PyPy, where psycopg2 does not load: the other backend's parser
    from purepg.conninfo import parse_dsn  # type: ignore[assignment]


def test_database_url_is_the_dsn_when_none_is_given() -> None:
    settings = Settings.from_arguments(environ={"DATABASE_URL": "postgresql://u@db.example/app"})
    assert settings.connect_params(parse_dsn) == {
        "user": "u",
        "host": "db.example",
        "dbname": "app",
    }


def test_an_explicit_dsn_wins_over_database_url() -> None:
    settings = Settings.from_arguments("host=other", environ={"DATABASE_URL": "postgresql://h/x"})
    assert settings.connect_params(parse_dsn) == {"host": "other"}


def test_keywords_override_the_dsn() -> None:
    settings = Settings.from_arguments("host=a port=1 dbname=x", {"port": 5433, "database": "y"})
    assert settings.connect_params(parse_dsn) == {"host": "a", "port": "5433", "dbname": "y"}


def test_a_parameter_of_the_wrong_type_is_rejected_by_name() -> None:
    try:
        Settings.from_arguments(None, {"port": 5.5})
    except TypeError as exc:
        assert "'port'" in str(exc)
    else:
        raise AssertionError("a float port was accepted")


def test_remote_hosts_default_to_verified_tls() -> None:
    assert with_tls_default({"host": "db.example.com"}, {})["sslmode"] == "verify-full"


def test_one_remote_host_in_a_list_is_enough_for_verified_tls() -> None:
    assert with_tls_default({"host": "localhost,db.example.com"}, {})["sslmode"] == "verify-full"


def test_pghost_counts_as_the_host() -> None:
    assert with_tls_default({}, {"PGHOST": "db.example.com"})["sslmode"] == "verify-full"


def test_local_hosts_keep_libpq_defaults() -> None:
    for host in ("localhost", "127.0.0.1", "::1", "/var/run/postgresql", ""):
        assert is_local_host(host), host
        assert "sslmode" not in with_tls_default({"host": host}, {})


def test_the_users_sslmode_wins_over_the_default() -> None:
    assert with_tls_default({"host": "db.example.com", "sslmode": "require"}, {})["sslmode"] == (
        "require"
    )
    assert "sslmode" not in with_tls_default({"host": "db.example.com"}, {"PGSSLMODE": "prefer"})


def test_repr_never_shows_the_password_or_the_dsn() -> None:
    settings = Settings.from_arguments(
        "postgresql://u:dsn-secret@h/db", {"password": "kw-secret", "user": "u"}
    )
    text = repr(settings)
    assert "dsn-secret" not in text
    assert "kw-secret" not in text
    assert "user='u'" in text


def test_the_reuse_key_ignores_the_password() -> None:
    before = Settings.from_arguments(None, {"host": "h", "password": "old"})
    after = Settings.from_arguments(None, {"host": "h", "password": "new"})
    assert before.cache_key() == after.cache_key()


def test_socket_timeout_is_seconds_and_zero_means_none() -> None:
    assert Settings.from_arguments(None, {}, socket_timeout="2.5").socket_timeout == 2.5
    assert Settings.from_arguments(None, {}, socket_timeout=0).socket_timeout is None


def test_a_negative_socket_timeout_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="socket_timeout"):
        Settings.from_arguments(None, {}, socket_timeout=-1)


def test_socket_timeout_is_part_of_the_reuse_key() -> None:
    short = Settings.from_arguments(None, {}, socket_timeout=1)
    long = Settings.from_arguments(None, {}, socket_timeout=60)
    assert short.cache_key() != long.cache_key()


def test_settings_are_immutable_values_that_survive_copy_and_pickle() -> None:
    settings = Settings.from_arguments("host=db", {"password": "pw", "port": 5433})
    same = Settings.from_arguments("host=db", {"port": "5433", "password": "pw"})
    assert settings == same
    assert hash(settings) == hash(same)
    assert copy.deepcopy(settings) == settings
    assert pickle.loads(pickle.dumps(settings)) == settings
    with pytest.raises(AttributeError):
        settings.dsn = "host=elsewhere"
