"""Running a benchmark command as a user does: ``python -m MODULE`` from the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_module(
    module: str, *arguments: str, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """``python -m module arguments`` in the repository root, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
