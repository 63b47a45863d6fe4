"""The command line: help with examples, clear errors, where the artifacts are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lambda_psycopg import prereqs
from lambda_psycopg.cli import main
from lambda_psycopg.pipeline import TargetResult, write_latest


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "lambda-psycopg build --python 3.11 --arch x86_64 --out dist" in out
    assert "LAMBDA_PSYCOPG_CACHE" in out


def test_an_unknown_python_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--python", "3.7"])
    assert "invalid choice: '3.7'" in capsys.readouterr().err


def test_missing_build_tools_are_named_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing is on PATH
    status = main(["build", "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert "missing build tools: make" in err
    assert "bison" in err and "flex" in err
    assert "lambda-psycopg setup" in err


def test_setup_check_lists_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["setup", "--check"]) == 1
    out = capsys.readouterr().out
    assert "missing (required): bison [bison]" in out
    assert "missing (optional): qemu-aarch64-static [qemu-user-static]" in out


def test_every_required_tool_names_its_debian_package() -> None:
    assert all(tool.package for tool in prereqs.TOOLS)


def test_latest_json_points_at_the_built_zip(built_artifact: TargetResult, tmp_path: Path) -> None:
    latest = json.loads(write_latest(tmp_path, [built_artifact]).read_text())
    (entry,) = latest["artifacts"]
    assert entry["python"] == "3.11" and entry["arch"] == "x86_64"
    assert Path(entry["zip"]).is_file()
    assert Path(entry["zip"]).name == built_artifact.names.zip


def test_steps_that_need_a_whole_build_say_what_to_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["step", "package", "--cache-dir", str(tmp_path)]) == 2
    assert "use `lambda-psycopg build`" in capsys.readouterr().err
