"""Connection parameters the libpq way: conninfo strings, URIs, PG* variables, defaults, .pgpass.

``resolve(dsn, params)`` merges, with libpq's precedence, keyword arguments > the ``dsn`` string >
``PG*`` environment variables > defaults, validates every value and returns one frozen
``ConnectParams``. The password file is only read when ``ConnectParams.password_for`` is called,
that is when the server asks for a password.

Default host: libpq uses one compiled-in Unix socket directory (``/tmp`` upstream,
``/var/run/postgresql`` in Debian's build). purepg tries both, Debian's first, as if
``host=/var/run/postgresql,/tmp`` had been given (``localhost`` on Windows).
"""

from __future__ import annotations

import os
import stat
import sys
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from purepg.errors import ProgrammingError

DEFAULT_PORT = 5432
DEFAULT_SOCKET_DIRS: tuple[str, ...] = (
    ("localhost",) if sys.platform == "win32" else ("/var/run/postgresql", "/tmp")
)

# Every keyword libpq 18 documents, with the environment variable that supplies its default.
ENVIRONMENT_VARIABLES: dict[str, str | None] = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "require_auth": "PGREQUIREAUTH",
    "channel_binding": "PGCHANNELBINDING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "client_encoding": "PGCLIENTENCODING",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "fallback_application_name": None,
    "keepalives": None,
    "keepalives_idle": None,
    "keepalives_interval": None,
    "keepalives_count": None,
    "tcp_user_timeout": None,
    "replication": None,
    "gssencmode": "PGGSSENCMODE",
    "sslmode": "PGSSLMODE",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "sslcompression": "PGSSLCOMPRESSION",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslpassword": None,
    "sslcertmode": "PGSSLCERTMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "sslkeylogfile": None,
    "requirepeer": "PGREQUIREPEER",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "min_protocol_version": "PGMINPROTOCOLVERSION",
    "max_protocol_version": "PGMAXPROTOCOLVERSION",
    "krbsrvname": "PGKRBSRVNAME",
    "gsslib": "PGGSSLIB",
    "gssdelegation": "PGGSSDELEGATION",
    "service": "PGSERVICE",
    "servicefile": None,  # PGSERVICEFILE only matters with a service, refused anyway
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
    "oauth_issuer": None,
    "oauth_client_id": None,
    "oauth_client_secret": None,
    "oauth_scope": None,
}
KEYWORDS = frozenset(ENVIRONMENT_VARIABLES)
# Environment variables that libpq turns into server settings of the startup packet.
SETTING_VARIABLES = {"PGDATESTYLE": "datestyle", "PGTZ": "timezone", "PGGEQO": "geqo"}
_DATE_OUTPUT_STYLES = frozenset({"iso", "sql", "postgres", "german"})

_CHOICES: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "sslnegotiation": ("postgres", "direct"),
    "sslcertmode": ("disable", "allow", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "gssencmode": ("disable", "prefer", "require"),
    "gssdelegation": ("0", "1"),
    "target_session_attrs": (
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby",
    ),
    "load_balance_hosts": ("disable", "random"),
    "ssl_min_protocol_version": ("", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
    "ssl_max_protocol_version": ("", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
    "min_protocol_version": ("", "3.0", "3.2", "latest"),
    "max_protocol_version": ("", "3.0", "3.2", "latest"),
}
_BOOLEANS = ("sslsni", "keepalives", "sslcompression")
_INTEGERS = (
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
)
_REQUIRE_AUTH_METHODS = frozenset(
    {"password", "md5", "gss", "sspi", "scram-sha-256", "oauth", "none"}
)
_TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_PROTOCOL_MINORS = {"3.0": 0, "3.2": 2, "latest": 2}
_OAUTH_KEYWORDS = frozenset(
    {"oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope"}
)
_URI_PREFIXES = ("postgresql://", "postgres://")


def _error(message: str) -> ProgrammingError:
    return ProgrammingError(message)


# ---------------------------------------------------------------------------------------------
# Parsing: keyword/value strings and URIs


def parse_dsn(dsn: str) -> dict[str, str]:
    """Parse a libpq conninfo string (``host=a port=5432``) or URI (``postgresql://...``).

    Returns the keywords given, in order, with their unescaped values. Raises
    ``ProgrammingError`` naming the problem for invalid syntax, unknown keywords and invalid
    values.
    """
    result = _parse_uri(dsn) if dsn.startswith(_URI_PREFIXES) else _parse_keyword_value(dsn)
    for key, value in result.items():
        _check_value(key, value)
    return result


def _parse_keyword_value(dsn: str) -> dict[str, str]:
    result: dict[str, str] = {}
    length = len(dsn)
    i = 0
    while True:
        while i < length and dsn[i].isspace():
            i += 1
        if i >= length:
            return result
        start = i
        while i < length and not dsn[i].isspace() and dsn[i] != "=":
            i += 1
        key = dsn[start:i]
        while i < length and dsn[i].isspace():
            i += 1
        if i >= length or dsn[i] != "=":
            raise _error(f'missing "=" after "{key}" in connection info string')
        i += 1
        while i < length and dsn[i].isspace():
            i += 1
        value: list[str] = []
        if i < length and dsn[i] == "'":
            i += 1
            while True:
                if i >= length:
                    raise _error("unterminated quoted string in connection info string")
                char = dsn[i]
                if char == "\\" and i + 1 < length:
                    value.append(dsn[i + 1])
                    i += 2
                elif char == "'":
                    i += 1
                    break
                else:
                    value.append(char)
                    i += 1
        else:
            while i < length and not dsn[i].isspace():
                if dsn[i] == "\\":
                    i += 1
                    if i == length:
                        break
                value.append(dsn[i])
                i += 1
        _store(result, key, "".join(value))


def _store(result: dict[str, str], key: str, value: str) -> None:
    if key not in KEYWORDS:
        raise _error(f'invalid connection option "{key}"')
    result[key] = value


def _percent_decode(text: str, secret: bool = False) -> str:
    """``text`` percent-decoded; the errors quote it unless it is a ``secret`` (a password)."""
    if "%" not in text:
        return text
    shown = "(a password: not shown)" if secret else f'"{text}"'
    out = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            digits = text[i + 1 : i + 3]
            if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise _error(f"invalid percent-encoded token: {shown}")
            if digits == "00":
                raise _error(f"forbidden value %00 in percent-encoded value: {shown}")
            out.append(int(digits, 16))
            i += 3
        else:
            out += char.encode()
            i += 1
    try:
        return out.decode()
    except UnicodeDecodeError:
        raise _error(f"percent-encoded value is not valid UTF-8: {shown}") from None


def _parse_uri(uri: str) -> dict[str, str]:
    result: dict[str, str] = {}
    prefix = _URI_PREFIXES[0] if uri.startswith(_URI_PREFIXES[0]) else _URI_PREFIXES[1]
    position = len(prefix)
    rest = uri[position:]
    # Like libpq, user info is whatever precedes an "@" that comes before any "/".
    slash = rest.find("/")
    at = rest.find("@", 0, len(rest) if slash == -1 else slash)
    if at != -1:
        user, colon, password = rest[:at].partition(":")
        if user:
            result["user"] = _percent_decode(user)
        if colon and password:
            result["password"] = _percent_decode(password, secret=True)
        rest = rest[at + 1 :]
        position += at + 1
    # The hosts end at the first "/" or "?".
    end = len(rest)
    for separator in "/?":
        found = rest.find(separator)
        if found != -1:
            end = min(end, found)
    authority, rest = rest[:end], rest[end:]

    hosts: list[str] = []
    ports: list[str] = []
    for item in authority.split(",") if authority else []:
        item_position = position
        position += len(item) + 1
        if item.startswith("["):
            close = item.find("]")
            if close == -1:
                raise _error(
                    'end of string reached when looking for matching "]" in IPv6 host '
                    f'address in URI: "{uri}"'
                )
            host = item[1:close]
            if not host:
                raise _error(f'IPv6 host address may not be empty in URI: "{uri}"')
            after = item[close + 1 :]
            if after and not after.startswith(":"):
                raise _error(
                    f'unexpected character "{after[0]}" at position {item_position + close + 2} '
                    f'in URI (expected ":" or "/"): "{uri}"'
                )
            port = after[1:]
        else:
            host, _, port = item.partition(":")
        hosts.append(_percent_decode(host))
        ports.append(_percent_decode(port))
    if any(hosts):
        result["host"] = ",".join(hosts)
    if any(ports):
        result["port"] = ",".join(ports)

    query = ""
    if rest.startswith("/"):
        path, _, query = rest[1:].partition("?")
        if path:
            result["dbname"] = _percent_decode(path)
    elif rest.startswith("?"):
        query = rest[1:]
    parameters = query.split("&") if query else []
    if len(parameters) > 1 and not parameters[-1]:
        parameters.pop()  # a trailing "&"
    for parameter in parameters:
        key, equals, value = parameter.partition("=")
        if not equals:
            raise _error(f'missing key/value separator "=" in URI query parameter: "{key}"')
        if "=" in value:
            raise _error(f'extra key/value separator "=" in URI query parameter: "{key}"')
        key = _percent_decode(key)
        value = _percent_decode(value, secret=key in _HIDDEN_IN_REPR)
        if key == "ssl" and value == "true":  # the JDBC spelling, accepted by libpq
            key, value = "sslmode", "require"
        if key not in KEYWORDS:
            raise _error(f'invalid URI query parameter: "{key}"')
        result[key] = value
    return result


# ---------------------------------------------------------------------------------------------
# Validation of single values


def _parse_int(key: str, value: str) -> int:
    try:
        return int(value.strip(), 10)
    except ValueError:
        raise _error(f'invalid integer value "{value}" for connection option "{key}"') from None


def _parse_bool(key: str, value: str) -> bool:
    word = value.strip().lower()
    if word in ("1", "true", "on", "yes"):
        return True
    if word in ("0", "false", "off", "no"):
        return False
    if key == "keepalives":  # libpq: any non-zero integer turns keepalives on
        return _parse_int(key, value) != 0
    raise _error(f'invalid {key} value: "{value}" (expected 0 or 1)')


def _parse_port(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise _error(f'invalid port number: "{value}"')
    return int(text)


def parse_require_auth(value: str) -> tuple[bool, frozenset[str]]:
    """Parse ``require_auth``: ``(negated, methods)``, e.g. ``"!md5,!password"``.

    Raises ``ProgrammingError`` for unknown methods, repeats and mixed negation.
    """
    negated: bool | None = None
    methods: set[str] = set()
    for item in value.split(","):
        is_negated = item.startswith("!")
        method = item[1:] if is_negated else item
        if method not in _REQUIRE_AUTH_METHODS:
            raise _error(f'invalid require_auth value: "{method}"')
        if negated is not None and negated != is_negated:
            raise _error(
                f'negative require_auth method "{item}" cannot be mixed with non-negative methods'
                if is_negated
                else f'require_auth method "{item}" cannot be mixed with negative methods'
            )
        if method in methods:
            raise _error(f'require_auth method "{method}" is specified more than once')
        negated = is_negated
        methods.add(method)
    return bool(negated), frozenset(methods)


def _check_value(key: str, value: str) -> None:
    """Raise ``ProgrammingError`` when ``value`` is not valid for ``key`` on its own."""
    choices = _CHOICES.get(key)
    if choices is not None and value not in choices:
        raise _error(f'invalid {key} value: "{value}"')
    if key == "port":
        for item in value.split(","):
            if item.strip():
                _parse_port(item)
    elif key in _BOOLEANS:
        _parse_bool(key, value)
    elif key in _INTEGERS:
        _parse_int(key, value)
    elif key == "require_auth" and value:
        parse_require_auth(value)
    elif key == "gsslib" and value not in ("", "gssapi"):
        if value != "sspi":
            raise _error(f'invalid gsslib value: "{value}"')
        raise _error(
            'gsslib value "sspi" invalid: purepg uses GSSAPI (purepg[gss]), which also '
            "answers servers that ask for SSPI"
        )


# ---------------------------------------------------------------------------------------------
# The resolved parameters


class HostAddress(NamedTuple):
    """One server to try: ``host`` is a name, an IP address, a Unix socket directory (starts
    with ``/``) or an abstract socket namespace (starts with ``@``), or ``""`` when only
    ``hostaddr`` was given; ``hostaddr`` is a numeric address that skips name resolution."""

    host: str
    hostaddr: str | None
    port: int

    @property
    def is_unix_socket(self) -> bool:
        """True for a Unix-domain socket (directory or abstract namespace)."""
        return not self.hostaddr and self.host.startswith(("/", "@"))

    @property
    def socket_path(self) -> str:
        """The socket file ``<dir>/.s.PGSQL.<port>``; a leading NUL for an abstract socket."""
        name = f".s.PGSQL.{self.port}"
        if self.host.startswith("@"):
            return "\0" + self.host[1:].rstrip("/") + "/" + name
        return os.path.join(self.host, name)

    @property
    def display(self) -> str:
        """How error messages name this server."""
        if self.is_unix_socket:
            return f'socket "{self.socket_path}"'.replace("\0", "@")
        where = self.host or self.hostaddr or ""
        if self.host and self.hostaddr:
            where = f"{self.host} ({self.hostaddr})"
        return f"{where}, port {self.port}"


_NO_VALUES: Mapping[str, str] = MappingProxyType({})
_HIDDEN_IN_REPR = frozenset({"password", "sslpassword", "home", "values"})


class ConnectParams(NamedTuple):
    """Validated connection parameters; the password is never shown in the repr.

    (Named tuples rather than dataclasses: ``dataclasses`` costs a cold start several
    milliseconds of imports.)
    """

    hosts: tuple[HostAddress, ...]
    dbname: str
    user: str
    password: str | None = None
    passfile: str | None = None
    sslmode: str = "prefer"
    sslnegotiation: str = "postgres"
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None
    sslpassword: str | None = None
    sslcrl: str | None = None
    sslcrldir: str | None = None
    sslcertmode: str = "allow"
    sslsni: bool = True
    sslcompression: bool = False
    ssl_min_protocol_version: str | None = "TLSv1.2"
    ssl_max_protocol_version: str | None = None
    channel_binding: str = "prefer"
    require_auth: str | None = None
    gssencmode: str = "disable"
    krbsrvname: str = "postgres"
    """The Kerberos service name: the server's principal is ``krbsrvname/host@REALM``."""
    gssdelegation: bool = False
    connect_timeout: float | None = None
    application_name: str | None = None
    fallback_application_name: str | None = None
    options: str | None = None
    client_encoding: str | None = None
    target_session_attrs: str = "any"
    load_balance_hosts: str = "disable"
    keepalives: bool = True
    keepalives_idle: int | None = None
    keepalives_interval: int | None = None
    keepalives_count: int | None = None
    tcp_user_timeout: int | None = None
    replication: str | None = None
    requirepeer: str | None = None
    protocol_versions: tuple[int, int] = (0, 0)
    """The lowest and highest protocol minor versions (3.x) allowed: ``min_protocol_version``
    and ``max_protocol_version`` (libpq 18: 3.0 only unless set; the highest is requested)."""
    environment_settings: tuple[tuple[str, str], ...] = ()
    """Server settings libpq sends in the startup packet from PGDATESTYLE, PGTZ, PGGEQO."""
    home: str | None = None
    """The home directory for ``~/.pgpass`` and ``~/.postgresql/`` (``None``: unknown)."""
    values: Mapping[str, str] = _NO_VALUES
    """Every libpq keyword that was set, as merged strings (passwords included)."""

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(self._fields, self)
            if name not in _HIDDEN_IN_REPR
        )
        return f"ConnectParams({shown})"

    def password_for(self, host: HostAddress) -> str | None:
        """The explicit password, else the password file's entry for ``host``, else None.

        The password file is read on each call (only when the server asks for a password).
        """
        if self.password:
            return self.password
        if self.passfile is None:
            return None
        return read_passfile(self.passfile, pgpass_host(host), host.port, self.dbname, self.user)


def pgpass_host(host: HostAddress) -> str:
    """The host name that identifies ``host`` in the password file, as libpq chooses it.

    ``host`` wins over ``hostaddr``; a default socket directory is ``localhost``.
    """
    if not host.host:
        return host.hostaddr or "localhost"
    if host.host in DEFAULT_SOCKET_DIRS:
        return "localhost"
    return host.host


def read_passfile(path: str, host: str, port: int, dbname: str, user: str) -> str | None:
    """The password of the first matching line of the password file at ``path``, if any.

    Lines are ``hostname:port:database:username:password``; ``*`` matches anything; ``\\``
    escapes ``:`` and ``\\``; lines starting with ``#`` are comments. Like libpq, a file that is
    not a plain file or that the group or others can access is ignored with a warning, and an
    empty password counts as none.
    """
    try:
        status = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        warnings.warn(f'password file "{path}" is not a plain file', stacklevel=3)
        return None
    if sys.platform != "win32" and status.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f'password file "{path}" has group or world access; permissions should be '
            "u=rw (0600) or less",
            stacklevel=3,
        )
        return None
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    wanted = (host, str(port), dbname, user)
    for line in lines:
        if not line or line.startswith("#"):
            continue
        fields = _split_passfile_line(line)
        if len(fields) < 5:
            continue
        if all(raw == "*" or value == want for (raw, value), want in zip(fields, wanted)):
            password = fields[4][1]
            return password or None
    return None


def _split_passfile_line(line: str) -> list[tuple[str, str]]:
    """Split at unescaped ``:`` into (raw, unescaped) fields; the password is the 5th field."""
    fields: list[tuple[str, str]] = []
    raw: list[str] = []
    value: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            raw += line[i : i + 2]
            value.append(line[i + 1])
            i += 2
            continue
        if char == ":":
            fields.append(("".join(raw), "".join(value)))
            raw, value = [], []
            if len(fields) == 5:
                return fields
        else:
            raw.append(char)
            value.append(char)
        i += 1
    fields.append(("".join(raw), "".join(value)))
    return fields


# ---------------------------------------------------------------------------------------------
# Merging and resolving


def _as_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    raise _error(
        f'invalid value for connection option "{key}": expected str or int, got '
        f"{type(value).__name__}"
    )


def _home_dir(environ: Mapping[str, str]) -> str | None:
    home = environ.get("HOME")
    if home:
        return home
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_dir
    except (ImportError, KeyError, OSError):
        return None


def _os_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        pass
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError) as exc:
        raise _error(
            f"could not determine the local user name ({exc}); give user= explicitly"
        ) from None


def merge(
    dsn: str | None, params: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Merge keyword arguments > ``dsn`` > PG* environment into libpq keyword strings.

    Keyword arguments that are ``None`` count as not given; ``database`` is an alias of
    ``dbname``.
    """
    env = os.environ if environ is None else environ
    from_environment: dict[str, str] = {}
    for key, variable in ENVIRONMENT_VARIABLES.items():
        if variable is not None and variable in env:
            from_environment[key] = env[variable]
    if "PGREQUIRESSL" in env and "PGSSLMODE" not in env:  # deprecated, still honoured by libpq
        from_environment["sslmode"] = "require" if env["PGREQUIRESSL"].strip() == "1" else "prefer"
    given = parse_dsn(dsn) if dsn else {}
    for key, value in params.items():
        if value is None:
            continue
        name = "dbname" if key == "database" else key
        if name not in KEYWORDS:
            raise _error(f'invalid connection option "{key}"')
        if key == "database" and params.get("dbname") is not None:
            raise _error('both "dbname" and "database" given: use one of them')
        text = _as_text(key, value)
        _check_value(name, text)
        given[name] = text
    # Like libpq, an environment variable only matters when nothing else sets its keyword.
    for key, value in from_environment.items():
        if key not in given:
            try:
                _check_value(key, value)
            except ProgrammingError as exc:
                raise _error(f"{exc} (from {ENVIRONMENT_VARIABLES[key]})") from None
    return {**from_environment, **given}


def _split_list(value: str | None) -> list[str]:
    return [item.strip() for item in value.split(",")] if value else []


def _make_hosts(values: Mapping[str, str]) -> tuple[HostAddress, ...]:
    hosts = _split_list(values.get("host"))
    hostaddrs = _split_list(values.get("hostaddr"))
    ports = _split_list(values.get("port"))
    if hostaddrs and hosts and len(hosts) != len(hostaddrs):
        raise _error(f"could not match {len(hosts)} host names to {len(hostaddrs)} hostaddr values")
    count = max(len(hosts), len(hostaddrs), 1)
    if len(ports) > 1 and len(ports) != count:
        raise _error(f"could not match {len(ports)} port numbers to {count} hosts")
    result: list[HostAddress] = []
    for index in range(count):
        host = hosts[index] if hosts else ""
        hostaddr = hostaddrs[index] if hostaddrs else ""
        port_text = ports[0] if len(ports) == 1 else (ports[index] if ports else "")
        port = _parse_port(port_text) if port_text else DEFAULT_PORT
        if hostaddr:
            _check_hostaddr(hostaddr)
            result.append(HostAddress(host, hostaddr, port))
        elif host:
            result.append(HostAddress(host, None, port))
        else:
            result.extend(HostAddress(default, None, port) for default in DEFAULT_SOCKET_DIRS)
    return tuple(result)


def _check_hostaddr(hostaddr: str) -> None:
    import ipaddress

    try:
        ipaddress.ip_address(hostaddr)
    except ValueError:
        raise _error(f'could not parse network address "{hostaddr}"') from None


def _environment_settings(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The server settings of PGDATESTYLE, PGTZ and PGGEQO, sent at startup as libpq does.

    purepg reads dates in the ISO output style: PGDATESTYLE may choose the field order
    (``ISO, DMY``, ``DMY``) but another output style is refused, naming the variable."""
    settings = []
    for variable, setting in SETTING_VARIABLES.items():
        value = env.get(variable)
        if not value:
            continue
        if variable == "PGDATESTYLE":
            words = {word.lower() for word in value.replace(",", " ").split()}
            if words & _DATE_OUTPUT_STYLES - {"iso"}:
                raise _error(
                    f'PGDATESTYLE "{value}" is not supported: purepg reads dates in the ISO '
                    'output style (use "ISO" with a field order, such as "ISO, DMY")'
                )
            if "iso" not in words:
                value = f"ISO, {value}"
        settings.append((setting, value))
    return tuple(settings)


def resolve(
    dsn: str | None, params: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> ConnectParams:
    """Resolve connection parameters exactly as libpq would, validating every value.

    Precedence: ``params`` (keyword arguments; ``None`` values ignored) > ``dsn`` (conninfo
    string or URI) > PG* variables of ``environ`` (default ``os.environ``) > defaults.
    Raises ``ProgrammingError`` naming the bad key and value.
    """
    env = os.environ if environ is None else environ
    values = merge(dsn, params, env)
    if "service" in values:
        raise _error(
            f'connection service "{values["service"]}" given, but purepg does not read '
            "pg_service.conf: give the parameters directly"
        )
    if "servicefile" in values:
        raise _error(
            f'connection service file "{values["servicefile"]}" given, but purepg does not '
            "read service files: give the parameters directly"
        )
    for key in _OAUTH_KEYWORDS.intersection(values):
        raise _error(
            f'connection option "{key}" given, but purepg does not support OAuth authentication'
        )
    home = _home_dir(env)
    user = values.get("user") or _os_user()
    dbname = values.get("dbname") or user

    def text(key: str) -> str | None:
        value = values.get(key)
        return value if value else None

    def choice(key: str, default: str) -> str:
        return values.get(key) or default

    def integer(key: str) -> int | None:
        value = values.get(key, "").strip()
        return _parse_int(key, value) if value else None

    sslrootcert = text("sslrootcert")
    sslmode = choice("sslmode", "verify-full" if sslrootcert == "system" else "prefer")
    if sslrootcert == "system" and sslmode != "verify-full":
        raise _error(
            f'weak sslmode "{sslmode}" may not be used with sslrootcert=system (use "verify-full")'
        )
    if (
        sslmode == "verify-full"
        and values.get("sslsni")
        and not _parse_bool("sslsni", values["sslsni"])
    ):
        raise _error(
            "sslsni=0 cannot be combined with sslmode=verify-full: Python's ssl module sends "
            "the host name it verifies as SNI"
        )
    sslnegotiation = choice("sslnegotiation", "postgres")
    if sslnegotiation == "direct" and sslmode not in ("require", "verify-ca", "verify-full"):
        raise _error(
            f'weak sslmode "{sslmode}" may not be used with sslnegotiation=direct '
            '(use "require", "verify-ca", or "verify-full")'
        )
    # An explicitly empty ssl_min_protocol_version means no minimum, as in libpq.
    min_tls = values.get("ssl_min_protocol_version", "TLSv1.2") or None
    max_tls = text("ssl_max_protocol_version")
    if min_tls and max_tls and _TLS_VERSIONS.index(min_tls) > _TLS_VERSIONS.index(max_tls):
        raise _error(
            f'invalid SSL protocol version range: ssl_min_protocol_version "{min_tls}" is '
            f'above ssl_max_protocol_version "{max_tls}"'
        )

    min_minor = _PROTOCOL_MINORS.get(values.get("min_protocol_version", ""), 0)
    max_text = values.get("max_protocol_version", "")
    # libpq 18: without max_protocol_version, 3.0 unless min_protocol_version asks for more.
    max_minor = _PROTOCOL_MINORS[max_text] if max_text else (2 if min_minor else 0)
    if min_minor > max_minor:
        raise _error('"min_protocol_version" is greater than "max_protocol_version"')

    timeout = integer("connect_timeout")
    connect_timeout = None if timeout is None or timeout <= 0 else float(max(timeout, 2))

    passfile = text("passfile")
    if passfile is None and home is not None:
        passfile = os.path.join(home, ".pgpass")

    return ConnectParams(
        hosts=_make_hosts(values),
        dbname=dbname,
        user=user,
        password=values.get("password"),
        passfile=passfile,
        sslmode=sslmode,
        sslnegotiation=sslnegotiation,
        sslrootcert=sslrootcert,
        sslcert=text("sslcert"),
        sslkey=text("sslkey"),
        sslpassword=text("sslpassword"),
        sslcrl=text("sslcrl"),
        sslcrldir=text("sslcrldir"),
        sslcertmode=choice("sslcertmode", "allow"),
        sslsni=_parse_bool("sslsni", values["sslsni"]) if values.get("sslsni") else True,
        sslcompression=(
            _parse_bool("sslcompression", values["sslcompression"])
            if values.get("sslcompression")
            else False
        ),
        ssl_min_protocol_version=min_tls,
        ssl_max_protocol_version=max_tls,
        channel_binding=choice("channel_binding", "prefer"),
        require_auth=text("require_auth"),
        gssencmode=choice("gssencmode", "disable"),
        krbsrvname=choice("krbsrvname", "postgres"),
        gssdelegation=values.get("gssdelegation") == "1",
        connect_timeout=connect_timeout,
        application_name=text("application_name"),
        fallback_application_name=text("fallback_application_name"),
        options=text("options"),
        client_encoding=text("client_encoding"),
        target_session_attrs=choice("target_session_attrs", "any"),
        load_balance_hosts=choice("load_balance_hosts", "disable"),
        keepalives=(
            _parse_bool("keepalives", values["keepalives"]) if values.get("keepalives") else True
        ),
        keepalives_idle=integer("keepalives_idle"),
        keepalives_interval=integer("keepalives_interval"),
        keepalives_count=integer("keepalives_count"),
        tcp_user_timeout=integer("tcp_user_timeout"),
        replication=text("replication"),
        requirepeer=text("requirepeer"),
        protocol_versions=(min_minor, max_minor),
        environment_settings=_environment_settings(env),
        home=home,
        values=values,
    )


__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_SOCKET_DIRS",
    "KEYWORDS",
    "ConnectParams",
    "HostAddress",
    "merge",
    "parse_dsn",
    "parse_require_auth",
    "pgpass_host",
    "read_passfile",
    "resolve",
]
