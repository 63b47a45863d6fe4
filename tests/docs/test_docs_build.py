"""The Sphinx documentation builds with warnings as errors (``sphinx-build -W -b html``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="sphinx is not installed in this environment")
    pytest.importorskip("myst_parser", reason="myst-parser is not installed in this environment")

    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert build.returncode == 0, build.stderr or build.stdout
    assert (tmp_path / "html" / "index.html").is_file()
    assert (tmp_path / "html" / "guide" / "types.html").is_file()
