"""AWS credentials: RDS secrets from Secrets Manager and IAM database auth tokens.

boto3 is imported only when one of these features is used. Both caches are per process, so a
warm Lambda environment reuses them across invocations.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from .settings import Settings, target_hosts

# IAM tokens live 15 minutes; reuse one for 10 so it never expires in flight.
TOKEN_REUSE_SECONDS = 600.0
_SECRET_KEYS = {
    "username": "user",
    "password": "password",
    "host": "host",
    "port": "port",
    "dbname": "dbname",
}

_lock = threading.Lock()
_secrets: dict[tuple[str, str | None], dict[str, str]] = {}
_tokens: dict[tuple[str, str, str, str], tuple[str, float]] = {}


def _client(service: str, region: str | None) -> Any:
    import boto3  # type: ignore[import-untyped,unused-ignore]

    make_client: Any = boto3.client  # typed per literal service name by boto3-stubs
    return make_client(service, region_name=region)


def clear_caches() -> None:
    """Forget cached secrets and tokens."""
    with _lock:
        _secrets.clear()
        _tokens.clear()


def secret_params(secret_id: str, region: str | None, *, refresh: bool = False) -> dict[str, str]:
    """libpq keywords from an RDS secret (JSON: username, password, host, port, dbname,
    engine), fetched once and cached; ``refresh`` fetches it again (after a rotation)."""
    key = (secret_id, region)
    with _lock:
        if not refresh and key in _secrets:
            return dict(_secrets[key])
    from purepg import errors

    try:
        response = _client("secretsmanager", region).get_secret_value(SecretId=secret_id)
    except Exception as exc:
        raise errors.OperationalError(
            f"cannot read secret {secret_id!r} from AWS Secrets Manager: {exc}"
        ) from exc
    params = parse_secret(secret_id, response.get("SecretString") or "")
    with _lock:
        _secrets[key] = params
    return dict(params)


def parse_secret(secret_id: str, text: str) -> dict[str, str]:
    """The libpq keywords in an RDS secret's JSON (errors name keys, never values)."""
    from purepg import errors

    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise errors.InterfaceError(f"secret {secret_id!r} is not a JSON object (RDS secret)")
    engine = str(document.get("engine", "postgres"))
    if "postgres" not in engine:
        raise errors.InterfaceError(
            f"secret {secret_id!r} is for engine {engine!r}, not PostgreSQL"
        )
    params = {
        keyword: str(document[field])
        for field, keyword in _SECRET_KEYS.items()
        if document.get(field) is not None
    }
    if "password" not in params:
        raise errors.InterfaceError(f"secret {secret_id!r} has no 'password' key")
    return params


def resolve_region(region: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The region argument, else AWS_REGION / AWS_DEFAULT_REGION."""
    env = os.environ if environ is None else environ
    return region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None


def iam_token(host: str, port: int, user: str, region: str, *, refresh: bool = False) -> str:
    """An RDS IAM auth token (boto3 ``generate_db_auth_token``), cached for 10 minutes."""
    key = (host, str(port), user, region)
    now = time.monotonic()
    with _lock:
        cached = _tokens.get(key)
        if cached is not None and not refresh and cached[1] > now:
            return cached[0]
    token: str = _client("rds", region).generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )
    with _lock:
        _tokens[key] = (token, now + TOKEN_REUSE_SECONDS)
    return token


def apply_credentials(
    settings: Settings,
    params: dict[str, str],
    *,
    refresh: bool = False,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``params`` completed with a secret's keywords (explicit ones win) or an IAM token."""
    env = os.environ if environ is None else environ
    region = resolve_region(settings.region, env)
    if settings.secret_id:
        secret = secret_params(settings.secret_id, region, refresh=refresh)
        return {**secret, **params}
    if not settings.iam_auth:
        return params
    if region is None:
        raise ValueError("IAM authentication needs region= or AWS_REGION")
    hosts = target_hosts(params, env)
    user = params.get("user") or env.get("PGUSER")
    if len(hosts) != 1 or not hosts[0] or hosts[0].startswith(("/", "@")):
        raise ValueError("IAM authentication needs exactly one TCP host (host=)")
    if not user:
        raise ValueError("IAM authentication needs user=")
    sslmode = params.get("sslmode", "verify-full")
    if sslmode != "verify-full":
        raise ValueError(f"IAM authentication requires sslmode=verify-full, not {sslmode!r}")
    port = int(params.get("port") or env.get("PGPORT") or 5432)
    token = iam_token(hosts[0], port, user, region, refresh=refresh)
    return {**params, "password": token, "sslmode": "verify-full"}
