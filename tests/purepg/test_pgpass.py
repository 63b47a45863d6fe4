"""The password file (~/.pgpass, passfile, PGPASSFILE), read the libpq way."""

from __future__ import annotations

import os
import warnings

import pytest
from purepg.conninfo import DEFAULT_SOCKET_DIRS, HostAddress, resolve


@pytest.fixture
def home(tmp_path):
    return tmp_path


def write_passfile(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def password(home, dsn=None, environ=None, **params):
    env = {"HOME": str(home), **(environ or {})}
    resolved = resolve(dsn, {"user": "alice", "dbname": "app", **params}, env)
    return resolved.password_for(resolved.hosts[0])


def test_matching_line_gives_the_password(home):
    write_passfile(home / ".pgpass", "db.example.com:5432:app:alice:s3cret\n")
    assert password(home, host="db.example.com") == "s3cret"


def test_first_matching_line_wins(home):
    write_passfile(home / ".pgpass", "db:5432:app:alice:first\ndb:5432:app:alice:second\n")
    assert password(home, host="db") == "first"


def test_every_field_must_match(home):
    write_passfile(
        home / ".pgpass",
        "other:5432:app:alice:x\ndb:5433:app:alice:x\ndb:5432:other:alice:x\ndb:5432:app:bob:x\n",
    )
    assert password(home, host="db") is None


def test_star_matches_any_value(home):
    write_passfile(home / ".pgpass", "*:*:*:alice:wild\n")
    assert password(home, host="anything", port=6000) == "wild"


def test_star_is_literal_when_part_of_a_longer_field(home):
    write_passfile(home / ".pgpass", "db*:5432:app:alice:x\n")
    assert password(home, host="dbserver") is None


def test_escaped_colon_and_backslash_in_fields_and_password(home):
    write_passfile(home / ".pgpass", "h:5432:a\\:b:alice:p\\:w\\\\d\n")
    assert password(home, host="h", dbname="a:b") == "p:w\\d"


def test_unescaped_colon_ends_the_password(home):
    write_passfile(home / ".pgpass", "h:5432:app:alice:pw:extra\n")
    assert password(home, host="h") == "pw"


def test_comment_lines_are_skipped(home):
    write_passfile(home / ".pgpass", "#h:5432:app:alice:commented\nh:5432:app:alice:real\n")
    assert password(home, host="h") == "real"


def test_short_lines_are_skipped(home):
    write_passfile(home / ".pgpass", "h:5432:app\nh:5432:app:alice:real\n")
    assert password(home, host="h") == "real"


def test_windows_line_endings_are_tolerated(home):
    write_passfile(home / ".pgpass", "h:5432:app:alice:pw\r\n")
    assert password(home, host="h") == "pw"


def test_empty_password_in_the_file_counts_as_none(home):
    write_passfile(home / ".pgpass", "h:5432:app:alice:\n")
    assert password(home, host="h") is None


def test_localhost_matches_the_default_socket_directory(home):
    write_passfile(home / ".pgpass", "localhost:5432:app:alice:local\n")
    resolved = resolve(None, {"user": "alice", "dbname": "app"}, {"HOME": str(home)})
    assert resolved.hosts[0].host == DEFAULT_SOCKET_DIRS[0]
    assert resolved.password_for(resolved.hosts[0]) == "local"


def test_other_socket_directory_is_matched_by_its_path(home):
    write_passfile(home / ".pgpass", "localhost:5432:app:alice:no\n/run/pg:5432:app:alice:yes\n")
    assert password(home, host="/run/pg") == "yes"


def test_host_is_used_rather_than_hostaddr(home):
    write_passfile(home / ".pgpass", "10.0.0.1:5432:app:alice:byaddr\ndb:5432:app:alice:byname\n")
    assert password(home, host="db", hostaddr="10.0.0.1") == "byname"


def test_hostaddr_is_used_when_there_is_no_host(home):
    write_passfile(home / ".pgpass", "10.0.0.1:5432:app:alice:byaddr\n")
    assert password(home, hostaddr="10.0.0.1") == "byaddr"


def test_each_host_of_a_list_gets_its_own_line(home):
    write_passfile(home / ".pgpass", "a:5432:app:alice:pa\nb:5432:app:alice:pb\n")
    resolved = resolve(None, {"host": "a,b", "user": "alice", "dbname": "app"}, {"HOME": str(home)})
    assert [resolved.password_for(h) for h in resolved.hosts] == ["pa", "pb"]


def test_explicit_password_wins_over_the_file(home):
    write_passfile(home / ".pgpass", "*:*:*:*:fromfile\n")
    assert password(home, host="h", password="explicit") == "explicit"


def test_empty_explicit_password_falls_back_to_the_file(home):
    write_passfile(home / ".pgpass", "*:*:*:*:fromfile\n")
    assert password(home, host="h", password="") == "fromfile"


def test_passfile_keyword_names_another_file(home):
    other = write_passfile(home / "other-pass", "*:*:*:*:other\n")
    assert password(home, host="h", passfile=str(other)) == "other"


def test_pgpassfile_environment_variable_names_another_file(home):
    other = write_passfile(home / "env-pass", "*:*:*:*:env\n")
    assert password(home, environ={"PGPASSFILE": str(other)}, host="h") == "env"


def test_missing_file_gives_no_password(home):
    assert password(home, host="h") is None


def test_file_is_read_only_when_a_password_is_asked_for(home):
    resolved = resolve(None, {"host": "h", "user": "alice"}, {"HOME": str(home)})
    write_passfile(home / ".pgpass", "*:*:*:*:later\n")
    assert resolved.password_for(resolved.hosts[0]) == "later"


@pytest.mark.skipif(os.name == "nt", reason="Unix permissions")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_group_or_world_accessible_file_is_ignored_with_a_warning(home, mode):
    path = write_passfile(home / ".pgpass", "*:*:*:*:leaked\n", mode=mode)
    with pytest.warns(UserWarning, match=f'password file "{path}" has group or world access'):
        assert password(home, host="h") is None


def test_directory_instead_of_file_is_ignored_with_a_warning(home):
    (home / ".pgpass").mkdir()
    with pytest.warns(UserWarning, match="is not a plain file"):
        assert password(home, host="h") is None


def test_private_file_gives_no_warning(home):
    write_passfile(home / ".pgpass", "*:*:*:*:pw\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert password(home, host="h") == "pw"


def test_port_is_compared_as_the_resolved_number(home):
    write_passfile(home / ".pgpass", "h:6000:app:alice:p6000\n")
    resolved = resolve("postgresql://h:6000/app", {"user": "alice"}, {"HOME": str(home)})
    assert resolved.hosts[0] == HostAddress("h", None, 6000)
    assert resolved.password_for(resolved.hosts[0]) == "p6000"
