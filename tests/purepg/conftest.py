"""Fixtures shared by purepg's tests against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import purepg
import pytest


@pytest.fixture
def admin(pg_cluster: Any) -> Iterator[purepg.Connection]:
    """A superuser session in autocommit, beside the one under test (schema changes,
    pg_terminate_backend, settings)."""
    connection = purepg.connect(**pg_cluster.admin_params())
    connection.autocommit = True
    yield connection
    connection.close()
