"""Run dirs left by a killed test process are swept once nothing uses them."""

from __future__ import annotations

import os
import subprocess

from tests.harness.cluster import OWNER_FILE, RUN_DIR_PREFIX, sweep_stale_run_dirs


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def make_run_dir(base, name: str, owner_pid: int):
    run_dir = base / f"{RUN_DIR_PREFIX}{name}"
    (run_dir / "data").mkdir(parents=True)
    (run_dir / OWNER_FILE).write_text(f"{owner_pid}\n")
    return run_dir


def test_run_dir_of_a_dead_process_is_removed(tmp_path):
    run_dir = make_run_dir(tmp_path, "16-dead", dead_pid())

    sweep_stale_run_dirs(tmp_path)

    assert not run_dir.exists()


def test_run_dir_of_a_live_process_is_kept(tmp_path):
    run_dir = make_run_dir(tmp_path, "16-live", os.getpid())

    sweep_stale_run_dirs(tmp_path)

    assert run_dir.exists()


def test_run_dir_whose_server_still_runs_is_kept(tmp_path):
    run_dir = make_run_dir(tmp_path, "16-server", dead_pid())
    (run_dir / "data" / "postmaster.pid").write_text(f"{os.getpid()}\n")

    sweep_stale_run_dirs(tmp_path)

    assert run_dir.exists()
