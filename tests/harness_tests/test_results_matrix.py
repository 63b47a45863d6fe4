"""Recording outcomes as JSON lines and the driver x PostgreSQL x auth mode matrix."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.harness import matrix
from tests.harness.auth_modes import AUTH_MODES
from tests.harness_tests.inner_pytest import REPO_ROOT, pytest_command, pytest_environment

RECORDED_TESTS = """
import pytest

purepg_pg16 = [
    pytest.mark.parametrize("driver_name", ["purepg"]),
    pytest.mark.parametrize("pg_major", [16]),
]


def with_params(function):
    for mark in purepg_pg16:
        function = mark(function)
    return function


@pytest.fixture
def broken():
    raise RuntimeError("broken fixture")


@with_params
def test_every_mode_passes(driver_name, pg_major, auth_mode):
    pass


@with_params
def test_fails(driver_name, pg_major):
    assert False


@with_params
def test_skips(driver_name, pg_major):
    pytest.skip("not today")


@with_params
@pytest.mark.xfail(reason="known")
def test_expected_failure(driver_name, pg_major):
    assert False


@with_params
def test_setup_error(driver_name, pg_major, broken):
    pass


def test_without_params():
    pass
"""


def run_pytest(directory: Path, results: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        pytest_command("test_recorded.py"),
        cwd=directory,
        env=pytest_environment(TEST_RESULTS_DIR=str(results)),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("recorded")
    (directory / "test_recorded.py").write_text(RECORDED_TESTS)
    results = directory / "results"
    process = run_pytest(directory, results)
    return process, results


def load(results: Path) -> dict[str, dict[str, Any]]:
    return {record["nodeid"]: record for record in matrix.load_records(results)}


def test_each_test_is_recorded_once_with_its_outcome(recorded_run):
    _, results = recorded_run

    outcomes = Counter(record["outcome"] for record in load(results).values())

    assert outcomes == {"passed": 8, "failed": 1, "skipped": 1, "xfailed": 1, "error": 1}
    assert len(list(results.glob("results-*.jsonl"))) == 1


def test_records_carry_driver_major_and_auth_mode(recorded_run):
    _, results = recorded_run
    records = load(results)

    modes = [
        (record["driver_name"], record["pg_major"], record["auth_mode"])
        for nodeid, record in records.items()
        if "test_every_mode_passes" in nodeid
    ]

    assert sorted(modes) == sorted(("purepg", 16, mode) for mode in AUTH_MODES)
    unparametrised = records["test_recorded.py::test_without_params"]
    assert (unparametrised["driver_name"], unparametrised["pg_major"]) == (None, None)


def test_run_prints_its_matrix(recorded_run):
    process, _ = recorded_run

    assert "PostgreSQL conformance matrix" in process.stdout
    assert "purepg  pg16" in process.stdout
    assert "1 ok 2 FAIL 1 skip" in process.stdout


def test_matrix_command_merges_runs_and_fails_on_any_failure(recorded_run):
    _, results = recorded_run

    process = subprocess.run(
        [sys.executable, "-m", "tests.harness.matrix", str(results)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert process.returncode == 1
    assert "1 ok 2 FAIL 1 skip" in process.stdout


def passing_record(
    nodeid: str, finished: float, outcome: str = "passed", **params
) -> dict[str, Any]:
    return {"nodeid": nodeid, "outcome": outcome, "python": "3.11", "finished": finished, **params}


def write_records(directory: Path, name: str, records: list[dict[str, Any]]) -> None:
    directory.mkdir(exist_ok=True)
    lines = "".join(json.dumps(record) + "\n" for record in records)
    (directory / f"results-{name}.jsonl").write_text(lines)


def test_matrix_command_succeeds_when_a_rerun_fixed_the_failure(tmp_path):
    write_records(tmp_path, "1", [passing_record("t::a", 1.0, "failed", pg_major=13)])
    write_records(tmp_path, "2", [passing_record("t::a", 2.0, pg_major=13)])

    assert matrix.main([str(tmp_path)]) == 0


def test_matrix_command_fails_without_results(tmp_path):
    assert matrix.main([str(tmp_path)]) == 1


def test_cell_shows_a_fraction_when_everything_passed():
    assert matrix.format_cell(Counter(passed=11, xfailed=1)) == "12/12"


def test_cell_lists_failures_and_skips():
    assert matrix.format_cell(Counter(passed=10, failed=1, error=1, skipped=1)) == (
        "10 ok 2 FAIL 1 skip"
    )


def test_matrix_has_a_row_per_driver_and_major_and_a_column_per_auth_mode():
    records = [
        passing_record("a", 1, driver_name="purepg", pg_major=13, auth_mode=AUTH_MODES[0]),
        passing_record("b", 1, driver_name="psycopg2", pg_major=18),
    ]

    lines = matrix.render(records).splitlines()

    assert lines[0].split() == ["driver", "postgres", AUTH_MODES[0], "suite"]
    assert lines[1].split() == ["psycopg2", "pg18", ".", "1/1"]
    assert lines[2].split() == ["purepg", "pg13", "1/1", "."]


def test_matrix_rows_follow_the_order_of_the_driver_list():
    names = ["pgfacade-purepg", "purepg-aio", "purepg"]
    records = [passing_record(name, 1, driver_name=name, pg_major=16) for name in names]

    rows = [line.split()[0] for line in matrix.render(records).splitlines()[1:]]

    assert rows == ["purepg", "purepg-aio", "pgfacade-purepg"]
