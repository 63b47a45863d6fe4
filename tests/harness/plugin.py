"""pytest plugin: PostgreSQL clusters per major version, auth modes, and the results matrix.

- ``--pg 13,16`` / ``$PG_VERSIONS`` selects the majors (default: all supported).
- A test using ``pg_cluster`` is parametrised over them (``pg_major``, ids ``pg13``...);
  clusters are session-scoped, started on first use, cached per major, always stopped.
- ``auth_mode`` is parametrised over ``AUTH_MODES``; ``gss_cluster`` is the ``gss`` column's
  server and KDC (``tests.harness.kerberos``), its tests run when ``--pg`` selects 15.
- Every outcome is recorded (see ``tests.harness.results``) and the run ends with its matrix.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, Union

import pytest

from tests.harness import apt, matrix
from tests.harness.auth_modes import AUTH_MODES
from tests.harness.binaries import SUPPORTED_MAJORS
from tests.harness.cluster import Cluster
from tests.harness.gss_prerequisites import RUNTIME_FILES
from tests.harness.kerberos import GssCluster
from tests.harness.results import ResultsRecorder, new_run_id, results_dir

PG_VERSIONS_ENV = "PG_VERSIONS"
RECORDER_NAME = "pg-harness-results"

_SignalHandler = Union[Any, int, None]

_pool_key = pytest.StashKey["ClusterPool"]()
_previous_sigterm_key = pytest.StashKey[_SignalHandler]()


class ClusterPool:
    """Clusters of this session, one per major, started on first request."""

    def __init__(self) -> None:
        self._clusters: dict[int, Cluster] = {}

    def get(self, major: int) -> Cluster:
        """The running cluster of ``major``, started now if needed."""
        cluster = self._clusters.get(major)
        if cluster is None:
            cluster = Cluster(major)
            self._clusters[major] = cluster
            cluster.start()
        return cluster

    def stop_all(self) -> None:
        """Stop every cluster of the pool."""
        clusters = list(self._clusters.values())
        self._clusters.clear()
        for cluster in clusters:
            cluster.stop()


def parse_majors(text: str) -> list[int]:
    """``"13, 16"`` -> ``[13, 16]``; anything unsupported raises ``pytest.UsageError``."""
    majors: list[int] = []
    for item in text.split(","):
        part = item.strip().lower().removeprefix("pg")
        if not part:
            continue
        if not part.isdigit() or int(part) not in SUPPORTED_MAJORS:
            supported = ",".join(str(major) for major in SUPPORTED_MAJORS)
            raise pytest.UsageError(
                f"--pg / {PG_VERSIONS_ENV}: {part!r} is not a supported PostgreSQL major "
                f"(supported: {supported})"
            )
        if int(part) not in majors:
            majors.append(int(part))
    if not majors:
        raise pytest.UsageError(f"--pg / {PG_VERSIONS_ENV} selects no PostgreSQL version")
    return majors


def selected_majors(config: pytest.Config) -> list[int]:
    """The majors chosen by ``--pg``, else ``$PG_VERSIONS``, else all supported ones."""
    text = config.getoption("pg_versions") or os.environ.get(PG_VERSIONS_ENV)
    if not text:
        return list(SUPPORTED_MAJORS)
    return parse_majors(text)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pg-harness", "PostgreSQL test clusters")
    group.addoption(
        "--pg",
        dest="pg_versions",
        default=None,
        metavar="MAJORS",
        help=f"comma-separated PostgreSQL majors to test against (default ${PG_VERSIONS_ENV} "
        f"or {','.join(str(major) for major in SUPPORTED_MAJORS)})",
    )


def pytest_configure(config: pytest.Config) -> None:
    selected_majors(config)  # a bad --pg fails now, with a usage error
    config.stash[_pool_key] = ClusterPool()
    is_xdist_worker = hasattr(config, "workerinput")
    recorder = ResultsRecorder(
        results_dir(Path(str(config.rootpath))), new_run_id(), write=not is_xdist_worker
    )
    config.pluginmanager.register(recorder, RECORDER_NAME)
    if threading.current_thread() is threading.main_thread():
        config.stash[_previous_sigterm_key] = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_pool_key, None)
    if pool is not None:
        pool.stop_all()
    previous = config.stash.get(_previous_sigterm_key, None)
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


def _interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into Ctrl-C: pytest then tears the session down and stops the clusters."""
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pg_major" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else ""
        if "pg_major" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return
    majors = selected_majors(metafunc.config)
    metafunc.parametrize(
        "pg_major", majors, ids=[f"pg{major}" for major in majors], scope="session"
    )


@pytest.fixture(scope="session")
def pg_cluster_pool(request: pytest.FixtureRequest) -> Iterator[ClusterPool]:
    """The session's clusters; all are stopped when the session ends."""
    pool = request.config.stash[_pool_key]
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def pg_cluster(pg_major: int, pg_cluster_pool: ClusterPool) -> Cluster:
    """A running cluster of PostgreSQL ``pg_major`` (shared by the whole session)."""
    return pg_cluster_pool.get(pg_major)


@pytest.fixture(scope="session")
def gss_server() -> Iterator[GssCluster]:
    """Debian's PostgreSQL 15 with an MIT KDC, and the test user's ticket in the realm's cache.

    The Debian packages are installed when missing and we are root (a failed install fails);
    otherwise the test skips.
    """
    try:
        apt.ensure_packages(RUNTIME_FILES)
    except apt.PackagesUnavailableError as exc:
        pytest.skip(str(exc))
    except apt.PackagesInstallError as exc:
        pytest.fail(str(exc))
    cluster = GssCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def gss_cluster(gss_server: GssCluster, monkeypatch: pytest.MonkeyPatch) -> GssCluster:
    """The GSS cluster, with ``KRB5_CONFIG`` and ``KRB5CCNAME`` set for this test only (libpq
    would otherwise try GSS encryption on every other server of the session)."""
    for name, value in gss_server.kerberos.client_environment().items():
        monkeypatch.setenv(name, value)
    return gss_server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect tests pinned to a major (``parametrize("pg_major", ...)``) that --pg leaves out."""
    majors = selected_majors(config)
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        major = callspec.params.get("pg_major") if callspec is not None else None
        (dropped if isinstance(major, int) and major not in majors else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=AUTH_MODES)
def auth_mode(request: pytest.FixtureRequest) -> str:
    """Each authentication mode of ``tests.harness.auth_modes.AUTH_MODES`` in turn."""
    mode: str = request.param
    return mode


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recorder = config.pluginmanager.get_plugin(RECORDER_NAME)
    if not isinstance(recorder, ResultsRecorder) or not recorder.records:
        return
    if not matrix.has_matrix_params(recorder.records):
        return
    terminalreporter.section("PostgreSQL conformance matrix")
    terminalreporter.write_line(matrix.render(recorder.records))
    if recorder.writes:
        terminalreporter.write_line(f"results: {recorder.path}")
