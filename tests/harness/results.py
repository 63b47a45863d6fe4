"""Recording test outcomes, with their driver / PostgreSQL / auth mode parameters, as JSON lines.

One file per pytest run: ``$TEST_RESULTS_DIR/results-<run id>.jsonl`` (default
``<rootdir>/.test-results/``), one record per test once its teardown has finished.
"""

from __future__ import annotations

import json
import os
import platform
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

RESULTS_DIR_ENV = "TEST_RESULTS_DIR"
MATRIX_PARAMS = ("driver_name", "pg_major", "auth_mode")
PARAMS_PROPERTY = "pg_harness_params"
RUN_LABEL_VARIABLE = "TEST_RUN_LABEL"

Record = dict[str, Any]


def results_dir(rootdir: Path) -> Path:
    """``$TEST_RESULTS_DIR``, else ``<rootdir>/.test-results``."""
    configured = os.environ.get(RESULTS_DIR_ENV)
    return Path(configured) if configured else rootdir / ".test-results"


def new_run_id() -> str:
    """A file-name-safe id, unique across processes and machines, that sorts by start time."""
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def matrix_params(item: pytest.Item) -> dict[str, Any]:
    """The item's ``driver_name``, ``pg_major`` and ``auth_mode`` parameters, when it has them."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return {}
    return {name: callspec.params[name] for name in MATRIX_PARAMS if name in callspec.params}


def _phase_outcome(report: pytest.TestReport) -> str:
    """passed / failed / skipped / xfailed / xpassed for one phase's report."""
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    return report.outcome


def _skip_reason(report: pytest.TestReport) -> str | None:
    """The reason given to ``pytest.skip`` (longrepr is ``(path, line, "Skipped: reason")``)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return None


class ResultsRecorder:
    """A pytest plugin object: tags items with their parameters and writes one record per test.

    Under pytest-xdist, items are tagged on the workers (the parameters travel with the reports
    as a user property) and only the controller writes.
    """

    def __init__(self, directory: Path, run_id: str, write: bool = True) -> None:
        self.path = directory / f"results-{run_id}.jsonl"
        self.run_id = run_id
        self.records: list[Record] = []
        self.writes = write
        self._pending: dict[str, Record] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            item.user_properties.append((PARAMS_PROPERTY, matrix_params(item)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = self._pending.get(report.nodeid)
        if record is None:
            record = self._new_record(report)
            self._pending[report.nodeid] = record
        if report.when == "setup" and not report.passed:
            record["outcome"] = "error" if report.failed else _phase_outcome(report)
        elif report.when == "call":
            record["outcome"] = _phase_outcome(report)
            record["duration"] = round(report.duration, 3)
        if report.skipped and report.when in ("setup", "call"):
            record["reason"] = _skip_reason(report)
        elif report.when == "teardown":
            if report.failed and record["outcome"] in ("passed", "xfailed"):
                record["outcome"] = "error"
            del self._pending[report.nodeid]
            self._finish(record)

    def _new_record(self, report: pytest.TestReport) -> Record:
        params: dict[str, Any] = {}
        for name, value in report.user_properties:
            if name == PARAMS_PROPERTY and isinstance(value, dict):
                params = value
        record: Record = {
            "run": self.run_id,
            "nodeid": report.nodeid,
            "outcome": "passed",
            "python": platform.python_version(),
            # Which run of the test command this is (py3.9, static...): a row of its own.
            "label": os.environ.get(RUN_LABEL_VARIABLE) or None,
        }
        for name in MATRIX_PARAMS:
            record[name] = params.get(name)
        return record

    def _finish(self, record: Record) -> None:
        record["finished"] = time.time()
        self.records.append(record)
        if not self.writes:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(record, sort_keys=True) + "\n")
