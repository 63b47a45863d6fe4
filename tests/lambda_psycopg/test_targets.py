"""The build matrix and the artifact names."""

from __future__ import annotations

import pytest
from lambda_psycopg.errors import BuildError
from lambda_psycopg.pipeline import check_compatible
from lambda_psycopg.targets import ARCHES, PYTHONS, Target, artifact_names, parse_targets
from lambda_psycopg.versions import Versions


def test_artifact_names_carry_every_version() -> None:
    names = artifact_names(Target("3.12", "x86_64"), "2.9.13", "18.6")
    assert names.zip == "psycopg2-2.9.13-libpq-18.6-py3.12-x86_64.zip"
    assert names.layer_zip == "psycopg2-2.9.13-libpq-18.6-py3.12-x86_64-layer.zip"
    assert names.manifest == "psycopg2-2.9.13-libpq-18.6-py3.12-x86_64.manifest.json"


def test_targets_compile_for_the_glibc_floor() -> None:
    assert Target("3.11", "x86_64").zig_triple == "x86_64-linux-gnu.2.17"
    assert Target("3.11", "arm64").zig_triple == "aarch64-linux-gnu.2.17"


def test_extension_file_name_matches_the_interpreter_abi() -> None:
    assert Target("3.13", "arm64").extension_filename == (
        "_psycopg.cpython-313-aarch64-linux-gnu.so"
    )


def test_an_unknown_python_is_refused_with_the_choices() -> None:
    with pytest.raises(BuildError, match=r"(?s)unsupported Python version '3\.8'.*3\.9"):
        Target("3.8", "x86_64")


def test_an_unknown_architecture_is_refused() -> None:
    with pytest.raises(BuildError, match="unsupported architecture 'i386'"):
        Target("3.11", "i386")


def test_default_target_is_python_311_on_x86_64() -> None:
    assert parse_targets([], [], all_targets=False) == [Target("3.11", "x86_64")]


def test_all_means_every_python_on_every_architecture() -> None:
    targets = parse_targets([], [], all_targets=True)
    assert len(targets) == len(PYTHONS) * len(ARCHES)


def test_all_can_be_narrowed_to_one_architecture() -> None:
    targets = parse_targets([], ["arm64"], all_targets=True)
    assert {t.arch for t in targets} == {"arm64"}
    assert [t.python for t in targets] == list(PYTHONS)


def test_python_39_gets_the_last_psycopg2_that_supports_it() -> None:
    assert Versions().psycopg2_for("3.9") == "2.9.12"
    assert Versions().psycopg2_for("3.12") == "2.9.13"


def test_psycopg2_2913_on_python_39_is_refused() -> None:
    with pytest.raises(BuildError, match=r"psycopg2 2\.9\.13 does not support Python 3\.9"):
        check_compatible(Target("3.9", "x86_64"), "2.9.13")
