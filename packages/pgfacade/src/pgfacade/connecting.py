"""Choose the backend driver (and say why), and open one connection through it, with
credentials and the TLS default. (One module rather than two: each module costs a Lambda cold
start a few tenths of a millisecond.)"""

from __future__ import annotations

import functools
import os
import sys

from .settings import Settings, names_a_server, runs_in_aws_lambda, with_tls_default

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this module is on the cold-start path, kept import-light
    from types import ModuleType
    from typing import Any

    from purepg import errors

DRIVERS = ("psycopg2", "purepg")
ENV_VARIABLE = "PGFACADE_DRIVER"


class DriverNotAvailableError(ImportError):
    """A driver forced by ``driver=`` or ``PGFACADE_DRIVER`` cannot be imported."""


class Selection:
    """The chosen driver: its name, the reason, its module, and what failed to import before."""

    __slots__ = ("import_errors", "module", "name", "reason")

    def __init__(
        self,
        name: str,
        reason: str,
        module: ModuleType,
        import_errors: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.reason = reason
        self.module = module
        self.import_errors: dict[str, str] = {} if import_errors is None else import_errors

    def __repr__(self) -> str:
        return f"Selection(name={self.name!r}, reason={self.reason!r})"


def _normalise(name: str, origin: str) -> str:
    cleaned = name.strip().lower()
    if cleaned not in DRIVERS:
        raise ValueError(
            f"unknown pgfacade driver {name!r} from {origin}; expected one of {', '.join(DRIVERS)}"
        )
    return cleaned


def _import(name: str) -> ModuleType:
    __import__(name)  # not importlib.import_module: importing importlib costs a cold start
    return sys.modules[name]


BROKEN_PSYCOPG2_HINT = (
    "Likely a psycopg2 built for another Python version or architecture, or one without its "
    "compiled _psycopg module (AWS Lambda: build it for the function's runtime and "
    "architecture with lambda-psycopg). Set PGFACADE_DRIVER=purepg to use purepg on purpose, "
    "without this warning."
)


def _is_installed_but_broken(name: str, exc: ImportError) -> bool:
    """Not "the package is absent" but a package present that fails to import
    (``No module named 'psycopg2._psycopg'``, an extension of the wrong architecture...)."""
    return not (isinstance(exc, ModuleNotFoundError) and exc.name == name)


def select_driver(driver: str | None = None, environ: dict[str, str] | None = None) -> Selection:
    """Choose the backend: ``driver`` argument, else ``PGFACADE_DRIVER``, else psycopg2 when it
    imports, else purepg. A forced driver that cannot be imported raises ``DriverNotAvailableError``
    naming the driver and the ImportError."""
    env = os.environ if environ is None else environ
    forced: tuple[str, str] | None = None
    if driver is not None:
        forced = (_normalise(driver, "the driver= argument"), "driver= argument")
    elif env.get(ENV_VARIABLE, "").strip():
        origin = f"{ENV_VARIABLE} environment variable"
        forced = (_normalise(env[ENV_VARIABLE], f"the {origin}"), origin)
    if forced is not None:
        name, origin = forced
        try:
            module = _import(name)
        except ImportError as exc:
            raise DriverNotAvailableError(
                f"pgfacade driver {name!r} was requested by the {origin} but cannot be imported: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return Selection(name, f"requested by the {origin}", module)
    errors: dict[str, str] = {}
    broken: list[str] = []
    for name in DRIVERS:
        try:
            module = _import(name)
        except ImportError as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
            if _is_installed_but_broken(name, exc):
                broken.append(name)
            continue
        if name == "psycopg2":
            reason = "psycopg2 is importable (preferred: fastest)"
        elif broken:
            reason = (
                f"psycopg2 is installed but failed to import ({errors['psycopg2']}); using purepg"
            )
            from .logs import WARNING, log

            log(WARNING, "%s. %s", reason, BROKEN_PSYCOPG2_HINT)
        else:
            reason = "psycopg2 is not importable; purepg runs everywhere"
        return Selection(name, reason, module, errors)
    raise DriverNotAvailableError(
        "no PostgreSQL driver can be imported: "
        + "; ".join(f"{name}: {message}" for name, message in errors.items())
    )


AUTHENTICATION_SQLSTATES = frozenset({"28P01", "28000"})


@functools.cache
def _selection(driver: str | None, env_driver: str | None) -> Selection:
    return select_driver(driver, {ENV_VARIABLE: env_driver} if env_driver else {})


def current_selection(driver: str | None = None) -> Selection:
    """The backend for ``driver`` (or the environment / default), cached per process."""
    return _selection(driver, os.environ.get(ENV_VARIABLE))


def backend_module(selection: Selection) -> ModuleType:
    """``pgfacade.backends.<driver>`` (``__import__``: ``importlib`` is one more module to
    load on a cold start)."""
    name = f"pgfacade.backends.{selection.name}"
    __import__(name)
    return sys.modules[name]


def is_authentication_failure(exc: errors.Error) -> bool:
    """True for a rejected password or token (SQLSTATE 28P01 / 28000)."""
    return exc.sqlstate in AUTHENTICATION_SQLSTATES


def _rejected_credentials(exc: Exception) -> bool:
    """``exc`` is the server refusing the password or token."""
    from purepg import errors

    return isinstance(exc, errors.OperationalError) and is_authentication_failure(exc)


def open_connection(settings: Settings) -> Any:
    """A new connection for ``settings``; with AWS credentials, one refetch when the server
    rejects them (the secret was rotated, the token expired)."""
    selection = current_selection(settings.driver)
    backend = backend_module(selection)
    refreshable = bool(settings.secret_id or settings.iam_auth)
    for attempt in (1, 2):
        params = settings.connect_params(backend.parse_dsn)
        if refreshable:
            from . import aws

            params = aws.apply_credentials(settings, params, refresh=attempt == 2)
        chose_tls = "sslmode" not in params
        params = with_tls_default(params)
        chose_tls = chose_tls and "sslmode" in params
        if runs_in_aws_lambda() and not names_a_server(params):
            from .explain import no_host_configured

            raise no_host_configured()
        if "logging" in sys.modules:  # else no handler can show it: `pgfacade.logs` not loaded
            from .logs import DEBUG, log

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
        except Exception as exc:  # purepg's errors are imported by a failure only
            if attempt == 2 or not refreshable or not _rejected_credentials(exc):
                from .explain import why_it_failed

                explained = why_it_failed(exc, params, chose_tls)
                if explained is exc:
                    raise
                raise explained from exc
            from .logs import INFO, log

            sqlstate = getattr(exc, "sqlstate", None)
            log(INFO, "credentials rejected (SQLSTATE %s); fetching them again", sqlstate)
    raise AssertionError("unreachable")
