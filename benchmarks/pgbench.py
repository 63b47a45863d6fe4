"""pgbench as the C floor for the SELECT workloads: one client, one thread, a custom script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

DEBIAN_PGBENCH = "/usr/lib/postgresql/{major}/bin/pgbench"
RUN_TIMEOUT = 300.0
_TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)

SCRIPTS = {
    "select1": "SELECT 1;\n",
    # With -M extended/prepared, pgbench sends :n as the parameter $1.
    "select_param": "\\set n random(1, 1000000)\nSELECT :n::int;\n",
}


def find_pgbench(major: int) -> tuple[Path | None, str]:
    """pgbench (Debian's postgresql-client, else PATH) and why not when absent."""
    debian = Path(DEBIAN_PGBENCH.format(major=major))
    if debian.is_file():
        return debian, ""
    found = shutil.which("pgbench")
    if found:
        return Path(found), ""
    return None, (
        f"no pgbench: neither {debian} (Debian's postgresql-client-{major}) nor pgbench on PATH;"
        " the embedded server binaries ship none"
    )


def run(
    pgbench: Path,
    *,
    mode: str,
    workload: str,
    transactions: int,
    params: dict[str, str],
    script_dir: Path,
) -> float:
    """Transactions per second (connection time excluded) of ``workload`` with ``-M mode``."""
    script = script_dir / f"pgbench-{workload}.sql"
    script.write_text(SCRIPTS[workload])
    environment = dict(os.environ)
    environment.update({"PGPASSWORD": params.get("password", ""), "PGSSLMODE": "disable"})
    command = [
        str(pgbench),
        "--no-vacuum",
        "--client=1",
        "--jobs=1",
        f"--transactions={transactions}",
        f"--protocol={mode}",
        f"--file={script}",
        f"--host={params['host']}",
        f"--port={params['port']}",
        f"--username={params['user']}",
        params["dbname"],
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=RUN_TIMEOUT, check=False
    )
    match = _TPS.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        output = (completed.stderr or completed.stdout).strip().splitlines() or ["(no output)"]
        raise RuntimeError(f"pgbench exit {completed.returncode}: {output[-1]}")
    return float(match.group(1))
