"""Sphinx configuration: MyST markdown pages, built with ``sphinx-build -W -b html docs OUT``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))  # the documentation's own Sphinx extensions

import purepg  # noqa: E402 - after the path setup above

BENCHMARK_RESULTS = DOCS / "benchmarks" / "results.md"
BENCHMARK_PLACEHOLDER = "<!-- benchmark-results -->"

project = "purepg, pgfacade and lambda-psycopg"
author = "the purepg, pgfacade and lambda-psycopg authors"
copyright = "2026 the purepg, pgfacade and lambda-psycopg authors"
release = version = purepg.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_copybutton",
    "internal_members",
    "sqlstate_table",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
# docs/benchmarks/ is written by `python -m benchmarks`; its results.md is included by
# benchmarks.md (see setup below), not built as a page of its own. _ext: Python, not pages.
exclude_patterns = ["_build", "_ext", "benchmarks/**"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# The API reference (docs/api/): docstrings, in source order, signatures with their hints.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}

# furo: code blocks scroll and tables stay within the content column; the version in the title.
html_theme = "furo"
html_title = f"purepg, pgfacade and lambda-psycopg {release}"
# Copy commands without their prompt ($ in console blocks, >>> in sessions).
copybutton_prompt_text = r"\$ |>>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False


def _include_benchmark_results(app: Any, docname: str, source: list[str]) -> None:
    """Replace the placeholder of benchmarks.md with the results, when they exist."""
    if docname != "benchmarks" or BENCHMARK_PLACEHOLDER not in source[0]:
        return
    if BENCHMARK_RESULTS.is_file():
        block = "```{include} benchmarks/results.md\n:relative-images:\n:heading-offset: 1\n```\n"
    else:
        block = (
            "No results are checked in yet: run `python -m benchmarks` (see above) to write "
            "`docs/benchmarks/results.md`, which this page then includes.\n"
        )
    source[0] = source[0].replace(BENCHMARK_PLACEHOLDER, block)


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _include_benchmark_results)
    return {"parallel_read_safe": True}
