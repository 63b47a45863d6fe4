"""Verification of a built artifact (not a cached step: it runs on every build).

Integrity first: both checksum sidecars must be present and match, and every member of the zip
must pass its CRC check, else a ``BuildError`` names the damaged file. Static checks (always):
architecture, needed libraries, glibc symbol versions, exported symbols, file name. Live checks
(when an interpreter of the target's version and architecture is available): import in a fresh
interpreter with only the artifact and the stdlib on the path and the system's
libpq/libssl/libcrypto hidden (see ``isolation``); with a DSN, also connect
with scram-sha-256, sslmode=verify-full and channel_binding=require.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lambda_psycopg.elfcheck import Check, static_checks
from lambda_psycopg.errors import BuildError
from lambda_psycopg.isolation import (
    hidden_libraries_command,
    isolation_unavailable_reason,
    libraries_to_hide,
)
from lambda_psycopg.process import run
from lambda_psycopg.pythons import Interpreter
from lambda_psycopg.steps.package import SIDECARS, digest_of, sidecar_path
from lambda_psycopg.targets import Target

DSN_ENV = "LAMBDA_PSYCOPG_TEST_DSN"
LIVE_TIMEOUT_SECONDS = 300
# Connection options forced on top of the DSN: the proof we want is exactly this combination.
STRICT_CONNECT_OPTIONS = {
    "sslmode": "verify-full",
    "channel_binding": "require",
    "require_auth": "scram-sha-256",
}

# Runs inside the isolated interpreter; prints one JSON object.
PROBE = r"""
import json, sys
root, dsn, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, root)
result = {"python": sys.version.split()[0], "machine": ""}
try:
    import platform
    result["machine"] = platform.machine()
except Exception as exc:
    result["machine"] = "unknown: %s" % exc
try:
    import ctypes
    loadable = []
    for name in ("libpq.so.5", "libssl.so.3", "libcrypto.so.3", "libssl.so.1.1"):
        try:
            ctypes.CDLL(name)
            loadable.append(name)
        except OSError:
            pass
    result["system_libs_loadable"] = loadable
except ImportError:
    result["system_libs_loadable"] = None
import psycopg2, psycopg2.extensions
result["module_file"] = psycopg2._psycopg.__file__
result["psycopg2_version"] = psycopg2.__version__
result["libpq_version"] = psycopg2.extensions.libpq_version()
if dsn:
    conn = psycopg2.connect(dsn, **options)
    cur = conn.cursor()
    cur.execute("SELECT current_setting('server_version'), current_user")
    result["server_version"], result["user"] = cur.fetchone()
    result["ssl_in_use"] = conn.info.ssl_in_use
    result["ssl_library"] = conn.info.ssl_attribute("library")
    result["ssl_protocol"] = conn.info.ssl_attribute("protocol")
    conn.close()
with open("/proc/self/maps") as maps:
    mapped = sorted({line.split()[-1] for line in maps if ".so" in line})
result["mapped"] = mapped
print(json.dumps(result))
"""


@dataclass
class VerifyReport:
    """All checks of one artifact and the level of proof reached."""

    target: Target
    extension: str
    checks: list[Check] = field(default_factory=list)
    level: str = "static"
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(check.passed for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        """For the manifest."""
        return {
            "passed": self.passed,
            "level": self.level,
            "checks": [
                {"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks
            ],
            "notes": list(self.notes),
        }


def target_from_extension(name: str) -> Target:
    """The target an extension file name (``_psycopg.cpython-312-x86_64-linux-gnu.so``) is for."""
    match = re.fullmatch(r"_psycopg\.cpython-3(\d+)-(x86_64|aarch64)-linux-gnu\.so", name)
    if match is None:
        raise BuildError(f"{name} is not a psycopg2 extension file name this tool produces")
    arch = "x86_64" if match.group(2) == "x86_64" else "arm64"
    return Target(f"3.{match.group(1)}", arch)


def find_extension(root: Path) -> Path:
    """The single ``psycopg2/_psycopg*.so`` below ``root``."""
    found = sorted((root / "psycopg2").glob("_psycopg*.so"))
    if len(found) != 1:
        raise BuildError(f"expected one psycopg2/_psycopg*.so in {root}, found {len(found)}")
    return found[0]


def live_checks(
    root: Path,
    target: Target,
    interpreter: Interpreter,
    *,
    dsn: str | None,
    expected_libpq: int | None,
    report: VerifyReport,
) -> None:
    """Import (and connect) in an isolated interpreter; append the checks to ``report``."""
    probe_argv = [*interpreter.argv, "-I", "-S", "-c", PROBE, str(root), dsn or ""]
    probe_argv.append(json.dumps(STRICT_CONNECT_OPTIONS))
    reason = isolation_unavailable_reason()
    with tempfile.TemporaryDirectory(prefix="lambda-psycopg-verify-") as scratch:
        if reason is None:
            empty = Path(scratch) / "empty"
            empty.write_bytes(b"")
            roots = [Path("/")]
            if interpreter.sysroot is not None:
                roots.append(interpreter.sysroot)
            hide = libraries_to_hide(roots)
            command = hidden_libraries_command(probe_argv, empty, hide)
            report.notes.append(
                f"system libraries hidden in a mount namespace: {len(hide)} files "
                "(libpq/libssl/libcrypto)"
            )
        else:
            command = probe_argv
            report.notes.append(f"system libraries NOT hidden: {reason}")
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": scratch}
        env.update({key: value for key, value in os.environ.items() if key.startswith("PG")})
        completed = run(command, env=env, timeout=LIVE_TIMEOUT_SECONDS, check=False)
    what = "import + connect" if dsn else "import"
    if completed.returncode != 0:
        error = completed.stderr.strip().splitlines()[-6:]
        report.checks.append(
            Check(f"{what} ({interpreter.description})", False, " | ".join(error) or "failed")
        )
        return
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    inside = str(result["module_file"]).startswith(str(root))
    report.checks.append(
        Check(
            f"import ({interpreter.description})",
            inside,
            f"Python {result['python']} on {result['machine']}, loaded "
            + str(result["module_file"]).replace(str(root), "<artifact>"),
        )
    )
    if reason is None:
        loadable = result["system_libs_loadable"]
        report.checks.append(
            Check(
                "system libpq/libssl/libcrypto hidden",
                loadable == [] or loadable is None,
                "none loadable" if not loadable else f"still loadable: {', '.join(loadable)}",
            )
        )
    foreign = [
        path
        for path in result["mapped"]
        if re.search(r"/lib(pq|ssl|crypto)\.so", path) and not path.startswith(str(root))
    ]
    report.checks.append(
        Check(
            "no other libpq/OpenSSL loaded",
            not foreign,
            "only the extension" if not foreign else f"also mapped: {', '.join(foreign)}",
        )
    )
    version = str(result["psycopg2_version"])
    report.checks.append(
        Check(
            "psycopg2.__version__ as setup.py makes it",
            re.fullmatch(r"\d+\.\d+\.\d+ \(dt dec pq3 ext lo64\)", version) is not None,
            version,
        )
    )
    if expected_libpq is not None:
        report.checks.append(
            Check(
                "libpq version",
                result["libpq_version"] == expected_libpq,
                f"{result['libpq_version']} (expected {expected_libpq})",
            )
        )
    report.level = "import"
    if dsn:
        ok = result.get("ssl_in_use") is True and result.get("ssl_library") == "OpenSSL"
        report.checks.append(
            Check(
                "connect scram-sha-256 + verify-full + channel_binding=require",
                ok,
                f"server {result.get('server_version')} as {result.get('user')}, "
                f"{result.get('ssl_protocol')} via {result.get('ssl_library')}",
            )
        )
        report.level = "import+connect"


def verify_tree(
    root: Path,
    *,
    dsn: str | None,
    interpreter_for: Callable[[Target], tuple[Interpreter | None, str]],
    expected_libpq: int | None = None,
) -> VerifyReport:
    """Every check of an unpacked artifact (``root/psycopg2/...``)."""
    extension = find_extension(root)
    target = target_from_extension(extension.name)
    report = VerifyReport(target, extension.name)
    report.checks.extend(static_checks(extension, target))
    interpreter, why_not = interpreter_for(target)
    if interpreter is None:
        report.notes.append(f"live checks skipped: {why_not}")
        return report
    if not dsn:
        report.notes.append(f"connect skipped: no DSN (--dsn or ${DSN_ENV})")
    live_checks(root, target, interpreter, dsn=dsn, expected_libpq=expected_libpq, report=report)
    return report


def libpq_version_from_name(name: str) -> int | None:
    """180006 for ``psycopg2-2.9.13-libpq-18.6-py3.12-x86_64.zip`` (None if not that form)."""
    match = re.search(r"-libpq-(\d+)\.(\d+)-", name)
    if match is None:
        return None
    return int(match.group(1)) * 10000 + int(match.group(2))


SIDECAR_LINE = re.compile(r"([0-9a-fA-F]+) [ *]([^\n]+)\n?")


def check_sidecar(zip_path: Path, algorithm: str) -> None:
    """``<zip>.<algorithm>`` exists, is one ``<hex>  <zip name>`` line and matches the zip."""
    sidecar = sidecar_path(zip_path, algorithm)
    if not sidecar.is_file():
        raise BuildError(
            f"{sidecar} is missing: the {algorithm} of {zip_path} cannot be checked",
            "a build writes it next to the zip; download or copy it along with the zip",
        )
    match = SIDECAR_LINE.fullmatch(sidecar.read_text(errors="replace"))
    if match is None or match.group(2) != zip_path.name:
        raise BuildError(
            f"{sidecar} is not a `{algorithm}sum` line for {zip_path.name}",
            f"expected: <{algorithm} in hex>  {zip_path.name}",
        )
    expected = match.group(1).lower()
    actual = digest_of(zip_path, algorithm)
    if actual != expected:
        raise BuildError(
            f"{zip_path} is damaged or was replaced: its {algorithm} is {actual}, "
            f"{sidecar.name} says {expected}",
            "download or build it again",
        )


def check_zip_members(zip_path: Path) -> None:
    """Every member of the zip decompresses and passes its CRC check."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise BuildError(f"{zip_path} is damaged: {error}", "download or build it again") from None
    if damaged is not None:
        raise BuildError(
            f"{zip_path} is damaged: {damaged} fails its CRC check", "download or build it again"
        )


def check_integrity(zip_path: Path) -> None:
    """Both checksum sidecars, then the zip's own structure and CRCs; the first problem raised."""
    for algorithm in SIDECARS:
        check_sidecar(zip_path, algorithm)
    check_zip_members(zip_path)


def unpack_artifact(zip_path: Path, dest: Path) -> Path:
    """Unpack a plain or layer zip into ``dest``; the directory that contains ``psycopg2/``."""
    if not zipfile.is_zipfile(zip_path):
        raise BuildError(f"{zip_path} is not a zip file")
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            if name.startswith("/") or ".." in Path(name).parts:
                raise BuildError(f"{zip_path} contains an unsafe path: {name}")
        archive.extractall(dest)
    if (dest / "python" / "psycopg2").is_dir():
        return dest / "python"
    if (dest / "psycopg2").is_dir():
        return dest
    raise BuildError(f"{zip_path} has neither psycopg2/ nor python/psycopg2/ at its root")


def verify_zip(
    zip_path: Path,
    *,
    dsn: str | None,
    interpreter_for: Callable[[Target], tuple[Interpreter | None, str]],
    expected_libpq: int | None = None,
) -> VerifyReport:
    """Check its integrity, unpack ``zip_path`` to a temporary directory and verify it there."""
    check_integrity(zip_path)
    if expected_libpq is None:
        expected_libpq = libpq_version_from_name(zip_path.name)
    with tempfile.TemporaryDirectory(prefix="lambda-psycopg-artifact-") as scratch:
        root = unpack_artifact(zip_path, Path(scratch))
        return verify_tree(
            root, dsn=dsn, interpreter_for=interpreter_for, expected_libpq=expected_libpq
        )
