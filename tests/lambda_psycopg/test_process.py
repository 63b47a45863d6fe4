"""The one command runner: every failure to start, time-out or non-zero exit is a BuildError."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run, run_logged


def test_a_missing_command_is_a_build_error_naming_it() -> None:
    with pytest.raises(BuildError, match="command not found: no-such-tool-here"):
        run(["no-such-tool-here", "--version"], what="probing the tool")


def test_a_failing_command_reports_its_exit_status_and_error_output() -> None:
    script = "import sys; sys.stderr.write('the disk is full'); sys.exit(3)"
    with pytest.raises(BuildError, match=r"(?s)writing failed \(exit 3\):\nthe disk is full"):
        run([sys.executable, "-c", script], what="writing")


def test_a_failing_command_is_returned_when_the_caller_checks_it() -> None:
    completed = run([sys.executable, "-c", "raise SystemExit(2)"], check=False)
    assert completed.returncode == 2


def test_a_command_that_outlives_its_timeout_is_a_build_error() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(BuildError, match="sleeping did not finish within"):
        run(sleeper, what="sleeping", timeout=0.5)


def test_a_logged_command_failure_quotes_the_end_of_its_log(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    script = "print('configure: error: no zlib'); raise SystemExit(1)"
    with pytest.raises(BuildError, match=r"(?s)configure failed \(exit 1\).*no zlib"):
        run_logged([sys.executable, "-c", script], cwd=tmp_path, log=log, what="configure")
    assert "$ " in log.read_text()
