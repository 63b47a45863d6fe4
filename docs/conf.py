"""Sphinx configuration: MyST markdown pages, built with ``sphinx-build -W -b html docs OUT``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
BENCHMARK_RESULTS = DOCS / "benchmarks" / "results.md"
BENCHMARK_PLACEHOLDER = "<!-- benchmark-results -->"

project = "purepg, pgfacade and lambda-psycopg"
author = "the purepg authors"
copyright = "the purepg authors"

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
# docs/benchmarks/ is written by `python -m benchmarks`; its results.md is included by
# benchmarks.md (see setup below), not built as a page of its own.
exclude_patterns = ["_build", "benchmarks/**"]
myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "purepg, pgfacade and lambda-psycopg"


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
