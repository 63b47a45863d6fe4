"""Connection settings: arguments, a conninfo/URI string, ``DATABASE_URL``, PG* variables.

Precedence is libpq's: keyword arguments > the DSN (``dsn=`` or else ``DATABASE_URL``) > PG*
environment variables (read by the driver itself) > defaults. The DSN is parsed by the chosen
driver's own parser (libpq's for psycopg2, ``purepg.conninfo`` for purepg), never a third one.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this module is on the cold-start path, kept import-light
    from collections.abc import Callable, Mapping
    from typing import Any

SECRET_KEYS = frozenset({"password", "sslpassword"})
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})
DATABASE_URL = "DATABASE_URL"


class Settings:
    """What the caller asked for: the DSN, libpq keywords and the facade's own options.

    Immutable, compared and hashed by value. ``socket_timeout``: seconds a connected client
    waits for the server (None: forever); see `connect`. (A plain class, not a dataclass:
    ``dataclasses`` costs milliseconds of import on a Lambda cold start.)
    """

    __slots__ = (
        "driver",
        "dsn",
        "iam_auth",
        "params",
        "pooler_safe",
        "region",
        "secret_id",
        "socket_timeout",
    )
    dsn: str | None
    params: tuple[tuple[str, str], ...]
    driver: str | None
    pooler_safe: bool
    secret_id: str | None
    iam_auth: bool
    region: str | None
    socket_timeout: float | None

    def __init__(
        self,
        dsn: str | None = None,
        *,
        params: tuple[tuple[str, str], ...] = (),
        driver: str | None = None,
        pooler_safe: bool = False,
        secret_id: str | None = None,
        iam_auth: bool = False,
        region: str | None = None,
        socket_timeout: float | None = None,
    ) -> None:
        fields = {
            "dsn": dsn,
            "params": params,
            "driver": driver,
            "pooler_safe": pooler_safe,
            "secret_id": secret_id,
            "iam_auth": iam_auth,
            "region": region,
            "socket_timeout": socket_timeout,
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Settings is immutable: cannot set {name!r}")

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(tuple(self._fields().values()))

    def __reduce__(self) -> tuple[Any, ...]:
        """Copied and pickled by value (``__setattr__`` refuses the default way)."""
        return (_settings_from, (self._fields(),))

    @classmethod
    def from_arguments(
        cls,
        dsn: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        driver: str | None = None,
        pooler_safe: bool = False,
        secret_id: str | None = None,
        iam_auth: bool = False,
        region: str | None = None,
        socket_timeout: float | str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from ``connect()``'s arguments; ``DATABASE_URL`` when no ``dsn`` is given."""
        env = os.environ if environ is None else environ
        if dsn is None:
            dsn = env.get(DATABASE_URL) or None
        keywords: dict[str, str] = {}
        for key, value in (params or {}).items():
            if value is None:
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise TypeError(  # the type only: the value may be a password
                    f"connection parameter {key!r} must be a str or int, not {type(value).__name__}"
                )
            keywords["dbname" if key == "database" else key] = str(value)
        if secret_id and iam_auth:
            raise ValueError("use either secret_id= or iam_auth=True, not both")
        return cls(
            dsn,
            params=tuple(sorted(keywords.items())),
            driver=driver,
            pooler_safe=pooler_safe,
            secret_id=secret_id,
            iam_auth=iam_auth,
            region=region,
            socket_timeout=_seconds(socket_timeout),
        )

    def cache_key(self) -> tuple[Any, ...]:
        """Identity of the target for connection reuse (passwords excluded: rotation keeps it)."""
        params = tuple(item for item in self.params if item[0] not in SECRET_KEYS)
        return (
            self.dsn,
            params,
            self.driver,
            self.pooler_safe,
            self.secret_id,
            self.iam_auth,
            self.region,
            self.socket_timeout,
        )

    def connect_params(self, parse_dsn: Callable[[str], dict[str, str]]) -> dict[str, str]:
        """The DSN's keywords overridden by the keyword arguments."""
        merged = parse_dsn(self.dsn) if self.dsn else {}
        merged.update(self.params)
        return merged

    def __repr__(self) -> str:
        from .redaction import MASK

        params = ", ".join(
            f"{key}={MASK if key in SECRET_KEYS else value!r}" for key, value in self.params
        )
        dsn = None if self.dsn is None else MASK
        return (
            f"Settings(dsn={dsn}, params=({params}), driver={self.driver!r}, "
            f"pooler_safe={self.pooler_safe}, secret_id={self.secret_id!r}, "
            f"iam_auth={self.iam_auth}, region={self.region!r}, "
            f"socket_timeout={self.socket_timeout!r})"
        )


def _settings_from(fields: dict[str, Any]) -> Settings:
    """`Settings` from its fields (unpickling, copying)."""
    return Settings(**fields)


def _seconds(value: float | str | None) -> float | None:
    """``socket_timeout`` as seconds; None for none (None or 0): purepg's parse (imported only
    with a timeout), a bad value a ValueError (an argument error before any connection)."""
    if value is None:
        return None
    from purepg.connection_options import socket_timeout_seconds
    from purepg.errors import ProgrammingError

    try:
        return socket_timeout_seconds(value)
    except ProgrammingError:
        pass
    raise ValueError(f"socket_timeout must be a number of seconds >= 0, not {value!r}")


def target_hosts(params: Mapping[str, str], environ: Mapping[str, str] | None = None) -> list[str]:
    """The hosts libpq would contact: ``host`` (else ``hostaddr``, else PGHOST/PGHOSTADDR)."""
    env = os.environ if environ is None else environ
    value = (
        params.get("host")
        or params.get("hostaddr")
        or env.get("PGHOST")
        or env.get("PGHOSTADDR")
        or ""
    )
    return [host.strip() for host in value.split(",")]


def connected_addresses(
    params: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> list[str]:
    """What libpq actually connects to, per server: its ``hostaddr`` entry when one is given
    (``host`` then only names the server for certificate checks and the password file), else
    its ``host`` entry; PGHOST / PGHOSTADDR stand in for absent keywords."""
    env = os.environ if environ is None else environ
    names = (params.get("host") or env.get("PGHOST") or "").split(",")
    addresses = (params.get("hostaddr") or env.get("PGHOSTADDR") or "").split(",")
    count = max(len(names), len(addresses))
    chosen = []
    for index in range(count):
        address = addresses[index].strip() if index < len(addresses) else ""
        name = names[index].strip() if index < len(names) else ""
        chosen.append(address or name)
    return chosen


def is_local_host(host: str) -> bool:
    """localhost, a loopback address (127.0.0.0/8, ::1), a Unix socket directory or the
    default socket."""
    return host in LOCAL_HOSTS or host.startswith(("/", "@", "127."))


def with_tls_default(
    params: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``params`` with ``sslmode=verify-full`` when a host is remote and no sslmode is set."""
    env = os.environ if environ is None else environ
    result = dict(params)
    if "sslmode" in result or env.get("PGSSLMODE"):
        return result
    if not all(is_local_host(address) for address in connected_addresses(result, env)):
        result["sslmode"] = "verify-full"
    return result


HOST_KEYWORDS = ("host", "hostaddr", "service")
HOST_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGSERVICE")


def names_a_server(params: Mapping[str, str], environ: Mapping[str, str] | None = None) -> bool:
    """Something says where the server is: ``host``, ``hostaddr`` or ``service`` (from the
    arguments, the DSN / ``DATABASE_URL`` or a secret) or PGHOST / PGHOSTADDR / PGSERVICE.

    A Unix-socket directory in ``host`` or PGHOST counts (a legitimate configuration); only
    libpq's silent fallback to its default socket does not."""
    env = os.environ if environ is None else environ
    return any(params.get(key) for key in HOST_KEYWORDS) or any(
        env.get(name) for name in HOST_VARIABLES
    )


def runs_in_aws_lambda(environ: Mapping[str, str] | None = None) -> bool:
    """True inside an AWS Lambda function (its runtime sets ``AWS_LAMBDA_FUNCTION_NAME``)."""
    env = os.environ if environ is None else environ
    return bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
