"""Secrets Manager credentials and IAM tokens, with moto (nothing calls AWS for real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pgfacade
import pytest
from moto import mock_aws
from pgfacade import aws
from pgfacade.settings import Settings

from tests.harness import auth_modes

REGION = "eu-west-1"


@pytest.fixture
def aws_environment(monkeypatch):
    """Fake credentials and moto's in-memory AWS for the test."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def calls(monkeypatch):
    """Counts of AWS calls made through pgfacade (the calls still go to moto)."""
    counts = {"get_secret_value": 0, "generate_db_auth_token": 0}
    real_client = aws._client

    class Counting:
        def __init__(self, client):
            self._client = client

        def __getattr__(self, name):
            attribute = getattr(self._client, name)
            if name not in counts:
                return attribute

            def counted(*args, **kwargs):
                counts[name] += 1
                return attribute(*args, **kwargs)

            return counted

    monkeypatch.setattr(
        aws, "_client", lambda service, region: Counting(real_client(service, region))
    )
    return counts


def rds_secret(params: dict[str, str], **changes: str) -> str:
    document = {
        "engine": "postgres",
        "username": params["user"],
        "password": params["password"],
        "host": params["host"],
        "port": int(params["port"]),
        "dbname": params["dbname"],
    }
    document.update(changes)
    return json.dumps(document)


def scalar(connection, sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_connects_with_the_credentials_of_an_rds_secret(aws_environment, backend, params) -> None:
    aws_environment.create_secret(Name="db", SecretString=rds_secret(params))
    connection = pgfacade.connect(driver=backend, secret_id="db", region=REGION)
    assert scalar(connection, "SELECT current_user") == params["user"]
    connection.close()


def test_the_secret_is_fetched_once_and_cached(aws_environment, calls, backend, params) -> None:
    aws_environment.create_secret(Name="db", SecretString=rds_secret(params))
    for _ in range(2):
        pgfacade.connect(driver=backend, secret_id="db", region=REGION).close()
    assert calls["get_secret_value"] == 1


def test_a_rotated_secret_is_fetched_again_once(aws_environment, calls, backend, params) -> None:
    aws_environment.create_secret(
        Name="db", SecretString=rds_secret(params, password="before-rotation")
    )
    aws.secret_params("db", REGION)  # a warm environment holds the old password
    aws_environment.put_secret_value(SecretId="db", SecretString=rds_secret(params))
    connection = pgfacade.connect(driver=backend, secret_id="db", region=REGION)
    assert scalar(connection, "SELECT 1") == 1
    assert calls["get_secret_value"] == 2
    connection.close()


def test_a_wrong_secret_fails_after_one_refetch_without_showing_it(
    aws_environment, calls, backend, params
) -> None:
    aws_environment.create_secret(Name="db", SecretString=rds_secret(params, password="wrong-pw"))
    with pytest.raises(pgfacade.OperationalError) as caught:
        pgfacade.connect(driver=backend, secret_id="db", region=REGION)
    assert caught.value.sqlstate == "28P01"
    assert calls["get_secret_value"] == 2
    assert "wrong-pw" not in str(caught.value)
    assert "wrong-pw" not in repr(caught.value.__cause__)


def test_explicit_keywords_win_over_the_secret(aws_environment, backend, params) -> None:
    aws_environment.create_secret(Name="db", SecretString=rds_secret(params, host="db.invalid"))
    connection = pgfacade.connect(
        driver=backend, secret_id="db", region=REGION, host=params["host"]
    )
    assert scalar(connection, "SELECT 1") == 1
    connection.close()


def test_a_secret_for_another_engine_is_rejected(aws_environment) -> None:
    aws_environment.create_secret(
        Name="db", SecretString=json.dumps({"engine": "mysql", "password": "p", "username": "u"})
    )
    with pytest.raises(pgfacade.InterfaceError, match="engine 'mysql'"):
        aws.secret_params("db", REGION)


def test_a_secret_that_is_not_json_is_rejected_without_its_value(aws_environment) -> None:
    aws_environment.create_secret(Name="db", SecretString="hunter2")
    with pytest.raises(pgfacade.InterfaceError) as caught:
        aws.secret_params("db", REGION)
    assert "hunter2" not in str(caught.value)


def test_a_missing_secret_is_an_operational_error_naming_it(aws_environment) -> None:
    with pytest.raises(pgfacade.OperationalError, match="'nope'"):
        aws.secret_params("nope", REGION)


def iam_settings(**params: str) -> Settings:
    return Settings.from_arguments(None, params, iam_auth=True, region=REGION)


def test_the_iam_token_is_the_password_over_verified_tls(aws_environment) -> None:
    settings = iam_settings(host="db.example.com", port="5432", user="app")
    params = aws.apply_credentials(settings, {"host": "db.example.com", "user": "app"})
    assert params["sslmode"] == "verify-full"
    assert params["password"].startswith("db.example.com:5432/?Action=connect")
    assert "DBUser=app" in params["password"]


def test_the_iam_token_is_cached(aws_environment, calls) -> None:
    settings = iam_settings()
    keywords = {"host": "db.example.com", "user": "app"}
    first = aws.apply_credentials(settings, keywords)["password"]
    second = aws.apply_credentials(settings, keywords)["password"]
    assert first == second
    assert calls["generate_db_auth_token"] == 1


def test_an_iam_token_is_renewed_before_it_expires(aws_environment, calls, monkeypatch) -> None:
    monkeypatch.setattr(aws, "TOKEN_REUSE_SECONDS", -1.0)
    settings = iam_settings()
    keywords = {"host": "db.example.com", "user": "app"}
    aws.apply_credentials(settings, keywords)
    aws.apply_credentials(settings, keywords)
    assert calls["generate_db_auth_token"] == 2


def test_iam_auth_refuses_a_weaker_sslmode(aws_environment) -> None:
    with pytest.raises(ValueError, match="verify-full"):
        aws.apply_credentials(iam_settings(), {"host": "h", "user": "u", "sslmode": "require"})


def test_iam_auth_sends_the_token_over_verified_tls_and_hides_it(
    aws_environment, calls, backend, pg_cluster
) -> None:
    # A real server verified against the test CA; it expects SCRAM, so it rejects the token:
    # getting that rejection proves TLS verify-full succeeded and the token went as password.
    params: dict[str, Any] = pg_cluster.params("verify-full")
    del params["password"], params["sslmode"]
    with pytest.raises(pgfacade.OperationalError) as caught:
        pgfacade.connect(driver=backend, iam_auth=True, region=REGION, **params)
    assert caught.value.sqlstate == "28P01"
    assert calls["generate_db_auth_token"] == 2  # one renewal after the rejection
    token = aws._tokens[(params["host"], params["port"], params["user"], REGION)][0]
    assert token not in str(caught.value)


def test_iam_auth_fails_when_the_server_cannot_be_verified(aws_environment, backend, pg_cluster):
    verified = pg_cluster.params("verify-full")
    del verified["password"], verified["sslmode"]
    params: dict[str, Any] = auth_modes.with_unverifiable_server(verified, pg_cluster.pki)
    with pytest.raises(pgfacade.OperationalError) as caught:
        pgfacade.connect(driver=backend, iam_auth=True, region=REGION, **params)
    assert caught.value.sqlstate != "28P01"


def test_a_plain_connect_does_not_import_boto3(params) -> None:
    code = (
        "import json, os, sys, pgfacade\n"
        "pgfacade.connect(**json.loads(os.environ['PARAMS'])).close()\n"
        "print('boto3' in sys.modules, 'botocore' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PARAMS": json.dumps(params)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"
