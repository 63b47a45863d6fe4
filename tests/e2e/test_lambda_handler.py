"""The sample handler, deployed as a zip and run the way Lambda runs it: unpacked, in a fresh
isolated interpreter, under the real runtime interface client (awslambdaric), several
invocations per execution environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from moto.server import ThreadedMotoServer

from tests.e2e.cluster_restart import restart_cluster
from tests.e2e.conftest import AUTH_MODE, StartFunction, libpq_version_number
from tests.e2e.function import LambdaFunction, libpq_environment
from tests.e2e.runtime_api import Invocation
from tests.harness.cluster import Cluster

WARM_INVOCATIONS = 3


def result_of(invocation: Invocation) -> dict[str, Any]:
    """The handler's JSON; fails with the posted error when it raised."""
    assert invocation.succeeded, f"the handler failed: {invocation.body}"
    body: dict[str, Any] = invocation.body
    return body


def inside(path: str, directory: Path) -> bool:
    return Path(path).resolve().is_relative_to(directory.resolve())


def test_static_package_runs_its_own_psycopg2_with_the_system_libpq_hidden(
    start_function: StartFunction, psycopg2_package: Path, static_psycopg2_zip: Path
) -> None:
    function = start_function(psycopg2_package, hide_system_libraries=True)
    results = [result_of(function.invoke({})) for _ in range(WARM_INVOCATIONS)]
    for result in results:
        assert result["driver"] == "psycopg2"
        assert inside(result["driver_file"], function.task_dir)
        assert result["libpq_version"] == libpq_version_number(static_psycopg2_zip.name)
        assert result["loaded_libraries"] == []  # no libpq/libssl/libcrypto mapped at all
        assert result["ssl"] is True


def test_package_without_psycopg2_runs_purepg_from_the_package(
    start_function: StartFunction, purepg_package: Path
) -> None:
    function = start_function(purepg_package)
    results = [result_of(function.invoke({})) for _ in range(WARM_INVOCATIONS)]
    for result in results:
        assert result["driver"] == "purepg"
        assert inside(result["driver_file"], function.task_dir)
        assert "psycopg2" in result["import_errors"]
        assert result["ssl"] is True


def test_only_the_package_the_runtime_and_the_standard_library_are_importable(
    start_function: StartFunction, purepg_package: Path
) -> None:
    function = start_function(purepg_package)
    result = result_of(function.invoke({}))
    stdlib = Path(sys.base_prefix) / "lib"
    for entry in result["sys_path"]:
        allowed = (function.task_dir, function.runtime_dir, stdlib)
        assert any(inside(entry, directory) for directory in allowed), entry
        assert "site-packages" not in entry
    assert inside(result["pgfacade_file"], function.task_dir)


def test_warm_invocations_reuse_one_connection(any_function: LambdaFunction) -> None:
    results = [result_of(any_function.invoke({})) for _ in range(WARM_INVOCATIONS)]
    assert len({result["backend_pid"] for result in results}) == 1


def test_the_invocation_after_a_database_restart_reconnects_and_succeeds(
    any_function: LambdaFunction, e2e_cluster: Cluster
) -> None:
    before = result_of(any_function.invoke({}))
    restart_cluster(e2e_cluster)
    after = result_of(any_function.invoke({}))
    assert after["backend_pid"] != before["backend_pid"]
    assert result_of(any_function.invoke({}))["backend_pid"] == after["backend_pid"]


def test_a_query_longer_than_the_deadline_is_cancelled_before_it_and_the_next_one_works(
    any_function: LambdaFunction,
) -> None:
    result_of(any_function.invoke({}))
    slow = any_function.invoke({"sleep": 60}, timeout_ms=2500)
    assert slow.outcome == "error"
    assert slow.body["errorType"] == "QueryCanceled"
    assert slow.finished_before_deadline
    assert result_of(any_function.invoke({}))["driver"] in ("purepg", "psycopg2")


@pytest.fixture
def secrets_endpoint() -> Any:
    """moto's Secrets Manager on 127.0.0.1 (a free port)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_credentials_come_from_a_secrets_manager_secret(
    start_function: StartFunction, purepg_package: Path, e2e_cluster: Cluster, secrets_endpoint: str
) -> None:
    params = e2e_cluster.params(AUTH_MODE)
    secret = {
        "engine": "postgres",
        "username": params.pop("user"),
        "password": params.pop("password"),
        "host": params.pop("host"),
        "port": int(params.pop("port")),
        "dbname": params.pop("dbname"),
    }
    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets_endpoint,
    }
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=secrets_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_secret(Name="e2e/app-db", SecretString=json.dumps(secret))
    environment = {**libpq_environment(params), **aws, "DB_SECRET_ID": "e2e/app-db"}
    function = start_function(purepg_package, environment=environment)
    results = [result_of(function.invoke({})) for _ in range(2)]
    assert [result["user"] for result in results] == [secret["username"]] * 2
