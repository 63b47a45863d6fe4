"""The ``pgfacade`` logger, without importing ``logging`` on the cold-start path."""

from __future__ import annotations

import sys

DEBUG, INFO, WARNING = 10, 20, 30  # logging's levels


def log(level: int, message: str, *args: object) -> None:
    """``logging.getLogger("pgfacade").log(...)``. Below WARNING only once the application has
    imported ``logging`` (before, nothing can be configured to show it: the record would be
    dropped), so importing it does not cost every Lambda cold start milliseconds."""
    if level < WARNING and "logging" not in sys.modules:
        return
    import logging

    logging.getLogger("pgfacade").log(level, message, *args)
