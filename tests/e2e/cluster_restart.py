"""Restarting a harness `Cluster` in place (same data directory, same port)."""

from __future__ import annotations

from tests.harness.cluster import Cluster


def restart_cluster(cluster: Cluster) -> None:
    """Fast shutdown of the server (clients get 57P01 and lose their sockets), then start it
    again on the same port with the same data."""
    cluster.restart()
