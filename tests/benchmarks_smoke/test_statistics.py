"""Medians and ratios: ratios are paired round by round, missing rounds are left out."""

from __future__ import annotations

from benchmarks.drivers import DRIVERS
from benchmarks.results import DriverStatus, RunResults
from benchmarks.runner import rotated


def _results(rounds: int) -> RunResults:
    return RunResults(
        meta={},
        drivers={"a": DriverStatus("a", "a"), "b": DriverStatus("b", "b")},
        workloads=["select1", "connect"],
        rounds=rounds,
    )


def test_ratio_pairs_figures_of_the_same_round():
    results = _results(2)
    for round_index, (a, b) in enumerate([(10.0, 5.0), (30.0, 30.0)]):
        results.record("select1", "a", round_index, a)
        results.record("select1", "b", round_index, b)

    ratio = results.ratio("select1", "a", "b")

    assert ratio is not None
    assert (ratio.low, ratio.high) == (1.0, 2.0)


def test_rounds_missing_a_figure_are_left_out_of_the_ratio():
    results = _results(2)
    results.record("select1", "a", 0, 10.0)
    results.record("select1", "b", 0, 5.0)
    results.record("select1", "a", 1, 99.0)
    results.record_error("select1", "b", 1, "failed")

    ratio = results.ratio("select1", "a", "b")

    assert ratio is not None
    assert (ratio.median, ratio.rounds) == (2.0, 1)


def test_facade_overhead_on_a_throughput_is_the_lost_fraction():
    results = _results(1)
    results.record("select1", "a", 0, 90.0)
    results.record("select1", "b", 0, 100.0)

    overhead = results.overhead("select1", "a", "b")

    assert overhead is not None
    assert abs(overhead.median - (100 / 90 - 1)) < 1e-9


def test_facade_overhead_on_a_duration_is_the_added_fraction():
    results = _results(1)
    results.record("connect", "a", 0, 11.0)
    results.record("connect", "b", 0, 10.0)

    overhead = results.overhead("connect", "a", "b")

    assert overhead is not None
    assert abs(overhead.median - 0.1) < 1e-9


def test_each_round_starts_with_the_next_driver():
    drivers = list(DRIVERS[:3])

    orders = [[spec.name for spec in rotated(drivers, r)] for r in range(3)]

    assert [order[0] for order in orders] == [spec.name for spec in drivers]
    assert all(sorted(order) == sorted(spec.name for spec in drivers) for order in orders)
