"""Which backend driver to use, and why."""

from __future__ import annotations

import importlib
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this module is on the cold-start path, kept import-light
    from types import ModuleType

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
    return importlib.import_module(name)


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
    for name in DRIVERS:
        try:
            module = _import(name)
        except ImportError as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        if name == "psycopg2":
            reason = "psycopg2 is importable (preferred: fastest)"
        else:
            reason = "psycopg2 is not importable; purepg runs everywhere"
        return Selection(name, reason, module, errors)
    raise DriverNotAvailableError(
        "no PostgreSQL driver can be imported: "
        + "; ".join(f"{name}: {message}" for name, message in errors.items())
    )
