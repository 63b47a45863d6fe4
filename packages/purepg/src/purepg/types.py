"""Value types for PostgreSQL values that have no exact Python standard library equivalent.

Stdlib only and import-light: pgfacade imports this module to normalise psycopg2's values, so
both backends return the same Python types.

- `Range`: a range value (``int4range``, ``tstzrange``...); a multirange decodes to a list of them.
- `Interval`: an interval that carries months (``'1 mon 2 days'``). Intervals without months
  decode to `datetime.timedelta`; a month has no fixed length, so we never approximate it.
- `Json` / `Jsonb`: wrappers that send any Python value as json / jsonb (a bare ``dict`` is sent
  as jsonb, a bare ``list`` as an ARRAY).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_BOUNDS = ("[)", "[]", "()", "(]")


class Range(Generic[T]):
    """A PostgreSQL range: ``Range(1, 10)`` is ``[1,10)``; ``None`` bounds are infinite.

    ``bounds`` is one of ``'[)'``, ``'[]'``, ``'()'``, ``'(]'``; ``Range(empty=True)`` is the
    empty range. Values compare as written: the server canonicalises discrete ranges
    (``[1,5]`` of int4range comes back as ``[1,6)``), this class does not.
    """

    __slots__ = ("_bounds", "_empty", "_lower", "_upper")

    def __init__(
        self,
        lower: T | None = None,
        upper: T | None = None,
        bounds: str = "[)",
        *,
        empty: bool = False,
    ) -> None:
        if bounds not in _BOUNDS:
            raise ValueError(f"Range bounds must be one of {', '.join(_BOUNDS)}, not {bounds!r}")
        if empty and (lower is not None or upper is not None):
            raise ValueError("an empty Range has no bounds")
        self._lower = lower
        self._upper = upper
        # An infinite side is always exclusive, as PostgreSQL reports it.
        if lower is None:
            bounds = "(" + bounds[1]
        if upper is None:
            bounds = bounds[0] + ")"
        self._bounds = bounds
        self._empty = empty

    @property
    def lower(self) -> T | None:
        """The lower bound, None when unbounded or empty."""
        return self._lower

    @property
    def upper(self) -> T | None:
        """The upper bound, None when unbounded or empty."""
        return self._upper

    @property
    def bounds(self) -> str:
        """Two characters: ``[`` or ``(`` then ``]`` or ``)``."""
        return self._bounds

    @property
    def isempty(self) -> bool:
        """True for the empty range."""
        return self._empty

    @property
    def lower_inc(self) -> bool:
        """True when the lower bound is included."""
        return not self._empty and self._bounds[0] == "["

    @property
    def upper_inc(self) -> bool:
        """True when the upper bound is included."""
        return not self._empty and self._bounds[1] == "]"

    @property
    def lower_inf(self) -> bool:
        """True when the range is unbounded below."""
        return not self._empty and self._lower is None

    @property
    def upper_inf(self) -> bool:
        """True when the range is unbounded above."""
        return not self._empty and self._upper is None

    def __contains__(self, value: Any) -> bool:
        if self._empty:
            return False
        if self._lower is not None:
            if value < self._lower:
                return False
            if value == self._lower and self._bounds[0] == "(":
                return False
        if self._upper is not None:
            if value > self._upper:
                return False
            if value == self._upper and self._bounds[1] == ")":
                return False
        return True

    def __bool__(self) -> bool:
        return not self._empty

    def _key(self) -> tuple[Any, ...]:
        return (self._empty, self._lower, self._upper, self._bounds)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self._empty:
            return "Range(empty=True)"
        return f"Range({self._lower!r}, {self._upper!r}, {self._bounds!r})"

    def __str__(self) -> str:
        if self._empty:
            return "empty"
        lower = "" if self._lower is None else str(self._lower)
        upper = "" if self._upper is None else str(self._upper)
        return f"{self._bounds[0]}{lower},{upper}{self._bounds[1]}"


class Interval:
    """A PostgreSQL interval with a month part: ``Interval(months, days, microseconds)``.

    PostgreSQL stores the three fields separately (a month is not a fixed number of days, a
    day not always 24 hours), and so does this class; equality compares the fields.
    """

    __slots__ = ("_days", "_microseconds", "_months")

    def __init__(self, months: int = 0, days: int = 0, microseconds: int = 0) -> None:
        self._months = int(months)
        self._days = int(days)
        self._microseconds = int(microseconds)

    @property
    def months(self) -> int:
        """Months (years are 12 months)."""
        return self._months

    @property
    def days(self) -> int:
        """Days."""
        return self._days

    @property
    def microseconds(self) -> int:
        """The time part in microseconds."""
        return self._microseconds

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return (self._months, self._days, self._microseconds) == (
            other._months,
            other._days,
            other._microseconds,
        )

    def __hash__(self) -> int:
        return hash((self._months, self._days, self._microseconds))

    def __repr__(self) -> str:
        return (
            f"Interval(months={self._months}, days={self._days}, microseconds={self._microseconds})"
        )

    def __str__(self) -> str:
        """The interval in PostgreSQL input syntax, e.g. ``+14 mons +3 days +4.5 seconds``."""
        seconds, micros = divmod(abs(self._microseconds), 1_000_000)
        sign = "-" if self._microseconds < 0 else "+"
        return f"{self._months:+d} mons {self._days:+d} days {sign}{seconds}.{micros:06d} seconds"


class Json:
    """Send ``obj`` as ``json``; ``dumps`` overrides the registry's serializer."""

    __slots__ = ("dumps", "obj")
    type_name = "json"

    def __init__(self, obj: Any, dumps: Callable[[Any], str] | None = None) -> None:
        self.obj = obj
        self.dumps = dumps

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Json) or type(other) is not type(self):
            return NotImplemented
        return bool(self.obj == other.obj)

    __hash__ = None  # type: ignore[assignment]  # wraps mutable values: unhashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.obj!r})"


class Jsonb(Json):
    """Send ``obj`` as ``jsonb``; ``dumps`` overrides the registry's serializer."""

    __slots__ = ()
    type_name = "jsonb"
