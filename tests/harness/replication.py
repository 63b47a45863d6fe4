"""A primary with streaming standbys on 127.0.0.1, promotion and failover, for PostgreSQL 13-18.

The npm server packages have only ``initdb``, ``pg_ctl`` and ``postgres``, so a standby is seeded
with the low-level backup API: ``pg_backup_start`` (``pg_start_backup`` before 15) in a session
that stays open, a file copy of the data directory, then ``pg_backup_stop`` whose label becomes
the copy's ``backup_label``; ``standby.signal`` and ``primary_conninfo`` (the primary's Unix
socket, as the superuser: a ``local replication`` line in pg_hba.conf) make it stream.

``ReplicaSet.fail_over()`` kills the primary (SIGKILL of the postmaster and every backend, as
a crashed machine), promotes a standby with ``pg_ctl promote``, and reseeds the old primary as a
standby of the new one on its old port, so that one pair serves many failover tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from purepg.sql import quote_literal

from tests.harness import auth_modes
from tests.harness.cluster import START_TIMEOUT, Cluster, ClusterError, _live_clusters

WAL_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "10",
    "wal_keep_size": "'256MB'",
    "hot_standby": "on",
    # The harness turns it off for speed; synchronous replication needs commits to wait.
    "synchronous_commit": "on",
    "wal_receiver_status_interval": "'1s'",
    "wal_retrieve_retry_interval": "'200ms'",
}
REPLICATION_HBA = f"local replication {auth_modes.ADMIN_ROLE} trust"
# Left out of a seeding copy: regenerated or refilled by the standby (the WAL comes by streaming).
SKIPPED_ON_COPY = {"postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map"}
EMPTIED_ON_COPY = {
    "pg_wal",
    "pg_replslot",
    "pg_stat_tmp",
    "pg_dynshmem",
    "pg_notify",
    "pg_serial",
    "pg_snapshots",
    "pg_subtrans",
}
SETTLE_TIMEOUT = 60.0


def admin_connection(node: Cluster, dbname: str = "postgres") -> Any:
    """An autocommit superuser connection over the node's Unix socket (psycopg2 as a tool)."""
    import psycopg2

    connection = psycopg2.connect(**node.admin_params(dbname=dbname))
    connection.autocommit = True
    return connection


def admin_value(node: Cluster, sql: str, dbname: str = "postgres") -> Any:
    """The first column of the first row of ``sql`` run as the superuser on ``node``."""
    connection = admin_connection(node, dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone() if cursor.description else None
            return None if row is None else row[0]
    finally:
        connection.close()


class Node(Cluster):
    """A cluster that can stream from a primary, be promoted, be killed, and be reseeded."""

    def __init__(self, major: int, name: str, **kwargs: Any) -> None:
        settings = {**WAL_SETTINGS, **kwargs.pop("settings", {})}
        super().__init__(major, settings=settings, **kwargs)
        self.name = name

    def start(self) -> None:
        """Create and start a primary (initdb, roles), accepting replication connections."""
        super().start()
        with (self.data_dir / "pg_hba.conf").open("a") as hba:
            hba.write(REPLICATION_HBA + "\n")
        self.reload()

    def start_as_standby(self, primary: Node) -> None:
        """Seed this (stopped or new) node from ``primary`` and start it as its standby."""
        if self.running:
            raise ClusterError(f"{self.name} is running: kill it before reseeding")
        if not self.port:  # first start: a run dir, a log and a port of its own
            self._prepare_first_start(primary)
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self._copy_with_backup_label(primary)
        self._configure_standby(primary)
        if self.port:
            self._spawn_server()
            self._wait_until_ready()
        else:
            self._start_server()
        wait_for(
            lambda: self.is_streaming_from(primary),
            f"{self.name} streaming from {primary.name}",
            self,
        )

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend, as when the machine dies.

        Backends leave the postmaster's process group (``setsid``), and on its death they would
        exit politely (FATAL to their clients): all are stopped first, then killed, and we wait
        until the kernel closed their sockets.
        """
        process = self._process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGSTOP)  # forks no more backends
        children = _children_of(process.pid)
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self._process = None
        for pid in children:
            wait_for(lambda pid=pid: _process_state(pid) in ("", "Z", "X"), f"{pid} gone", self)

    def restart_killed(self) -> None:
        """Start a killed standby again on the same port and data (crash recovery)."""
        self._spawn_server()
        self._wait_until_ready()

    def promote(self) -> None:
        """``pg_ctl promote --wait``: end recovery and accept writes."""
        pg_ctl = str(self.binaries / "bin" / "pg_ctl")
        command = [pg_ctl, "promote", "-D", str(self.data_dir), "-w", "-t", str(int(START_TIMEOUT))]
        self._run_to_completion(command, stdin=None, what="pg_ctl promote")
        wait_for(lambda: not self.in_recovery(), f"{self.name} promoted", self)

    def in_recovery(self) -> bool:
        """Whether the node is a standby (``pg_is_in_recovery()``)."""
        return bool(admin_value(self, "SELECT pg_is_in_recovery()"))

    def is_streaming_from(self, primary: Node) -> bool:
        """Whether ``primary`` lists this node as a streaming replica."""
        sql = (
            "SELECT count(*) FROM pg_stat_replication "
            f"WHERE application_name = {quote_literal(self.name)} AND state = 'streaming'"
        )
        return bool(admin_value(primary, sql))

    def set_synchronous_standbys(self, names: str) -> None:
        """``synchronous_standby_names`` on this primary ('' for asynchronous), reloaded."""
        quoted = quote_literal(names)
        admin_value(self, f"ALTER SYSTEM SET synchronous_standby_names = {quoted}")
        admin_value(self, "SELECT pg_reload_conf()")
        wanted = repr(names)
        wait_for(
            lambda: admin_value(self, "SHOW synchronous_standby_names") == names,
            f"synchronous_standby_names = {wanted} on {self.name}",
            self,
        )

    # ------------------------------------------------------------------ seeding

    def _prepare_first_start(self, primary: Node) -> None:
        """The primary's server and PKI; a run dir of our own, stopped with the others."""
        self.binaries = primary.binaries
        self.version = primary.version
        self._pki = primary.pki
        self._create_run_dir()
        _live_clusters.append(self)

    def _copy_with_backup_label(self, primary: Node) -> None:
        """The low-level base backup: start, copy the files, stop, write the label."""
        connection = admin_connection(primary)
        try:
            with connection.cursor() as cursor:
                if self.major >= 15:
                    cursor.execute("SELECT pg_backup_start(%s, true)", (self.name,))
                else:
                    cursor.execute("SELECT pg_start_backup(%s, true, false)", (self.name,))
                _copy_data_dir(primary.data_dir, self.data_dir)
                stop = (
                    "pg_backup_stop(false)" if self.major >= 15 else "pg_stop_backup(false, false)"
                )
                cursor.execute(f"SELECT labelfile, spcmapfile FROM {stop}")
                label, tablespace_map = cursor.fetchone()
        finally:
            connection.close()
        (self.data_dir / "backup_label").write_text(label)
        if tablespace_map:
            (self.data_dir / "tablespace_map").write_text(tablespace_map)

    def _configure_standby(self, primary: Node) -> None:
        conninfo = (
            f"host={primary.socket_dir} port={primary.port} user={auth_modes.ADMIN_ROLE} "
            f"application_name={self.name}"
        )
        lines = [
            "",
            f"# pg-harness standby of {primary.name}",
            f"unix_socket_directories = '{self.socket_dir}'",
            f"primary_conninfo = '{conninfo}'",
            "synchronous_standby_names = ''",
        ]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(lines) + "\n")
        # ALTER SYSTEM of the old primary (synchronous_standby_names) must not come along.
        (self.data_dir / "postgresql.auto.conf").write_text("")
        (self.data_dir / "standby.signal").write_text("")
        if self._owner is not None:
            for path in [self.data_dir, *self.data_dir.rglob("*")]:
                os.lchown(path, *self._owner)
        self.data_dir.chmod(0o700)


def _process_state(pid: int) -> str:
    """The state letter of process ``pid`` (R, S, Z...), "" once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[0]


def _children_of(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if int(fields[1]) == parent:
                children.append(int(entry.name))
    return children


def _copy_data_dir(source: Path, target: Path) -> None:
    """Copy a live data directory: files that vanish meanwhile are skipped (the WAL replays)."""
    target.mkdir(mode=0o700)
    for entry in os.scandir(source):
        if entry.name in SKIPPED_ON_COPY:
            continue
        destination = target / entry.name
        if entry.is_dir(follow_symlinks=False):
            if entry.name in EMPTIED_ON_COPY:
                destination.mkdir()
                if entry.name == "pg_wal":
                    (destination / "archive_status").mkdir()
                continue
            _copy_data_dir(Path(entry.path), destination)
        else:
            with contextlib.suppress(FileNotFoundError):
                shutil.copy2(entry.path, destination)


def wait_for(condition: Any, what: str, node: Cluster, timeout: float = SETTLE_TIMEOUT) -> None:
    """Poll ``condition()`` until true; a clear error with the server log after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception as error:  # the server may still be starting: retry until the deadline
            last_error = error
        time.sleep(0.05)
    raise ClusterError(
        f"PostgreSQL {node.major}: no {what} after {timeout:.0f}s (last error: {last_error}); "
        f"server log:\n{node._log_tail()}"
    )


class ReplicaSet:
    """A primary and its standbys; ``nodes`` keep their ports whatever their role."""

    def __init__(self, major: int, standbys: int = 1) -> None:
        self.major = major
        self.nodes = [Node(major, f"node{index}") for index in range(standbys + 1)]
        self.primary = self.nodes[0]
        self.synchronous = False

    @property
    def standbys(self) -> list[Node]:
        """The nodes that are not the primary."""
        return [node for node in self.nodes if node is not self.primary]

    @property
    def standby(self) -> Node:
        """The first standby."""
        return self.standbys[0]

    def start(self) -> None:
        """Start the primary, then seed and start every standby."""
        try:
            self.primary.start()
            for standby in self.standbys:
                standby.start_as_standby(self.primary)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the standbys, then the primary, and delete their files."""
        for node in [*self.standbys, self.primary]:
            node.stop()

    def make_synchronous(self) -> None:
        """Every COMMIT waits until the first standby has flushed its WAL."""
        self.primary.set_synchronous_standbys(self.standby.name)
        self.synchronous = True
        wait_for(
            lambda: (
                admin_value(
                    self.primary,
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = "
                    + quote_literal(self.standby.name),
                )
                == "sync"
            ),
            f"{self.standby.name} synchronous",
            self.primary,
        )

    def make_asynchronous(self) -> None:
        """COMMIT no longer waits for any standby."""
        self.primary.set_synchronous_standbys("")
        self.synchronous = False

    def kill_primary(self) -> Node:
        """SIGKILL the primary (its clients see their connections reset); returns it."""
        old = self.primary
        old.kill()
        return old

    def promote_standby(self) -> Node:
        """Promote the first standby; it becomes ``primary``."""
        new = self.standby
        new.promote()
        self.primary = new
        return new

    def reseed(self, node: Node) -> None:
        """Make the dead ``node`` a standby of the current primary again (same port)."""
        node.start_as_standby(self.primary)
        if self.synchronous:
            self.make_synchronous()

    def fail_over(self) -> Node:
        """Kill the primary, promote the first standby, reseed the old primary; the new one.

        Further standbys are not re-pointed: they keep waiting for the dead primary."""
        old = self.kill_primary()
        new = self.promote_standby()
        self.reseed(old)
        return new

    def hosts(self, *nodes: Node) -> dict[str, str]:
        """``host``/``port`` keywords listing ``nodes`` (default: all, primary first)."""
        chosen = nodes or tuple(self.nodes)
        return {
            "host": ",".join(node.host for node in chosen),
            "port": ",".join(str(node.port) for node in chosen),
        }

    @contextlib.contextmanager
    def standby_down(self) -> Iterator[Node]:
        """The first standby is killed for the block, then restarted on its own data."""
        node = self.standby
        node.kill()
        try:
            yield node
        finally:
            node.restart_killed()
            wait_for(lambda: node.is_streaming_from(self.primary), "standby back", node)
