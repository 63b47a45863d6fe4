"""What ``postgresql+purepg`` and ``postgresql+pgfacade`` support, for SQLAlchemy's test suites.

SQLAlchemy's own requirements (``test/requirements.py`` of its sdist, importable when its suite
runs) open some PostgreSQL features only for the drivers they name; these are declared here for
ours, the rest is inherited unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.testing import exclusions
from test.requirements import DefaultRequirements  # type: ignore[import-not-found]

OUR_DRIVERS = ["+purepg", "+pgfacade"]


class Requirements(DefaultRequirements):  # type: ignore[misc]
    """SQLAlchemy's requirements, with the features our dialects support declared."""

    def _ours_or(self, inherited: Any) -> Any:
        """``inherited``, opened for our drivers too."""
        return exclusions.only_on([*OUR_DRIVERS, inherited])

    @property
    def range_types(self) -> Any:
        """Ranges round-trip as SQLAlchemy's ``Range``."""
        return self._ours_or(super().range_types)

    @property
    def multirange_types(self) -> Any:
        """Multiranges round-trip as SQLAlchemy's ``MultiRange`` (PostgreSQL 14+)."""
        return self._ours_or(super().multirange_types) + exclusions.only_on("postgresql >= 14")

    @property
    def infinity_floats(self) -> Any:
        """``float('inf')`` and ``-inf`` round-trip (binary float8). SQLAlchemy's requirement
        expects a failure elsewhere; this class runs on our dialects only."""
        return exclusions.open()

    @property
    def pyformat_paramstyle(self) -> Any:
        """The dialects' paramstyle is ``pyformat``."""
        return self._ours_or(super().pyformat_paramstyle)

    @property
    def mod_operator_as_percent_sign(self) -> Any:
        """``%`` is rendered as ``%%`` (pyformat) and reaches the server as ``%``."""
        return self._ours_or(super().mod_operator_as_percent_sign)
