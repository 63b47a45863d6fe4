"""The ``gss`` column: a throwaway MIT Kerberos realm and a PostgreSQL server built with GSSAPI.

The npm server binaries lack GSSAPI, so this column runs on Debian's PostgreSQL 15
(``/usr/lib/postgresql/15``, which links libgssapi_krb5). ``GssCluster`` is a ``Cluster`` of that
server whose run directory also holds a realm: ``krb5.conf``, ``kdc.conf``, the KDC database, a
server keytab (``krb_server_keyfile``) and a client keytab, with ``krb5kdc`` on its own port of
127.0.0.1, started and stopped with the server. Clients find it through ``KRB5_CONFIG`` and a
ticket cache ``KRB5CCNAME`` that ``kinit()`` fills (see ``client_environment``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import time
from pathlib import Path

from tests.harness import auth_modes
from tests.harness.cluster import Cluster, ClusterError, _die_with_parent, _free_port, _terminate
from tests.harness.gss_prerequisites import DEBIAN_MAJOR, DEBIAN_SERVER

REALM = "PUREPG.TEST"
SERVICE = "postgres"
SERVICE_HOST = "localhost"
"""The host name clients connect to: the server's principal is ``postgres/localhost@REALM``."""
USER_PRINCIPAL = f"{auth_modes.GSS_MODE.role}@{REALM}"
SERVER_NOTE = (
    f"gss: Debian's PostgreSQL {DEBIAN_MAJOR} ({DEBIAN_SERVER}) with an MIT KDC; "
    "the npm server binaries lack GSSAPI"
)
KDC_START_TIMEOUT = 20.0


class KerberosRealm:
    """An MIT realm in ``directory``: config, database, principals, keytabs and the KDC."""

    def __init__(self, directory: Path, server_owner: tuple[int, int] | None = None) -> None:
        self.directory = directory
        self.krb5_conf = directory / "krb5.conf"
        self.kdc_conf = directory / "kdc.conf"
        self.server_keytab = directory / "server.keytab"
        self.client_keytab = directory / "client.keytab"
        self.ccache = directory / "ccache"
        self.port = 0
        self._server_owner = server_owner
        self._kdc: subprocess.Popen[bytes] | None = None

    def create(self) -> None:
        """Write the configuration, create the database, the principals and their keytabs."""
        self.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.port = _free_port("127.0.0.1")
        self.krb5_conf.write_text(krb5_conf(self.port))
        self.kdc_conf.write_text(kdc_conf(self.directory, self.port))
        (self.directory / "kadm5.acl").write_text("")
        self._run("kdb5_util", "-r", REALM, "create", "-s", "-P", "throwaway-master-key")
        service = f"{SERVICE}/{SERVICE_HOST}"
        keytabs = ((service, self.server_keytab), (USER_PRINCIPAL, self.client_keytab))
        for principal, keytab in keytabs:
            self._kadmin(f"addprinc -randkey {principal}")
            self._kadmin(f"ktadd -k {keytab} {principal}")
        if self._server_owner is not None:
            os.chown(self.server_keytab, *self._server_owner)

    def start(self) -> None:
        """Run ``krb5kdc`` in the foreground of a child process; wait until it accepts TCP."""
        log = (self.directory / "krb5kdc.out").open("ab")
        with log:
            self._kdc = subprocess.Popen(
                ["/usr/sbin/krb5kdc", "-n", "-r", REALM],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.tool_environment(),
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509
            )
        deadline = time.monotonic() + KDC_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._kdc.poll() is not None:
                raise ClusterError(f"krb5kdc exited with {self._kdc.returncode}: {self._log()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.05)
        raise ClusterError(f"krb5kdc not listening after {KDC_START_TIMEOUT:.0f}s: {self._log()}")

    def stop(self) -> None:
        """Stop the KDC (its files go with the cluster's run directory)."""
        kdc, self._kdc = self._kdc, None
        if kdc is not None:
            _terminate(kdc)

    def client_environment(self, ccache: Path | None = None) -> dict[str, str]:
        """``KRB5_CONFIG`` and ``KRB5CCNAME`` for clients of this realm (default cache: ours)."""
        cache = self.ccache if ccache is None else ccache
        return {"KRB5_CONFIG": str(self.krb5_conf), "KRB5CCNAME": f"FILE:{cache}"}

    def kinit_with_clock_skew(self, ccache: Path, seconds: int) -> None:
        """A ticket cache whose clients act as if their clock were ``seconds`` ahead.

        MIT Kerberos stores the client's offset from the KDC's clock in the cache header
        (format 0x0504, tag 1 "DeltaTime") and applies it to every timestamp it sends: the
        KDC and the server then see a skewed client, without touching any real clock.
        """
        self.kinit(ccache)
        raw = ccache.read_bytes()
        version, header_length = struct.unpack("!HH", raw[:4])
        if version != 0x0504:
            raise ClusterError(f"{ccache}: ticket cache format {version:#x}, expected 0x504")
        delta_time = struct.pack("!HHii", 1, 8, seconds, 0)
        header = struct.pack("!HH", version, len(delta_time)) + delta_time
        ccache.write_bytes(header + raw[4 + header_length :])

    def config_without_kdc(self, path: Path) -> Path:
        """A client configuration whose KDC is a port of 127.0.0.1 where nothing listens."""
        path.write_text(krb5_conf(_free_port("127.0.0.1")))
        return path

    def tool_environment(self) -> dict[str, str]:
        """The environment of the KDC's own tools (they read ``KRB5_KDC_PROFILE`` too)."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "KRB5_KDC_PROFILE": str(self.kdc_conf),
            **self.client_environment(),
        }

    def kinit(self, ccache: Path | None = None) -> None:
        """Get the test user's ticket from its keytab into ``ccache`` (default: ours)."""
        command = ["kinit", "-k", "-t", str(self.client_keytab), USER_PRINCIPAL]
        environment = {**self.tool_environment(), **self.client_environment(ccache)}
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ClusterError(f"kinit failed: {result.stderr.strip()} {self._log()}")

    def _kadmin(self, query: str) -> None:
        self._run("/usr/sbin/kadmin.local", "-r", REALM, "-q", query)

    def _run(self, tool: str, *arguments: str) -> None:
        command = [tool if tool.startswith("/") else f"/usr/sbin/{tool}", *arguments]
        result = subprocess.run(
            command, env=self.tool_environment(), capture_output=True, text=True, check=False
        )
        # kadmin.local reports some failures on stderr with exit status 0.
        if result.returncode != 0 or "error" in result.stderr.lower():
            raise ClusterError(f"{' '.join(command)} failed: {result.stderr.strip()}")

    def _log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.directory / "krb5kdc.out").read_text()[-2000:] + (
                self.directory / "kdc.log"
            ).read_text()[-2000:]
        return ""


def krb5_conf(kdc_port: int) -> str:
    """Clients' configuration: our realm only, no DNS, a KDC failure reported quickly."""
    return f"""[libdefaults]
    default_realm = {REALM}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    max_retries = 1
    kdc_timeout = 2s
[realms]
    {REALM} = {{
        kdc = 127.0.0.1:{kdc_port}
    }}
[domain_realm]
    {SERVICE_HOST} = {REALM}
"""


def kdc_conf(directory: Path, kdc_port: int) -> str:
    """The KDC's configuration: database, stash and log in ``directory``, its own port."""
    return f"""[kdcdefaults]
    kdc_ports = {kdc_port}
    kdc_tcp_ports = {kdc_port}
[realms]
    {REALM} = {{
        database_name = {directory}/principal
        key_stash_file = {directory}/stash
        acl_file = {directory}/kadm5.acl
        kdc_ports = {kdc_port}
        kdc_tcp_ports = {kdc_port}
        max_life = 10h 0m 0s
    }}
[logging]
    kdc = FILE:{directory}/kdc.log
"""


class GssCluster(Cluster):
    """Debian's PostgreSQL 15 with ``gss`` lines in pg_hba.conf and a realm beside it."""

    def __init__(self, base_dir: Path | None = None) -> None:
        super().__init__(DEBIAN_MAJOR, base_dir=base_dir, binaries=DEBIAN_SERVER)
        self.realm: KerberosRealm | None = None

    @property
    def kerberos(self) -> KerberosRealm:
        """The running realm."""
        if self.realm is None:
            raise ClusterError("the GSS cluster has not been started")
        return self.realm

    def params(self, auth_mode: str = auth_modes.GSS, **overrides: str | int) -> auth_modes.Params:
        """libpq keywords of the ``gss`` mode (other modes as on any cluster)."""
        if auth_mode != auth_modes.GSS:
            return super().params(auth_mode, **overrides)
        params = auth_modes.gss_client_params(host=SERVICE_HOST, port=self.port, dbname=self.dbname)
        params.update({key: str(value) for key, value in overrides.items()})
        return params

    def start(self) -> None:
        """The server, then the KDC; the ticket of the test user in the realm's cache."""
        if self.running:
            return
        super().start()
        try:
            self.kerberos.start()
            self.kerberos.kinit()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """The KDC, then the server (which deletes the run directory, realm included)."""
        if self.realm is not None:
            self.realm.stop()
        super().stop()

    def _write_config(self) -> None:
        self.realm = KerberosRealm(self.run_dir / "kerberos", server_owner=self._owner)
        self.realm.create()
        super()._write_config()
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"krb_server_keyfile = '{self.realm.server_keytab}'\n")
        with (self.data_dir / "pg_hba.conf").open("a") as hba:
            hba.write(auth_modes.gss_hba_line(REALM) + "\n")

    def _cluster_setup_sql(self) -> list[str]:
        return [*super()._cluster_setup_sql(), f"CREATE ROLE {auth_modes.GSS_MODE.role} LOGIN"]
