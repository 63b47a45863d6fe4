"""The raw results of one run (one figure per workload, driver and round) and the statistics
drawn from them: medians with min-max over rounds, and ratios paired round by round."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.workloads import WORKLOADS_BY_NAME


@dataclass
class DriverStatus:
    """Whether a driver ran, and what exactly ran."""

    name: str
    label: str
    available: bool = True
    reason: str = ""
    version: str = ""
    module_file: str = ""


@dataclass(frozen=True)
class Summary:
    """Median with min-max over rounds, and how many rounds had a figure."""

    median: float
    low: float
    high: float
    rounds: int


@dataclass
class RunResults:
    """Everything one run measured. ``samples[workload][driver][round]``: None = no figure."""

    meta: dict[str, Any]
    drivers: dict[str, DriverStatus]
    workloads: list[str]
    rounds: int
    samples: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)

    def record(self, workload: str, driver: str, round_index: int, value: float) -> None:
        """Store one round's figure."""
        row = self.samples.setdefault(workload, {}).setdefault(driver, [None] * self.rounds)
        row[round_index] = value

    def record_error(self, workload: str, driver: str, round_index: int, message: str) -> None:
        """Remember why a figure is missing (the first error of each workload and driver)."""
        self.samples.setdefault(workload, {}).setdefault(driver, [None] * self.rounds)
        self.errors.setdefault(workload, {}).setdefault(
            driver, f"round {round_index + 1}: {message}"
        )

    def values(self, workload: str, driver: str) -> list[float | None]:
        """The per-round figures (None where missing)."""
        return self.samples.get(workload, {}).get(driver, [])

    def summary(self, workload: str, driver: str) -> Summary | None:
        """Median and min-max over the rounds that have a figure."""
        present = [value for value in self.values(workload, driver) if value is not None]
        if not present:
            return None
        return Summary(statistics.median(present), min(present), max(present), len(present))

    def ratio(self, workload: str, driver: str, reference: str) -> Summary | None:
        """``driver / reference``, paired within each round, then median and min-max."""
        pairs = zip(self.values(workload, driver), self.values(workload, reference))
        ratios = [a / b for a, b in pairs if a is not None and b is not None and b != 0]
        if not ratios:
            return None
        return Summary(statistics.median(ratios), min(ratios), max(ratios), len(ratios))

    def overhead(self, workload: str, facade: str, driver: str) -> Summary | None:
        """What the facade costs over the driver it wraps (0.02 = 2 % slower), per round."""
        ratio = self.ratio(workload, facade, driver)
        if ratio is None:
            return None
        if WORKLOADS_BY_NAME[workload].higher_is_better:
            # Throughput: the facade's cost is driver/facade - 1 (ratio bounds swap).
            return Summary(
                1 / ratio.median - 1, 1 / ratio.high - 1, 1 / ratio.low - 1, ratio.rounds
            )
        return Summary(ratio.median - 1, ratio.low - 1, ratio.high - 1, ratio.rounds)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the raw results (statistics are added by the report)."""
        return {
            "meta": self.meta,
            "rounds": self.rounds,
            "workloads": self.workloads,
            "drivers": {name: asdict(status) for name, status in self.drivers.items()},
            "samples": self.samples,
            "errors": self.errors,
        }


def from_json(document: dict[str, Any]) -> RunResults:
    """The raw results back from ``results.json`` (to re-render the page and the chart)."""
    return RunResults(
        meta=document["meta"],
        drivers={name: DriverStatus(**status) for name, status in document["drivers"].items()},
        workloads=list(document["workloads"]),
        rounds=int(document["rounds"]),
        samples=document["samples"],
        errors=document["errors"],
    )
