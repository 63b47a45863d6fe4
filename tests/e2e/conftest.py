"""Fixtures of the end-to-end tests: one PostgreSQL (the newest selected major), the deployment
packages, the Lambda runtime directory, and functions started under awslambdaric."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lambda_psycopg.bundle import assemble
from lambda_psycopg.isolation import isolation_unavailable_reason

from tests.e2e.function import LambdaFunction, libpq_environment, make_runtime_dir
from tests.harness.cluster import Cluster
from tests.harness.plugin import selected_majors

STATIC_ZIP_ENV = "LAMBDA_PSYCOPG_ZIP"
HANDLER_FILE = Path(__file__).with_name("sample_handler.py")
HANDLER = "sample_handler.handler"
AUTH_MODE = "verify-full"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

StartFunction = Callable[..., LambdaFunction]


def libpq_version_number(zip_name: str) -> int:
    """``psycopg2-2.9.13-libpq-18.6-py3.11-x86_64.zip`` -> 180006 (``PQlibVersion()``)."""
    match = re.search(r"-libpq-(\d+)\.(\d+)-", zip_name)
    if match is None:
        raise ValueError(f"{zip_name} does not name its libpq version")
    return int(match.group(1)) * 10000 + int(match.group(2))


@pytest.fixture(scope="session")
def e2e_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A dedicated server (tests restart it), of the newest selected PostgreSQL major."""
    with Cluster(max(selected_majors(request.config))) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """awslambdaric (+ boto3, as in Lambda's Python runtimes) and nothing else."""
    try:
        return make_runtime_dir(tmp_path_factory.mktemp("lambda-runtime") / "runtime")
    except importlib.metadata.PackageNotFoundError as error:
        pytest.skip(f"{error} is not installed (the hatch environment needs awslambdaric)")


@pytest.fixture(scope="session")
def static_psycopg2_zip() -> Path:
    """The static psycopg2 zip named by $LAMBDA_PSYCOPG_ZIP (built by lambda-psycopg), or
    the zip for this Python and architecture in the ``latest.json`` it names."""
    value = os.environ.get(STATIC_ZIP_ENV)
    if not value:
        pytest.skip(
            f"no static psycopg2: set {STATIC_ZIP_ENV} to the zip of "
            f"`lambda-psycopg build --python {PYTHON} --arch {ARCH}`"
        )
    path = Path(value)
    if not path.is_file():
        pytest.fail(f"{STATIC_ZIP_ENV}={value}: no such file")
    if path.suffix == ".json":  # a build's latest.json: its zip for this Python and arch
        for artifact in json.loads(path.read_text())["artifacts"]:
            if artifact["python"] == PYTHON and artifact["arch"] == ARCH:
                return Path(artifact["zip"])
        pytest.fail(f"{STATIC_ZIP_ENV}={value} lists no zip for py{PYTHON}-{ARCH}")
    return path


@pytest.fixture(scope="session")
def purepg_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample handler with pgfacade and purepg (no psycopg2)."""
    out = tmp_path_factory.mktemp("packages") / "sample-purepg.zip"
    return assemble(out, handler=HANDLER_FILE, python=PYTHON, arch=ARCH).path


@pytest.fixture(scope="session")
def psycopg2_package(tmp_path_factory: pytest.TempPathFactory, static_psycopg2_zip: Path) -> Path:
    """The sample handler with pgfacade, purepg and the static psycopg2."""
    out = tmp_path_factory.mktemp("packages") / "sample-psycopg2.zip"
    return assemble(
        out, handler=HANDLER_FILE, python=PYTHON, arch=ARCH, psycopg2_zip=static_psycopg2_zip
    ).path


@pytest.fixture
def start_function(
    e2e_cluster: Cluster, runtime_dir: Path, tmp_path: Path
) -> Iterator[StartFunction]:
    """Start the sample handler from a package; every function is stopped afterwards.

    ``hide_system_libraries=True`` needs a mount namespace (root) and skips without one.
    """
    started: list[LambdaFunction] = []

    def start(
        package: Path,
        *,
        hide_system_libraries: bool = False,
        environment: dict[str, str] | None = None,
    ) -> LambdaFunction:
        if hide_system_libraries:
            reason = isolation_unavailable_reason()
            if reason is not None:
                pytest.skip(f"cannot hide the system libpq: {reason}")
        if environment is None:
            environment = libpq_environment(e2e_cluster.params(AUTH_MODE))
        function = LambdaFunction(
            package,
            HANDLER,
            tmp_path / f"function-{len(started)}",
            runtime_dir,
            environment=environment,
            hide_system_libraries=hide_system_libraries,
        )
        started.append(function)
        function.start()
        return function

    yield start
    for function in started:
        function.stop()


@pytest.fixture(params=["purepg", "psycopg2"])
def any_function(request: pytest.FixtureRequest, start_function: StartFunction) -> LambdaFunction:
    """The sample handler from each deployment package (static psycopg2: libpq hidden)."""
    if request.param == "psycopg2":
        package = request.getfixturevalue("psycopg2_package")
        return start_function(package, hide_system_libraries=True)
    return start_function(request.getfixturevalue("purepg_package"))
