"""The run as a markdown page (``results.md``) and as JSON (``results.json``) for tooling."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.drivers import DRIVERS_BY_NAME, REFERENCES, SUBJECT
from benchmarks.results import RunResults, Summary
from benchmarks.targets import Verdict, evaluate, evaluate_facades
from benchmarks.workloads import WORKLOADS_BY_NAME

NOT_APPLICABLE = "—"


def format_value(value: float) -> str:
    """A figure with three significant digits or so: ``11.7k``, ``24.5``, ``0.53``."""
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value / 1000:.1f}k"
    if magnitude >= 1000:
        return f"{value / 1000:.2f}k"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_ratio(value: float) -> str:
    """A ratio precise enough to tell 1.004 from 1.0 next to a threshold."""
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def format_summary(summary: Summary, suffix: str = "") -> str:
    """``median`` over a small ``min-max`` line (ratios: ``suffix="x"``)."""
    show = format_ratio if suffix == "x" else format_value
    if summary.rounds == 1:
        return f"{show(summary.median)}{suffix}"
    low, high = show(summary.low), show(summary.high)
    return f"{show(summary.median)}{suffix}<br><sub>{low}-{high}</sub>"


def format_overhead(summary: Summary) -> str:
    """``+1.2 %`` over ``-0.5-+2.0 %``."""
    text = f"{summary.median:+.1%}"
    if summary.rounds == 1:
        return text
    return f"{text}<br><sub>{summary.low:+.1%} to {summary.high:+.1%}</sub>"


def _verdict_word(met: bool | None) -> str:
    if met is None:
        return "not measured"
    return "**met**" if met else "**missed**"


def shown_drivers(results: RunResults) -> list[str]:
    """The drivers that ran, in the suite's order."""
    return [name for name, status in results.drivers.items() if status.available]


def _label(driver: str) -> str:
    spec = DRIVERS_BY_NAME.get(driver)
    return spec.label if spec else driver


def _cell(results: RunResults, workload: str, driver: str) -> str:
    spec = DRIVERS_BY_NAME.get(driver)
    if spec is not None and spec.is_pgbench and not WORKLOADS_BY_NAME[workload].pgbench:
        return NOT_APPLICABLE
    summary = results.summary(workload, driver)
    if summary is None:
        return "failed" if driver in results.errors.get(workload, {}) else NOT_APPLICABLE
    return format_summary(summary)


def results_table(results: RunResults) -> list[str]:
    """Workloads x drivers, then purepg's ratios to the references."""
    drivers = shown_drivers(results)
    header = ["workload", *(_label(d) for d in drivers)]
    header += [f"{SUBJECT} / {reference}" for reference in REFERENCES]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for workload in results.workloads:
        definition = WORKLOADS_BY_NAME[workload]
        better = "higher is better" if definition.higher_is_better else "lower is better"
        style = definition.calling_style
        row = [f"{definition.title}<br><sub>{definition.unit}, {better}; {style}</sub>"]
        row += [_cell(results, workload, driver) for driver in drivers]
        for reference in REFERENCES:
            ratio = results.ratio(workload, SUBJECT, reference)
            row.append(format_summary(ratio, "x") if ratio else NOT_APPLICABLE)
        lines.append("| " + " | ".join(row) + " |")
    return lines


def targets_table(verdicts: list[Verdict]) -> list[str]:
    """Each purepg target with this run's figure."""
    lines = ["| target | subject / reference (median, min-max) | verdict |", "|---|---|---|"]
    for verdict in verdicts:
        figure = format_summary(verdict.figure, "x") if verdict.figure else NOT_APPLICABLE
        lines.append(f"| {verdict.description} | {figure} | {_verdict_word(verdict.met)} |")
    return lines


def facade_table(verdicts: list[Verdict]) -> list[str]:
    """pgfacade's overhead per workload and backend (target ≤ 3 %)."""
    facades = list(dict.fromkeys(verdict.subject for verdict in verdicts))
    workloads = list(dict.fromkeys(verdict.workload for verdict in verdicts))
    by_key = {(verdict.workload, verdict.subject): verdict for verdict in verdicts}
    header = ["workload", *(f"{_label(f)} over {by_key_reference(verdicts, f)}" for f in facades)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for workload in workloads:
        row = [WORKLOADS_BY_NAME[workload].title]
        for facade in facades:
            verdict = by_key.get((workload, facade))
            if verdict is None or verdict.figure is None:
                row.append(NOT_APPLICABLE)
            else:
                row.append(f"{format_overhead(verdict.figure)} {_verdict_word(verdict.met)}")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def by_key_reference(verdicts: list[Verdict], facade: str) -> str:
    """The driver ``facade`` wraps."""
    for verdict in verdicts:
        if verdict.subject == facade:
            return verdict.reference
    return "?"


def markdown(results: RunResults) -> str:
    """The whole results page."""
    meta = results.meta
    verdicts = evaluate(results)
    facade_verdicts = evaluate_facades(results)
    mode = "quick (smoke-test sizes: the figures mean nothing)" if meta.get("quick") else "full"
    pinned_cpu = meta.get("pinned_cpu")
    placement = (
        f"client and server pinned to CPU {pinned_cpu}"
        if pinned_cpu is not None
        else "client and server not pinned"
    )
    clock = (
        " Figures from on-CPU time (`--clock cpu`: the worker plus its server backend; connect, "
        "import and cold start from elapsed time)."
        if meta.get("clock") == "cpu"
        else ""
    )
    lines = [
        "# Driver benchmarks",
        "",
        f"Run {meta.get('started', '?')}, {mode} mode, {results.rounds} rounds, "
        f"{meta.get('duration_s', '?')} s. PostgreSQL {meta.get('postgresql', '?')}, "
        f"{meta.get('auth', '?')}. Python {meta.get('python', '?')} on {meta.get('cpu', '?')} "
        f"({meta.get('cpus', '?')} CPUs), {placement}. Load average before/after: "
        f"{meta.get('load_average_before')} / {meta.get('load_average_after')}.{clock}",
        "",
        "Each cell: the median over rounds, min-max below. Ratios are paired within each round "
        "(both drivers measured minutes apart at most), then the median and min-max of those "
        "ratios: compare drivers through ratios, never across runs or machines.",
        "",
        *results_table(results),
        "",
        "## Targets",
        "",
        *targets_table(verdicts),
    ]
    if facade_verdicts:
        lines += [
            "",
            "## pgfacade overhead over the driver it wraps (target ≤ 3 %)",
            "",
            "Positive: the facade is slower. Differences of a few percent are within this "
            "machine's noise; look at the min-max.",
            "",
            *facade_table(facade_verdicts),
        ]
    lines += ["", "## Drivers", "", "| driver | version | from / reason |", "|---|---|---|"]
    for name, status in results.drivers.items():
        where = status.module_file if status.available else f"not available: {status.reason}"
        lines.append(f"| {_label(name)} | {status.version or NOT_APPLICABLE} | {where} |")
    errors = [
        f"- {workload} / {driver}: {message}"
        for workload, per_driver in results.errors.items()
        for driver, message in per_driver.items()
    ]
    if errors:
        lines += ["", "## Failures", "", *errors]
    sizes = ", ".join(f"{name} {size}" for name, size in meta.get("sizes", {}).items())
    lines += ["", "## Method", "", f"Sizes per round: {sizes}.", "", *METHOD_NOTES]
    return "\n".join(lines) + "\n"


METHOD_NOTES = [
    "- Every Python driver runs in its own worker subprocess (imports never mix; the static "
    "psycopg2 runs with its build directory first on `sys.path`, without psycopg2-binary). "
    "Each round runs every workload for every driver once, in an order rotated each round.",
    "- import / cold start: a fresh interpreter per sample, timed from inside (interpreter "
    "start-up excluded), with bytecode already compiled in a shared `PYTHONPYCACHEPREFIX`; the "
    "round's figure is the median of its samples. Cold start = import + the first connect + "
    "close, what a new Lambda execution environment pays.",
    "- connect: connect + SCRAM-SHA-256 + close over TCP 127.0.0.1, sslmode=disable.",
    "- SELECT workloads: called as users write them, the calling style under each title: one "
    "cursor, per operation `execute` then `fetchall()` (or `fetchone()`), autocommit on, or "
    "autocommit off with `commit()` after each call; the driver's own parameter style (asyncpg: "
    "`fetch` / `fetchrow`, in a `transaction()` per call when autocommit is off). Rows marked "
    "extra are not user code (the old suite's loop: `fetchone`, 3000 calls in one transaction) "
    "and are never targets. pgbench: one client, `--protocol=extended` / `prepared`, "
    "connection time excluded.",
    "- fetch: `SELECT *` of a table of int, bigint, text, numeric, float8, bool, date, "
    "timestamptz, uuid, jsonb, all rows at once (asyncpg given a json.loads jsonb codec, so "
    "every driver returns Python objects; psycopg2 returns uuid as str, its default).",
    "- executemany: INSERT of (int, text, float8, timestamptz) rows with one `executemany`, "
    "then commit. COPY: text format through an in-memory file, 64 KiB chunks where the driver "
    "takes a size.",
    "- peak memory: a fresh worker (no warm-up) measures its resident set size, fetches all "
    "rows, and reports its peak resident set size (`VmHWM`; not `ru_maxrss`, which Linux "
    "carries over from the parent process) minus that: the peak growth, including memory a C "
    "library allocates outside Python (tracemalloc would miss libpq's result buffer).",
]


def json_document(results: RunResults) -> dict[str, Any]:
    """Raw samples plus every statistic of the page."""
    document = results.to_json()
    summaries: dict[str, dict[str, Any]] = {}
    ratios: dict[str, dict[str, Any]] = {}
    for workload in results.workloads:
        definition = WORKLOADS_BY_NAME[workload]
        summaries[workload] = {
            "unit": definition.unit,
            "higher_is_better": definition.higher_is_better,
            "drivers": {},
        }
        for driver in results.drivers:
            summary = results.summary(workload, driver)
            if summary is not None:
                summaries[workload]["drivers"][driver] = asdict(summary)
        ratios[workload] = {}
        for reference in REFERENCES:
            ratio = results.ratio(workload, SUBJECT, reference)
            if ratio is not None:
                ratios[workload][f"{SUBJECT}/{reference}"] = asdict(ratio)
    document["summary"] = summaries
    document["ratios"] = ratios
    document["targets"] = [_verdict_json(verdict) for verdict in evaluate(results)]
    document["facade_overhead"] = [_verdict_json(v) for v in evaluate_facades(results)]
    return document


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    data = asdict(verdict)
    return data


def write(results: RunResults, out_dir: Path) -> tuple[Path, Path]:
    """Write ``results.md`` and ``results.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown_path = out_dir / "results.md"
    json_path = out_dir / "results.json"
    markdown_path.write_text(markdown(results))
    json_path.write_text(json.dumps(json_document(results), indent=2) + "\n")
    return markdown_path, json_path
