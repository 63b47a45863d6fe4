"""``chart.png``: one panel per workload, one bar per driver (median, min-max whiskers)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.drivers import DRIVERS_BY_NAME, FACADES, REFERENCES, SUBJECT
from benchmarks.report import format_value
from benchmarks.results import RunResults
from benchmarks.workloads import WORKLOADS_BY_NAME

COLUMNS = 3
SUBJECT_COLOUR = "#d95f02"
FACADE_COLOUR = "#fdae6b"
REFERENCE_COLOUR = "#1b9e77"
PGBENCH_COLOUR = "#7f7f7f"
OTHER_COLOUR = "#7570b3"


def _colour(driver: str) -> str:
    if driver == SUBJECT:
        return SUBJECT_COLOUR
    if driver in FACADES:
        return FACADE_COLOUR
    if driver in REFERENCES:
        return REFERENCE_COLOUR
    if driver.startswith("pgbench"):
        return PGBENCH_COLOUR
    return OTHER_COLOUR


def _label(driver: str) -> str:
    spec = DRIVERS_BY_NAME.get(driver)
    return spec.label if spec else driver


def draw(results: RunResults, path: Path) -> Path:
    """Write the chart to ``path`` (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = results.workloads
    rows = max(1, math.ceil((len(workloads) + 1) / COLUMNS))
    figure, axes_grid = plt.subplots(
        rows, COLUMNS, figsize=(6.0 * COLUMNS, 3.6 * rows), squeeze=False
    )
    axes_list: list[Any] = [axes for row in axes_grid for axes in row]
    for axes, workload in zip(axes_list, workloads):
        _panel(axes, results, workload)
    spare = axes_list[len(workloads) :]
    if spare:
        _ratio_panel(spare[0], results)
    for axes in spare[1:]:
        axes.axis("off")
    mode = "quick mode: sizes too small to mean anything" if results.meta.get("quick") else ""
    meta = results.meta
    title = (
        f"PostgreSQL drivers, median of {results.rounds} rounds (whiskers: min-max); "
        f"PostgreSQL {meta.get('postgresql', '?')}, Python {meta.get('python', '?')}"
    )
    figure.suptitle(f"{title}\n{mode}" if mode else title, fontsize=12)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _panel(axes: Any, results: RunResults, workload: str) -> None:
    definition = WORKLOADS_BY_NAME[workload]
    drivers, medians, lows, highs = [], [], [], []
    for driver in results.drivers:
        summary = results.summary(workload, driver)
        if summary is None:
            continue
        drivers.append(driver)
        medians.append(summary.median)
        lows.append(summary.median - summary.low)
        highs.append(summary.high - summary.median)
    better = "higher is better" if definition.higher_is_better else "lower is better"
    axes.set_title(f"{definition.title} ({definition.unit}, {better})", fontsize=10)
    if not drivers:
        axes.text(0.5, 0.5, "no figures", ha="center", va="center", transform=axes.transAxes)
        axes.set_yticks([])
        return
    positions = list(range(len(drivers)))
    axes.barh(
        positions,
        medians,
        xerr=[lows, highs],
        color=[_colour(driver) for driver in drivers],
        capsize=3,
        error_kw={"elinewidth": 1},
    )
    axes.set_yticks(positions)
    axes.set_yticklabels([_label(driver) for driver in drivers], fontsize=8)
    axes.invert_yaxis()
    axes.tick_params(axis="x", labelsize=8)
    peak = max(median + high for median, high in zip(medians, highs))
    axes.set_xlim(0, peak * 1.25 if peak > 0 else 1)
    for position, median, high in zip(positions, medians, highs):
        axes.text(median + high, position, " " + format_value(median), va="center", fontsize=7)


def _ratio_panel(axes: Any, results: RunResults) -> None:
    """purepg against psycopg2-binary on every workload, as "times better" (>1: purepg wins)."""
    reference = REFERENCES[0]
    titles, factors = [], []
    for workload in results.workloads:
        ratio = results.ratio(workload, SUBJECT, reference)
        if ratio is None or ratio.median <= 0:
            continue
        higher = WORKLOADS_BY_NAME[workload].higher_is_better
        titles.append(WORKLOADS_BY_NAME[workload].title)
        factors.append(ratio.median if higher else 1 / ratio.median)
    axes.set_title(f"{SUBJECT} vs {reference} (x better; >1: {SUBJECT} wins)", fontsize=10)
    if not factors:
        axes.axis("off")
        return
    positions = list(range(len(factors)))
    colours = [SUBJECT_COLOUR if factor >= 1 else REFERENCE_COLOUR for factor in factors]
    axes.barh(positions, factors, color=colours)
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xscale("log")
    ticks = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    low, high = min(*factors, 1.0) / 1.5, max(*factors, 1.0) * 1.5
    axes.set_xlim(low, high)
    axes.set_xticks([tick for tick in ticks if low <= tick <= high])
    axes.set_xticks([], minor=True)
    axes.set_xticklabels([f"{tick:g}" for tick in ticks if low <= tick <= high])
    axes.set_yticks(positions)
    axes.set_yticklabels(titles, fontsize=8)
    axes.invert_yaxis()
    axes.tick_params(axis="x", labelsize=8)
    for position, factor in zip(positions, factors):
        axes.text(factor, position, f" {factor:.2f}", va="center", fontsize=7)
