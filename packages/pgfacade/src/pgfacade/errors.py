"""purepg's exception classes, re-exported: the facade has no hierarchy of its own.

Every name of `purepg.errors` (``Error``, ``lookup``...) and every SQLSTATE class purepg
defines or creates on demand (``UniqueViolation``...) is reachable here too, as the very same
object.
"""

from __future__ import annotations

from typing import Any

from purepg import errors as _purepg_errors
from purepg.errors import *  # noqa: F403 - the very same names
from purepg.errors import __all__  # noqa: F401 - re-exported with the names


def __getattr__(name: str) -> Any:
    """SQLSTATE subclasses (``UniqueViolation``, ``DiskFull``...), straight from purepg."""
    return getattr(_purepg_errors, name)
