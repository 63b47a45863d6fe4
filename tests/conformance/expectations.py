"""How the suite states what a driver must return: exact values, matchers, stated differences.

``assert_value(actual, expected)`` compares type AND value (``1 == 1.0 == Decimal(1)`` must not
pass), recursing into lists, tuples and dicts. ``expected`` may also be a ``Matcher`` for what
``==`` cannot say (NaN, values of ``purepg.types`` built only when the test runs).

Where a driver legitimately returns something else, the expectation says so with ``Differs``:
the driver's own documented value and the reason, never a silent skip.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from tests.conformance.drivers import PUREPG, PUREPG_AIO


class Matcher:
    """An expectation that is checked by code rather than by ``==``."""

    def check(self, actual: Any) -> str | None:
        """None when ``actual`` matches, else what is wrong."""
        raise NotImplementedError

    def describe(self) -> str:
        """The expectation, for failure messages."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.describe()


@dataclass(frozen=True, repr=False)
class NaN(Matcher):
    """A NaN of the given type (NaN never equals itself)."""

    kind: type

    def check(self, actual: Any) -> str | None:
        if type(actual) is not self.kind:
            return f"expected a {self.kind.__name__} NaN, got {type(actual).__name__}"
        value: Any = actual
        is_nan = value.is_nan() if isinstance(value, Decimal) else math.isnan(value)
        return None if is_nan else f"{value!r} is not NaN"

    def describe(self) -> str:
        return f"NaN({self.kind.__name__})"


@dataclass(frozen=True, repr=False)
class MemoryviewOf(Matcher):
    """A memoryview over these bytes (memoryviews of different formats never compare equal)."""

    content: bytes

    def check(self, actual: Any) -> str | None:
        if type(actual) is not memoryview:
            return f"expected a memoryview, got {type(actual).__name__} {actual!r}"
        if bytes(actual) != self.content:
            return f"expected memoryview of {self.content!r}, got one of {bytes(actual)!r}"
        return None

    def describe(self) -> str:
        return f"memoryview({self.content!r})"


def purepg_type(name: str) -> Any:
    """``purepg.types.<name>``, imported when a test runs (purepg may not be installed)."""
    return getattr(importlib.import_module("purepg.types"), name)


@dataclass(frozen=True, repr=False)
class Attributes(Matcher):
    """An instance of ``purepg.types.<type_name>`` whose attributes have the given values."""

    type_name: str
    attributes: Mapping[str, Any]

    def check(self, actual: Any) -> str | None:
        kind = purepg_type(self.type_name)
        if not isinstance(actual, kind):
            return f"expected a purepg.types.{self.type_name}, got {type(actual).__name__}"
        for name, value in self.attributes.items():
            problem = mismatch(getattr(actual, name), value)
            if problem is not None:
                return f"{self.type_name}.{name}: {problem}"
        return None

    def describe(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.attributes.items())
        return f"purepg.types.{self.type_name}({fields})"


def range_of(lower: Any, upper: Any, bounds: str = "[)") -> Attributes:
    """A ``purepg.types.Range`` with these bounds (``None``: unbounded)."""
    return Attributes(
        "Range",
        {
            "lower": lower,
            "upper": upper,
            "lower_inc": lower is not None and bounds[0] == "[",
            "upper_inc": upper is not None and bounds[1] == "]",
            "isempty": False,
        },
    )


def empty_range() -> Attributes:
    """The empty ``purepg.types.Range``."""
    return Attributes("Range", {"isempty": True, "lower": None, "upper": None})


def interval_of(months: int, days: int, microseconds: int) -> Attributes:
    """A ``purepg.types.Interval`` with PostgreSQL's three fields."""
    return Attributes("Interval", {"months": months, "days": days, "microseconds": microseconds})


@dataclass(frozen=True)
class Lazy:
    """A value to send that can only be built when the test runs (e.g. a purepg.types value)."""

    factory: Callable[[], Any]
    description: str

    def build(self) -> Any:
        return self.factory()

    def __repr__(self) -> str:
        return self.description


def materialise(value: Any) -> Any:
    """``value``, or what a ``Lazy`` builds."""
    return value.build() if isinstance(value, Lazy) else value


def mismatch(actual: Any, expected: Any) -> str | None:
    """None when ``actual`` is ``expected`` in type and value, else what is wrong."""
    if isinstance(expected, Matcher):
        return expected.check(actual)
    if type(actual) is not type(expected):
        return (
            f"expected {type(expected).__name__} {expected!r}, "
            f"got {type(actual).__name__} {actual!r}"
        )
    if isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            return f"expected {len(expected)} items {expected!r}, got {len(actual)}: {actual!r}"
        for index, (got, want) in enumerate(zip(actual, expected)):
            problem = mismatch(got, want)
            if problem is not None:
                return f"[{index}]: {problem}"
        return None
    if isinstance(expected, dict):
        if set(actual) != set(expected):
            return f"expected keys {sorted(expected)}, got {sorted(actual)}"
        for key, want in expected.items():
            problem = mismatch(actual[key], want)
            if problem is not None:
                return f"[{key!r}]: {problem}"
        return None
    if actual != expected:
        return f"expected {expected!r}, got {actual!r}"
    return None


def assert_value(actual: Any, expected: Any) -> None:
    """Fail with a precise message unless ``actual`` matches ``expected`` (type and value)."""
    problem = mismatch(actual, expected)
    assert problem is None, problem


_CANONICAL = object()

SAME_EXPECTATIONS_AS = {PUREPG_AIO: PUREPG}
"""Drivers held to another driver's expectations: the asyncio API promises what purepg does."""


def expectations_of(driver_name: str) -> str:
    """The driver name whose ``Differs`` entries apply to ``driver_name``."""
    return SAME_EXPECTATIONS_AS.get(driver_name, driver_name)


@dataclass(frozen=True)
class Differs:
    """How one driver legitimately differs from the canonical behaviour, and why."""

    reason: str
    expected: Any = _CANONICAL
    send: Any = _CANONICAL


@dataclass(frozen=True)
class Expectation:
    """The canonical value sent and expected (what purepg and pgfacade promise), and differences."""

    send: Any
    expected: Any
    differs: Mapping[str, Differs] = field(default_factory=dict)

    def for_driver(self, driver_name: str) -> tuple[Any, Any]:
        """(value to send, expected result) for that driver."""
        send, expected = self.send, self.expected
        difference = self.differs.get(expectations_of(driver_name))
        if difference is not None:
            if difference.send is not _CANONICAL:
                send = difference.send
            if difference.expected is not _CANONICAL:
                expected = difference.expected
        return materialise(send), materialise(expected)
