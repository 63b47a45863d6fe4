"""The clients the reliability tests run: purepg, and pgfacade over each backend.

Every failure must be the driver's own DB-API exception (``isinstance(exc, module.Error)``),
never a ``struct.error``, ``IndexError``, ``OSError`` or ``UnicodeDecodeError`` leaking out.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from tests.conformance.drivers import Driver, DriverUnavailableError, load_driver

PUREPG = "purepg"
FACADE_PUREPG = "pgfacade-purepg"
FACADE_PSYCOPG2 = "pgfacade-psycopg2"
ALL_CLIENTS = (PUREPG, FACADE_PUREPG, FACADE_PSYCOPG2)


def client_driver(name: str) -> Driver:
    """The conformance suite's driver called ``name``, or a skip naming why it is missing."""
    try:
        return load_driver(name)
    except DriverUnavailableError as exc:
        pytest.skip(str(exc))


def expect_driver_error(driver: Driver, action: Callable[[], Any], match: str) -> BaseException:
    """Run ``action``; it must raise the driver's own Error whose text matches ``match``."""
    with pytest.raises(BaseException) as caught:
        action()
    exc = caught.value
    assert isinstance(exc, driver.module.Error), (
        f"{driver.name} let a {type(exc).__module__}.{type(exc).__name__} escape: {exc!r}"
    )
    assert re.search(match, str(exc), re.IGNORECASE | re.DOTALL), (
        f"{driver.name}: {type(exc).__name__} does not name the problem ({match!r}): {exc}"
    )
    return exc
