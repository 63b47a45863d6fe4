"""Side-by-side benchmarks of purepg, pgfacade and the other PostgreSQL drivers.

Run ``python -m benchmarks [--quick] [--drivers ...] [--out docs/benchmarks]``. This package
stays import-light: driver modules are only ever imported inside worker subprocesses.
"""

from __future__ import annotations
