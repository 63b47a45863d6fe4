"""Run SQLAlchemy's own test suites on our dialects against a harness PostgreSQL cluster.

``python -m tests.sqlalchemy.upstream.run [--pg 16] [--suite compliance,postgresql]
[--targets purepg,pgfacade-purepg,pgfacade-psycopg2] [-n 2] [pytest args]``

The sdist of the installed SQLAlchemy version is downloaded once (``pip download``) into
``$XDG_CACHE_HOME/purepg-sqlalchemy-suite`` (``~/.cache/...``) and unpacked there; each suite
runs from that directory with SQLAlchemy's pytest plugin, ``--dburi`` of the target and our
`plugin` (which selects `requirements.Requirements`). Exit status: 0 when every run passed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.harness.cluster import Cluster

ROOT = Path(__file__).resolve().parents[3]
SUITES = {
    "compliance": ["test/dialect/test_suite.py"],
    "postgresql": ["test/dialect/postgresql"],
}
TARGETS = {
    "purepg": ("purepg", {}),
    "pgfacade-purepg": ("pgfacade", {"driver": "purepg"}),
    "pgfacade-psycopg2": ("pgfacade", {"driver": "psycopg2"}),
    "psycopg2": ("psycopg2", {}),  # SQLAlchemy's own dialect, the reference (not by default)
}
DEFAULT_TARGETS = "purepg,pgfacade-purepg,pgfacade-psycopg2"
DATABASE = "sqla_test"
SCHEMAS = ("test_schema", "test_schema_2")
# SQLAlchemy's suites use the collation "en_US" (test_array_str_collation), which a cluster
# initialised in the C locale lacks: an ICU one (every server binary we use has ICU).
EN_US_COLLATION = """CREATE COLLATION "en_US" (provider = icu, locale = 'en-US')"""


def cache_dir() -> Path:
    """Where sdists are downloaded and unpacked (outside the repository)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "purepg-sqlalchemy-suite"


def sdist_tree(version: str) -> Path:
    """The unpacked sdist of SQLAlchemy ``version``, downloaded and unpacked when missing.

    Only SQLAlchemy itself is fetched as source: its build requirements may come as wheels
    (``pip download`` prepares the sdist's metadata with them).
    """
    target = cache_dir()
    tree = target / f"sqlalchemy-{version}"
    if (tree / "test" / "dialect" / "test_suite.py").is_file():
        return tree
    target.mkdir(parents=True, exist_ok=True)
    archive = target / f"sqlalchemy-{version}.tar.gz"
    if not archive.is_file():
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary"]
        command += ["sqlalchemy", f"sqlalchemy=={version}", "-d", str(target)]
        subprocess.run(command, check=True)
    with tarfile.open(archive) as sdist:
        sdist.extractall(target, filter="data")
    return tree


def prepare_database(cluster: Cluster) -> None:
    """A fresh database with the schemas and collation SQLAlchemy's suites use."""
    import purepg

    with purepg.connect(**cluster.admin_params(dbname="postgres")) as admin:
        admin.autocommit = True
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.cursor().execute(f"CREATE DATABASE {DATABASE}")
    with purepg.connect(**cluster.admin_params(dbname=DATABASE)) as conn:
        conn.autocommit = True
        for schema in SCHEMAS:
            conn.cursor().execute(f"CREATE SCHEMA {schema}")
        conn.cursor().execute(EN_US_COLLATION)


def dburi(target: str, cluster: Cluster) -> str:
    """The URL of ``target`` for the cluster's superuser over its Unix socket."""
    from urllib.parse import quote, urlencode

    dialect, options = TARGETS[target]
    params = cluster.admin_params(dbname=DATABASE)
    query = urlencode({"host": params["host"], "port": params["port"], **options})
    return f"postgresql+{dialect}://{quote(params['user'])}@/{DATABASE}?{query}"


def run_suite(tree: Path, suite: str, target: str, url: str, workers: int, extra: list[str]) -> int:
    """One pytest run of ``suite`` on ``target``; its exit status."""
    command = [sys.executable, "-m", "pytest", *SUITES[suite], "--dburi", url]
    command += ["-p", "tests.sqlalchemy.upstream.plugin", "-p", "no:cacheprovider", "-q"]
    if workers > 1:
        command += ["-n", str(workers)]
    command += extra
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tree)])}
    print(f"\n=== {suite} on {target}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    returncode = subprocess.run(command, cwd=tree, env=env, check=False).returncode
    print(f"=== {suite} on {target}: exit {returncode} in {time.monotonic() - started:.0f}s")
    return returncode


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", type=int, default=16, help="PostgreSQL major (default 16)")
    parser.add_argument("--suite", default="compliance", help=f"of {sorted(SUITES)}")
    parser.add_argument("--targets", default=DEFAULT_TARGETS, help=f"of {list(TARGETS)}")
    parser.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers")
    args, rest = parser.parse_known_args(argv)
    args.pytest_args = rest  # everything else goes to pytest
    for name, known in (("suite", SUITES), ("targets", TARGETS)):
        unknown = [item for item in getattr(args, name).split(",") if item not in known]
        if unknown:
            parser.error(f"--{name}: unknown {unknown}; choose from {sorted(known)}")
    return args


def main(argv: list[str] | None = None) -> int:
    import sqlalchemy

    from tests.harness.cluster import Cluster

    args = parse_args(sys.argv[1:] if argv is None else argv)
    tree = sdist_tree(sqlalchemy.__version__)
    failed: list[str] = []
    with Cluster(args.pg) as cluster:
        for suite in args.suite.split(","):
            for target in args.targets.split(","):
                prepare_database(cluster)
                url = dburi(target, cluster)
                if run_suite(tree, suite, target, url, args.workers, args.pytest_args) != 0:
                    failed.append(f"{suite} on {target}")
    print("\n=== failed: " + (", ".join(failed) if failed else "none"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
