"""Open one connection through the selected backend, with credentials and the TLS default."""

from __future__ import annotations

import functools
import importlib
import os

from .logs import DEBUG, INFO, log
from .selection import ENV_VARIABLE, Selection, select_driver
from .settings import Settings, with_tls_default

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this module is on the cold-start path, kept import-light
    from types import ModuleType
    from typing import Any

    from purepg import errors

AUTHENTICATION_SQLSTATES = frozenset({"28P01", "28000"})


@functools.cache
def _selection(driver: str | None, env_driver: str | None) -> Selection:
    return select_driver(driver, {ENV_VARIABLE: env_driver} if env_driver else {})


def current_selection(driver: str | None = None) -> Selection:
    """The backend for ``driver`` (or the environment / default), cached per process."""
    return _selection(driver, os.environ.get(ENV_VARIABLE))


def backend_module(selection: Selection) -> ModuleType:
    """``pgfacade.backends.<driver>``."""
    return importlib.import_module(f"pgfacade.backends.{selection.name}")


def is_authentication_failure(exc: errors.Error) -> bool:
    """True for a rejected password or token (SQLSTATE 28P01 / 28000)."""
    return exc.sqlstate in AUTHENTICATION_SQLSTATES


def open_connection(settings: Settings) -> Any:
    """A new connection for ``settings``; with AWS credentials, one refetch when the server
    rejects them (the secret was rotated, the token expired)."""
    from purepg import errors

    selection = current_selection(settings.driver)
    backend = backend_module(selection)
    refreshable = bool(settings.secret_id or settings.iam_auth)
    for attempt in (1, 2):
        params = settings.connect_params(backend.parse_dsn)
        if refreshable:
            from . import aws

            params = aws.apply_credentials(settings, params, refresh=attempt == 2)
        params = with_tls_default(params)
        log(
            DEBUG,
            "connecting with %s to host=%s dbname=%s user=%s sslmode=%s",
            selection.name,
            params.get("host"),
            params.get("dbname"),
            params.get("user"),
            params.get("sslmode"),
        )
        try:
            return backend.connect(
                params, pooler_safe=settings.pooler_safe, socket_timeout=settings.socket_timeout
            )
        except errors.OperationalError as exc:
            if attempt == 2 or not refreshable or not is_authentication_failure(exc):
                raise
            log(INFO, "credentials rejected (SQLSTATE %s); fetching them again", exc.sqlstate)
    raise AssertionError("unreachable")
