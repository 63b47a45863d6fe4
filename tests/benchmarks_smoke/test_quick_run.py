"""The quick mode end to end: it runs, and writes the table, the JSON and the chart with every
driver in them. Timings are never checked."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess

import pytest

from benchmarks.drivers import DRIVERS
from benchmarks.targets import TARGETS
from benchmarks.workloads import WORKLOADS
from tests.benchmarks_smoke.running import run_module

# The chart needs matplotlib: present in the `bench` environment, maybe not elsewhere.
pytest.importorskip("matplotlib", reason="the benchmark chart needs matplotlib (hatch env bench)")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run_benchmarks(*arguments: str) -> subprocess.CompletedProcess[str]:
    return run_module("benchmarks", *arguments)


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmarks")
    completed = _run_benchmarks("--quick", "--out", str(out))
    return completed, out


@pytest.fixture(scope="module")
def document(quick_run):
    _, out = quick_run
    return json.loads((out / "results.json").read_text())


def test_quick_mode_exits_successfully(quick_run):
    completed, _ = quick_run
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_results_json_lists_every_driver(document):
    assert set(document["drivers"]) == {spec.name for spec in DRIVERS}


def test_unavailable_drivers_say_why(document):
    for name, status in document["drivers"].items():
        if not status["available"]:
            assert status["reason"], name


def test_static_psycopg2_without_a_build_directory_is_reported_not_available(document):
    status = document["drivers"]["psycopg2-static"]
    assert not status["available"]
    assert "--static-psycopg2" in status["reason"]


@pytest.mark.parametrize(
    ("driver", "module"),
    [
        ("purepg", "purepg"),
        ("pgfacade-purepg", "pgfacade"),
        ("pgfacade-psycopg2", "psycopg2"),
        ("psycopg2-binary", "psycopg2"),
        ("pg8000", "pg8000"),
        ("psycopg3", "psycopg"),
        ("asyncpg", "asyncpg"),
        ("purepg-aio", "purepg"),
    ],
)
def test_every_installed_driver_has_a_figure_for_every_workload(document, driver, module):
    if not _importable(module):
        pytest.skip(f"{module} is not installed here")
    for workload in WORKLOADS:
        figures = document["summary"][workload.name]["drivers"]
        assert driver in figures, (workload.name, document["errors"].get(workload.name))


def test_results_record_how_each_workload_calls_the_driver(document, quick_run):
    _, out = quick_run
    calls = document["meta"]["calls"]
    assert set(calls) == {workload.name for workload in WORKLOADS}
    assert calls["select1"] == "cursor.execute + fetchall(), autocommit on"
    assert "cursor.execute + fetchall(), autocommit on" in (out / "results.md").read_text()


def test_pgbench_runs_only_the_select_workloads(document):
    for name in ("pgbench-extended", "pgbench-prepared"):
        if not document["drivers"][name]["available"]:
            continue
        for workload in WORKLOADS:
            has_figure = name in document["summary"][workload.name]["drivers"]
            assert has_figure == workload.pgbench, (name, workload.name)


def test_every_target_is_reported_with_a_verdict_unless_a_driver_is_missing(document):
    reported = {
        (target["workload"], target["subject"], target["reference"])
        for target in document["targets"]
    }
    assert reported == {(target.workload, target.subject, target.reference) for target in TARGETS}
    available = {name for name, status in document["drivers"].items() if status["available"]}
    for target in document["targets"]:
        measurable = {target["subject"], target["reference"]} <= available
        assert (target["met"] is not None) == measurable, target


def test_markdown_table_has_a_column_for_every_available_driver(quick_run, document):
    _, out = quick_run
    header = (out / "results.md").read_text().split("\n| workload |", 1)[1].split("\n", 1)[0]
    available = [spec for spec in DRIVERS if document["drivers"][spec.name]["available"]]
    for spec in available:
        assert f" {spec.label} |" in header


def test_chart_is_a_png(quick_run):
    _, out = quick_run
    assert (out / "chart.png").read_bytes().startswith(PNG_SIGNATURE)


def test_unknown_driver_name_is_rejected_naming_it(tmp_path):
    completed = _run_benchmarks("--quick", "--drivers", "no-such-driver", "--out", str(tmp_path))
    assert completed.returncode == 2
    assert "no-such-driver" in completed.stderr


PINNED_DRIVERS = ("purepg", "psycopg2-binary")
PINNED_WORKLOADS = ("select1", "executemany")


@pytest.fixture(scope="module")
def pinned_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmarks-pinned")
    completed = _run_benchmarks(
        "--quick",
        "--pin-cpu",
        "0",
        "--clock",
        "cpu",
        "--drivers",
        ",".join(PINNED_DRIVERS),
        "--workloads",
        ",".join(PINNED_WORKLOADS),
        "--out",
        str(out),
    )
    return completed, out


def test_pinned_quick_run_records_the_cpu_and_measures_every_driver(pinned_run):
    completed, out = pinned_run
    assert completed.returncode == 0, completed.stderr[-3000:]
    document = json.loads((out / "results.json").read_text())
    assert document["meta"]["pinned_cpu"] == 0
    assert document["meta"]["clock"] == "cpu"
    assert "client and server pinned to CPU 0" in (out / "results.md").read_text()
    for workload in PINNED_WORKLOADS:
        figures = document["summary"][workload]["drivers"]
        for driver in PINNED_DRIVERS:
            assert driver in figures, (workload, driver, document["errors"].get(workload))


def test_pin_cpu_outside_this_process_affinity_is_rejected_naming_it(tmp_path):
    cpu = max(os.sched_getaffinity(0)) + 1
    completed = _run_benchmarks("--quick", "--pin-cpu", str(cpu), "--out", str(tmp_path))
    assert completed.returncode == 2
    assert f"--pin-cpu {cpu}" in completed.stderr
    assert "allowed" in completed.stderr
