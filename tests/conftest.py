"""Loads the test plugins: PostgreSQL clusters (harness) and the driver conformance suite."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["tests.harness.plugin"]
if (Path(__file__).parent / "conformance" / "plugin.py").exists():
    pytest_plugins.append("tests.conformance.plugin")
