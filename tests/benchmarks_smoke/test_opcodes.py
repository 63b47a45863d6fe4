"""``python -m benchmarks.opcodes``: bytecodes per request by layer, the figure the machine's
load does not change."""

from __future__ import annotations

from tests.benchmarks_smoke.running import run_module


def _run_opcodes(*arguments: str):
    return run_module("benchmarks.opcodes", *arguments, timeout=300)


def test_counts_bytecodes_per_request_by_purepg_layer():
    completed = _run_opcodes("select1", "--requests", "3")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "purepg select1:" in completed.stdout
    assert "bytecodes" in completed.stdout
    assert "purepg/protocol/machine.py" in completed.stdout


def test_a_workload_that_is_not_a_request_is_rejected_naming_it():
    completed = _run_opcodes("fetch")
    assert completed.returncode == 2
    assert "not a request workload: fetch" in completed.stderr
