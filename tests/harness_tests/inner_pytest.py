"""Running a separate pytest process that loads only the harness plugin."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_command(*arguments: str) -> list[str]:
    """The command line of a pytest run with the harness plugin and no cache."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.harness.plugin",
        "-p",
        "no:cacheprovider",
        *arguments,
    ]


def pytest_environment(**variables: str) -> dict[str, str]:
    """This process's environment, with the repository importable and ``variables`` set."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), **variables}
