"""The speed targets purepg and pgfacade are held to: ratios within one run."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.drivers import FACADES, SUBJECT
from benchmarks.results import RunResults, Summary
from benchmarks.workloads import WORKLOADS_BY_NAME

FACADE_OVERHEAD_LIMIT = 0.03


@dataclass(frozen=True)
class Target:
    """``subject / reference`` on ``workload`` must be at least (or at most) ``threshold``."""

    workload: str
    reference: str
    at_least: bool
    threshold: float
    subject: str = SUBJECT

    def describe(self) -> str:
        """E.g. ``fetch ≥ 2.0x pg8000``."""
        title = WORKLOADS_BY_NAME[self.workload].title
        sign = "≥" if self.at_least else "≤"
        return f"{title}: {self.subject} {sign} {self.threshold:g}x {self.reference}"


AIO = "purepg-aio"
TARGETS: tuple[Target, ...] = (
    # Speed, round 2 (issue 20): per round trip near libpq, bulk work ahead, asyncio vs asyncpg.
    Target("select1", "psycopg2-binary", True, 0.9),
    Target("select_param", "psycopg2-binary", True, 0.9),
    Target("fetch", "psycopg2-binary", True, 1.0),
    Target("executemany", "asyncpg", True, 0.5),
    Target("copy_in", "psycopg2-binary", True, 1.0),
    Target("copy_out", "psycopg2-binary", True, 1.0),
    Target("select1", "asyncpg", True, 1.0, subject=AIO),
    Target("select_param", "asyncpg", True, 1.0, subject=AIO),
    Target("fetch", "asyncpg", True, 0.6, subject=AIO),
    Target("cold_start", "psycopg2-static", False, 0.8),
    # Round 1, still held.
    Target("fetch", "pg8000", True, 2.0),
    Target("import", "pg8000", False, 0.5),
    Target("connect", "psycopg2-binary", False, 1.2),
    Target("memory", "pg8000", False, 1.0),
)


@dataclass(frozen=True)
class Verdict:
    """A target with this run's figure: ``met`` is None when it could not be measured."""

    description: str
    workload: str
    subject: str
    reference: str
    figure: Summary | None
    met: bool | None
    limit: str


def evaluate(results: RunResults) -> list[Verdict]:
    """Every target (purepg's, purepg.aio's) that this run's workloads cover."""
    verdicts = []
    for target in TARGETS:
        if target.workload not in results.workloads:
            continue
        ratio = results.ratio(target.workload, target.subject, target.reference)
        met = None
        if ratio is not None:
            met = (
                ratio.median >= target.threshold
                if target.at_least
                else (ratio.median <= target.threshold)
            )
        limit = f"{'≥' if target.at_least else '≤'} {target.threshold:g}x"
        verdicts.append(
            Verdict(
                target.describe(),
                target.workload,
                target.subject,
                target.reference,
                ratio,
                met,
                limit,
            )
        )
    return verdicts


def evaluate_facades(results: RunResults) -> list[Verdict]:
    """pgfacade's overhead over the driver it wraps, per workload (≤ 3 %)."""
    verdicts = []
    for facade, driver in FACADES.items():
        for workload in results.workloads:
            overhead = results.overhead(workload, facade, driver)
            if overhead is None:
                continue
            verdicts.append(
                Verdict(
                    f"{WORKLOADS_BY_NAME[workload].title}: {facade} over {driver}",
                    workload,
                    facade,
                    driver,
                    overhead,
                    overhead.median <= FACADE_OVERHEAD_LIMIT,
                    f"≤ {FACADE_OVERHEAD_LIMIT:.0%}",
                )
            )
    return verdicts
