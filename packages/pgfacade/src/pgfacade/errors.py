"""purepg's exception classes, re-exported: the facade has no hierarchy of its own.

Every SQLSTATE class purepg defines or creates on demand (``UniqueViolation``...) is reachable
here too, as the very same class object.
"""

from __future__ import annotations

from typing import Any

from purepg import errors as _purepg_errors
from purepg.errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    lookup,
)


def __getattr__(name: str) -> Any:
    """SQLSTATE subclasses (``UniqueViolation``, ``DiskFull``...), straight from purepg."""
    return getattr(_purepg_errors, name)


__all__ = [
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Warning",
    "lookup",
]
