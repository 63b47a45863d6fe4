"""Fault injection against real servers: terminating backends, crashing a server, stalling the
network with a TCP proxy on 127.0.0.1."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import purepg

from tests.harness.cluster import Cluster

BACKEND_WAIT = 15.0
"""Longest wait for a backend to reach the state a fault needs (a bound, never asserted)."""


def admin_connection(cluster: Cluster) -> Any:
    """A superuser purepg connection over the Unix socket, autocommit."""
    conn = purepg.connect(**cluster.admin_params())
    conn.autocommit = True
    return conn


def admin_query(cluster: Cluster, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement as the superuser on a fresh connection; its rows (if any)."""
    conn = admin_connection(cluster)
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        conn.close()


def wait_for_backend(cluster: Cluster, pid: int, condition: str) -> None:
    """Wait until backend ``pid`` matches ``condition`` (SQL over pg_stat_activity)."""
    deadline = time.monotonic() + BACKEND_WAIT
    conn = admin_connection(cluster)
    try:
        cursor = conn.cursor()
        while time.monotonic() < deadline:
            cursor.execute(
                f"SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND {condition}", [pid]
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    finally:
        conn.close()
    raise AssertionError(f"backend {pid} never reached {condition!r}")


def terminate_backend(cluster: Cluster, pid: int) -> None:
    """pg_terminate_backend(pid), and wait until the backend has gone."""
    admin_query(cluster, "SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + BACKEND_WAIT
    while time.monotonic() < deadline:
        if not admin_query(cluster, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]):
            return
        time.sleep(0.02)


@contextlib.contextmanager
def in_background(action: Any) -> Iterator[None]:
    """Run ``action`` on a thread for the block; its exception is re-raised at the end."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(BACKEND_WAIT + 5)
    if failure:
        raise failure[0]


class StallingProxy:
    """A TCP proxy on 127.0.0.1 to ``target``; ``stall()`` stops forwarding in both directions
    (the connections stay open: a network that silently drops everything)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.stalled = threading.Event()
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._start(self._accept_loop)

    def _start(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            self._start(self._pump, client, server)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        try:
            while not self.stopping.is_set():
                if self.stalled.is_set():
                    time.sleep(0.05)
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    if self.stalled.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in peers:
                with contextlib.suppress(OSError):
                    sock.close()

    def stall(self) -> None:
        """Stop forwarding (connections stay open, nothing passes)."""
        self.stalled.set()

    def stop(self) -> None:
        """Close every connection and stop listening."""
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        with self._lock:
            sockets = list(self._sockets)
            threads = list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        for thread in threads:
            thread.join(5)
