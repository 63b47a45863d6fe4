"""The table printed at the end of a build."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from lambda_psycopg.errors import BuildError
from lambda_psycopg.progress import format_seconds

if TYPE_CHECKING:
    from lambda_psycopg.pipeline import TargetResult


def summary_rows(results: list[TargetResult]) -> list[tuple[str, str, str, str, str]]:
    """(target, zip, size, sha256 prefix, verification) per built target."""
    rows = []
    for result in results:
        info = result.manifest["artifacts"]["zip"]
        size = f"{int(info['size']) / 1e6:.1f} MB"
        verdict = "passed" if result.report.passed else "FAILED"
        rows.append(
            (
                str(result.target),
                str(info["name"]),
                size,
                str(info["sha256"])[:16],
                f"{verdict} ({result.report.level})",
            )
        )
    return rows


def print_summary(
    results: list[TargetResult], failures: list[tuple[str, BuildError]], seconds: float
) -> None:
    """A rich table on a terminal, aligned plain text otherwise."""
    rows = summary_rows(results)
    rows += [(target, "-", "-", "-", "build FAILED") for target, _error in failures]
    header = ("target", "artifact", "size", "sha256", "verification")
    if sys.stdout.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(title=f"lambda-psycopg: {format_seconds(seconds)}")
            for column in header:
                table.add_column(column)
            for row in rows:
                table.add_row(*row)
            Console(highlight=False).print(table)
            return
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\nsummary ({format_seconds(seconds)}):")
    for row in [header, *rows]:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
