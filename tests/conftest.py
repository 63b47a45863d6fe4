"""Loads the test plugins: PostgreSQL clusters (harness) and the driver conformance suite."""

from __future__ import annotations

pytest_plugins = ["tests.harness.plugin", "tests.conformance.plugin"]
