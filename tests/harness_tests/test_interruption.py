"""An interrupted test run leaves no PostgreSQL process behind, however it is interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness.plugin import selected_majors
from tests.harness_tests.inner_pytest import pytest_command, pytest_environment

WAIT_LIMIT = 60.0

HOLDING_TEST = """
import os
import time
from pathlib import Path


def test_holds_a_cluster(pg_cluster):
    Path(os.environ["HOLD_FILE"]).write_text(str(pg_cluster.data_dir))
    time.sleep(600)
"""


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"gave up after {WAIT_LIMIT:.0f}s waiting for {what}")


def _read_proc(pid: str, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def live_processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, cmdline) of every process that is not a zombie."""
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read_proc(entry, "stat")
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) < 2 or fields[0] == b"Z":
            continue
        processes[int(entry)] = (int(fields[1]), _read_proc(entry, "cmdline"))
    return processes


def server_processes(data_dir: str, known: set[int]) -> set[int]:
    """Live processes naming ``data_dir`` (the postmaster), their children, and ``known`` ones."""
    processes = live_processes()
    found = {pid for pid, (_, cmdline) in processes.items() if data_dir.encode() in cmdline}
    found |= {pid for pid, (parent, _) in processes.items() if parent in found}
    found |= known & set(processes)
    return found


@pytest.fixture
def holding_run(tmp_path, request):
    """Start a pytest run whose only test holds a cluster; yield (process, data dir)."""
    (tmp_path / "test_hold.py").write_text(HOLDING_TEST)
    hold_file = tmp_path / "hold"
    major = selected_majors(request.config)[0]
    process = subprocess.Popen(
        pytest_command("--pg", str(major), "-q", "test_hold.py"),
        cwd=tmp_path,
        env=pytest_environment(
            HOLD_FILE=str(hold_file), TEST_RESULTS_DIR=str(tmp_path / "results")
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data_dir = ""
    try:
        wait_for(lambda: hold_file.exists() and hold_file.read_text(), "the cluster to start")
        data_dir = hold_file.read_text()
        yield process, data_dir
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if data_dir:
            shutil.rmtree(Path(data_dir).parent, ignore_errors=True)


@pytest.mark.parametrize(
    "signal_number",
    [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
    ids=["SIGINT", "SIGTERM", "SIGKILL"],
)
def test_interrupted_run_leaves_no_server_behind(holding_run, signal_number):
    process, data_dir = holding_run
    servers = server_processes(data_dir, set())
    assert servers, f"no server process found for {data_dir}"

    process.send_signal(signal_number)
    process.wait(timeout=WAIT_LIMIT)

    wait_for(lambda: not server_processes(data_dir, servers), f"the servers of {data_dir} to end")


@pytest.mark.parametrize(
    "signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)
def test_interrupted_run_deletes_its_cluster_files(holding_run, signal_number):
    process, data_dir = holding_run

    process.send_signal(signal_number)
    process.wait(timeout=WAIT_LIMIT)

    assert not Path(data_dir).parent.exists()
