"""Step package: deterministic zips (``psycopg2/`` at the root, and a layer with ``python/``),
their ``.sha256`` and ``.md5`` sidecars, and the JSON manifest."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from lambda_psycopg.cache import StepOutput, code_version
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import ArtifactNames, Target

CODE = code_version(__file__)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
LAYER_PREFIX = "python/"


def _entry_mode(path: Path) -> int:
    return 0o755 if path.suffix == ".so" else 0o644


def deterministic_zip(files: list[tuple[str, Path]], dest: Path) -> None:
    """Write ``files`` (archive name, source path) sorted, with fixed times and modes."""
    with zipfile.ZipFile(dest, "w") as archive:
        for arcname, source in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are honoured
            info.external_attr = (0o100000 | _entry_mode(source)) << 16
            archive.writestr(info, source.read_bytes(), compresslevel=9)


# Each zip's sidecars: suffix -> hash name, in the format ``sha256sum -c`` / ``md5sum -c`` read.
SIDECARS = ("sha256", "md5")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest_of(path: Path, algorithm: str) -> str:
    """Hex digest of a file with ``algorithm`` (a ``hashlib`` name)."""
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def sidecar_path(path: Path, algorithm: str) -> Path:
    """``<path>.<algorithm>``."""
    return path.with_name(f"{path.name}.{algorithm}")


def write_sidecars(path: Path) -> list[Path]:
    """``<path>.sha256`` and ``<path>.md5``, each ``<hex>  <file name>`` (relative, so
    ``cd dir && sha256sum -c x.zip.sha256`` works); returns their paths."""
    written = []
    for algorithm in SIDECARS:
        sidecar = sidecar_path(path, algorithm)
        sidecar.write_text(f"{digest_of(path, algorithm)}  {path.name}\n")
        written.append(sidecar)
    return written


def package_files(package_dir: Path, licenses: dict[str, Path]) -> list[tuple[str, Path]]:
    """Archive names for the ``psycopg2/`` directory plus the bundled licences."""
    files = [
        (f"psycopg2/{path.relative_to(package_dir).as_posix()}", path)
        for path in sorted(package_dir.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    for name, path in sorted(licenses.items()):
        files.append((f"psycopg2/LICENSES/{name}", path))
    return files


def package_target(
    ctx: StepContext,
    target: Target,
    names: ArtifactNames,
    built: StepOutput,
    licenses: dict[str, Path],
) -> StepOutput:
    """Zip the built ``psycopg2/`` directory twice (plain and as a Lambda layer)."""
    package_dir = built.path / "psycopg2"
    inputs = {
        "psycopg2": built.key,
        "names": [names.zip, names.layer_zip],
        "licenses": {name: sha256_of(path) for name, path in licenses.items()},
        "code": CODE,
    }

    def build(out: Path, work: Path) -> dict[str, Any]:
        files = package_files(package_dir, licenses)
        deterministic_zip(files, out / names.zip)
        deterministic_zip(
            [(LAYER_PREFIX + name, path) for name, path in files], out / names.layer_zip
        )
        result: dict[str, Any] = {}
        for key, name in (("zip", names.zip), ("layer_zip", names.layer_zip)):
            write_sidecars(out / name)
            result[key] = {
                "name": name,
                "sha256": sha256_of(out / name),
                "md5": digest_of(out / name, "md5"),
                "size": (out / name).stat().st_size,
            }
        return result

    return ctx.run("package", f"zips for {target}", inputs, build)


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """The manifest as stable, sorted JSON."""
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
