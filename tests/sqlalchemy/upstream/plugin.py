"""pytest plugin loaded with SQLAlchemy's suites: our requirements, our server-side cursors.

SQLAlchemy's plugin takes the requirements class from its ``setup.cfg`` after the command line
(``--requirements`` is overwritten), so this plugin points that setting at
`tests.sqlalchemy.upstream.requirements.Requirements` once SQLAlchemy has read the file.

``ServerSideCursorsTest._is_server_side`` knows the cursors of the drivers SQLAlchemy ships
only (a TODO of SQLAlchemy's says third-party dialects cannot use it as is); a cursor of ours
is server-side when it is named, as psycopg2's.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

OUR_DRIVERS = ("purepg", "pgfacade")
REQUIREMENTS = "tests.sqlalchemy.upstream.requirements:Requirements"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """After SQLAlchemy's plugin read ``setup.cfg``: our requirements class instead of its."""
    plugin_base = sys.modules.get("sqla_plugin_base")
    if plugin_base is None:
        raise pytest.UsageError("SQLAlchemy's pytest plugin is not loaded (run from its sdist)")
    plugin_base.file_config.set("sqla_testing", "requirement_cls", REQUIREMENTS)


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Teach the suite's server-side cursor check our drivers (SQLAlchemy is loaded by now)."""
    from sqlalchemy.testing.suite.test_results import ServerSideCursorsTest

    upstream = ServerSideCursorsTest._is_server_side
    if getattr(upstream, "knows_our_drivers", False):
        return

    def is_server_side(self: Any, cursor: Any) -> bool:
        if self.engine.dialect.driver in OUR_DRIVERS:
            return bool(getattr(cursor, "name", None))
        return bool(upstream(self, cursor))

    is_server_side.knows_our_drivers = True  # type: ignore[attr-defined]
    ServerSideCursorsTest._is_server_side = is_server_side  # type: ignore[method-assign]
