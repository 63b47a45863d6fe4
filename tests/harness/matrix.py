"""The results matrix: driver x PostgreSQL major (rows) by auth mode (columns).

``python -m tests.harness.matrix [DIR]`` merges every ``results-*.jsonl`` in DIR (default
``$TEST_RESULTS_DIR`` or ``.test-results``), keeping the latest record of each test (per Python
version), prints the matrix and exits 1 if any test failed (or no result was found).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.conformance.drivers import DRIVER_NAMES
from tests.harness.auth_modes import GSS, MATRIX_MODES
from tests.harness.kerberos import SERVER_NOTE
from tests.harness.results import results_dir

SUITE_COLUMN = "suite"
COLUMNS = (*MATRIX_MODES, SUITE_COLUMN)
COLUMN_NOTES = {GSS: SERVER_NOTE}
"""Printed under the matrix when the column is shown: a column that runs on another server."""
OK_OUTCOMES = ("passed", "xfailed", "xpassed")
FAILED_OUTCOMES = ("failed", "error")

Record = dict[str, Any]
Cell = Counter[str]


def load_records(directory: Path) -> list[Record]:
    """Every record of every ``results-*.jsonl`` file in ``directory``."""
    records: list[Record] = []
    for path in sorted(directory.glob("results-*.jsonl")):
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: not a JSON record: {error}") from None
    return records


def latest_per_test(records: Iterable[Record]) -> list[Record]:
    """Keep only the most recent record of each test (node id, Python version, run label)."""
    latest: dict[tuple[str, str, str], Record] = {}
    for record in records:
        key = (record["nodeid"], record.get("python", ""), record.get("label") or "")
        current = latest.get(key)
        if current is None or record.get("finished", 0) >= current.get("finished", 0):
            latest[key] = record
    return list(latest.values())


def has_failures(records: Iterable[Record]) -> bool:
    """Whether any record failed or errored."""
    return any(record["outcome"] in FAILED_OUTCOMES for record in records)


def has_matrix_params(records: Iterable[Record]) -> bool:
    """Whether any record was parametrised by driver, PostgreSQL major or auth mode."""
    return any(
        record.get(name) is not None
        for record in records
        for name in ("driver_name", "pg_major", "auth_mode")
    )


def row_of(record: Record) -> tuple[str, str]:
    """The (driver, major) row of a record: ``("psycopg2 [static]", "pg16")``."""
    driver = record.get("driver_name") or "-"
    if record.get("label"):
        driver = f"{driver} [{record['label']}]"
    major = record.get("pg_major")
    return str(driver), f"pg{major}" if major is not None else "-"


def tabulate(records: Iterable[Record]) -> dict[tuple[str, str], dict[str, Cell]]:
    """Counts of outcomes per (driver, major) row and auth mode column."""
    table: dict[tuple[str, str], dict[str, Cell]] = {}
    for record in records:
        row = row_of(record)
        column = record.get("auth_mode") or SUITE_COLUMN
        cells = table.setdefault(row, {})
        cells.setdefault(column, Counter())[record["outcome"]] += 1
    return table


def format_cell(counts: Cell | None) -> str:
    """``12/12`` when everything passed, else e.g. ``10 ok 2 FAIL 1 skip``; ``.`` when empty."""
    if not counts:
        return "."
    ok = sum(counts[outcome] for outcome in OK_OUTCOMES)
    failed = sum(counts[outcome] for outcome in FAILED_OUTCOMES)
    skipped = counts["skipped"]
    if failed == 0 and skipped == 0:
        return f"{ok}/{ok}"
    parts = []
    if ok:
        parts.append(f"{ok} ok")
    if failed:
        parts.append(f"{failed} FAIL")
    if skipped:
        parts.append(f"{skipped} skip")
    return " ".join(parts)


def _row_sort_key(row: tuple[str, str]) -> tuple[int, str, int]:
    driver, major = row
    driver_rank = DRIVER_NAMES.index(driver) if driver in DRIVER_NAMES else len(DRIVER_NAMES)
    major_number = int(major[2:]) if major.startswith("pg") else 0
    return driver_rank, driver, major_number


def skip_reasons(records: Iterable[Record]) -> list[str]:
    """Why auth mode cells skip (a driver that cannot do a mode): one line per distinct reason."""
    lines = set()
    for record in records:
        column, reason = record.get("auth_mode"), record.get("reason")
        if column and reason and record["outcome"] == "skipped":
            driver, major = row_of(record)
            lines.add(f"{driver} {major} {column}: skipped: {reason}")
    return sorted(lines)


def render(records: Iterable[Record]) -> str:
    """The matrix as aligned text, one line per (driver, major), then notes and skip reasons."""
    records = list(records)
    table = tabulate(records)
    columns = [column for column in COLUMNS if any(column in cells for cells in table.values())]
    header = ["driver", "postgres", *columns]
    lines = [header]
    for row in sorted(table, key=_row_sort_key):
        cells = table[row]
        lines.append([row[0], row[1], *(format_cell(cells.get(column)) for column in columns)])
    widths = [max(len(line[index]) for line in lines) for index in range(len(header))]
    text = "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in lines
    )
    notes = [COLUMN_NOTES[column] for column in columns if column in COLUMN_NOTES]
    return "\n".join([text, *notes, *skip_reasons(records)])


def main(argv: list[str] | None = None) -> int:
    """Print the merged matrix of DIR; 1 if any failure (or nothing) is recorded, else 0."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) > 1 or (arguments and arguments[0] in ("-h", "--help")):
        print("usage: python -m tests.harness.matrix [RESULTS_DIR]", file=sys.stderr)
        return 2
    directory = Path(arguments[0]) if arguments else results_dir(Path.cwd())
    if not directory.is_dir():
        print(f"no results directory {directory}", file=sys.stderr)
        return 1
    records = latest_per_test(load_records(directory))
    if not records:
        print(f"no test results in {directory}", file=sys.stderr)
        return 1
    print(render(records))
    failed = [record for record in records if record["outcome"] in FAILED_OUTCOMES]
    print(f"\n{len(records)} tests, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
