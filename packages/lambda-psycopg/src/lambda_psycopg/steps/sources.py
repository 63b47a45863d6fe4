"""Step sources: check every downloaded file against its checksums, then unpack it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from lambda_psycopg.cache import StepOutput, code_version
from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run_logged
from lambda_psycopg.steps import StepContext
from lambda_psycopg.versions import pinned_sha256

CODE = code_version(__file__)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dsc_checksums(dsc_text: str) -> dict[str, str]:
    """File name -> sha256 from a .dsc's ``Checksums-Sha256`` field."""
    match = re.search(r"^Checksums-Sha256:\n((?:[ \t].*\n?)+)", dsc_text, flags=re.MULTILINE)
    if match is None:
        raise BuildError("the .dsc has no Checksums-Sha256 field")
    checksums = {}
    for line in match.group(1).splitlines():
        digest, _size, name = line.split()
        checksums[name] = digest
    return checksums


def check_sha256(path: Path, expected: str, source: str) -> str:
    """Raise a clear error unless ``path`` hashes to ``expected``; return the digest."""
    actual = sha256_file(path)
    if actual != expected:
        raise BuildError(
            f"checksum mismatch for {path.name}: expected {expected} ({source}), got {actual}",
            f"delete {path.parent} and run again; if it persists the download was tampered with "
            "or the pin in versions.py is wrong",
        )
    return actual


def unpack(archive: Path, dest: Path, log: Path) -> None:
    """Unpack a tarball into ``dest`` without its top-level directory."""
    dest.mkdir(parents=True)
    run_logged(
        ["tar", "-xf", archive, "-C", dest, "--strip-components=1", "--no-same-owner"],
        cwd=dest,
        log=log,
        what=f"unpacking {archive.name}",
    )


def prepare_debian_source(ctx: StepContext, kind: str, fetched: StepOutput) -> StepOutput:
    """Verify a Debian source package (``.dsc`` + pinned upstream sha256) and unpack it."""
    version = ctx.versions.postgres if kind == "postgres" else ctx.versions.openssl
    pinned = pinned_sha256(kind, version)
    inputs = {"fetch": fetched.key, "kind": kind, "version": version, "pinned": pinned}
    inputs["code"] = CODE

    def build(out: Path, work: Path) -> dict[str, Any]:
        dsc = fetched.path / str(fetched.outputs["dsc"])
        checksums = dsc_checksums(dsc.read_text())
        for name, digest in checksums.items():
            check_sha256(fetched.path / name, digest, f"Debian {dsc.name}")
        origs = [name for name in checksums if re.search(r"\.orig\.tar\.[a-z0-9]+$", name)]
        if len(origs) != 1:
            raise BuildError(f"expected one .orig tarball in {dsc.name}, found {origs}")
        orig = fetched.path / origs[0]
        if pinned is not None:
            check_sha256(orig, pinned, "pinned in versions.py")
        unpack(orig, out / "src", work / "unpack.log")
        return {
            "tarball": orig.name,
            "sha256": checksums[orig.name],
            "upstream_sha256_pinned": pinned is not None,
            "debian_package": fetched.outputs["package"],
            "debian_version": fetched.outputs["debian_version"],
            "dsc": dsc.name,
            "dsc_sha256": sha256_file(dsc),
        }

    return ctx.run("sources", f"{kind} {version}: checksums + unpack", inputs, build)


def prepare_psycopg2(ctx: StepContext, version: str, fetched: StepOutput) -> StepOutput:
    """Verify psycopg2's sdist against its pinned sha256 and unpack it."""
    pinned = pinned_sha256("psycopg2", version)
    inputs = {"fetch": fetched.key, "version": version, "pinned": pinned, "code": CODE}

    def build(out: Path, work: Path) -> dict[str, Any]:
        sdist = fetched.path / str(fetched.outputs["sdist"])
        if pinned is None:
            digest = sha256_file(sdist)
        else:
            digest = check_sha256(sdist, pinned, "pinned in versions.py")
        unpack(sdist, out / "src", work / "unpack.log")
        return {"tarball": sdist.name, "sha256": digest, "sha256_pinned": pinned is not None}

    return ctx.run("sources", f"psycopg2 {version}: checksum + unpack", inputs, build)
