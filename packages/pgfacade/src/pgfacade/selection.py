"""Which backend driver to use, and why: `pgfacade.connecting` holds it (one module fewer on
the cold-start path); this name stays for the code that imports it from here."""

from __future__ import annotations

from .connecting import DRIVERS, ENV_VARIABLE, DriverNotAvailableError, Selection, select_driver

__all__ = ["DRIVERS", "ENV_VARIABLE", "DriverNotAvailableError", "Selection", "select_driver"]
