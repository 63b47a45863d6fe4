"""``python -m pgfacade info``: which driver connect() uses, and why."""

from __future__ import annotations

import argparse
import json
import sys

from . import driver_info
from .connecting import DriverNotAvailableError


def main(argv: list[str] | None = None) -> int:
    """Print ``driver_info()`` (``--json`` for machines); exit 1 when no driver is usable."""
    parser = argparse.ArgumentParser(prog="python -m pgfacade")
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("info", help="the backend driver connect() uses, and why")
    info.add_argument("--driver", choices=("psycopg2", "purepg"), help="force a driver")
    info.add_argument("--json", action="store_true", help="print JSON")
    arguments = parser.parse_args(argv)
    try:
        facts = driver_info(arguments.driver)
    except (DriverNotAvailableError, ValueError) as exc:
        print(f"pgfacade: {exc}", file=sys.stderr)
        return 1
    if arguments.json:
        print(json.dumps(facts, indent=2))
        return 0
    for key, value in facts.items():
        if key == "import_errors":
            continue
        print(f"{key:24} {value}")
    for name, error in facts["import_errors"].items():
        print(f"{'import error ' + name:24} {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
