"""A release's assets: the verified artifacts of one or more build directories (one per runner
architecture) under fixed names, so that ``releases/latest/download/psycopg2-py3.12-arm64.zip``
always works, each with fresh ``.sha256`` / ``.md5`` sidecars, plus ``latest.json`` listing them
with their versions and hashes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from lambda_psycopg.errors import BuildError
from lambda_psycopg.publish import checked_artifact, load_manifests
from lambda_psycopg.steps.package import digest_of, sha256_of, write_sidecars
from lambda_psycopg.verify import check_integrity
from lambda_psycopg.versions import python_tuple

LATEST = "latest.json"
# Manifest key -> suffix of the fixed name after ``psycopg2-py3.X-ARCH``.
ASSET_SUFFIXES = {"zip": ".zip", "layer_zip": "-layer.zip"}


def fixed_stem(python: str, arch: str) -> str:
    """``psycopg2-py3.12-arm64``: the same in every release."""
    return f"psycopg2-py{python}-{arch}"


def _asset(source: Path, dest: Path) -> dict[str, Any]:
    """Copy an intact artifact to its fixed name with new sidecars; its latest.json entry."""
    check_integrity(source)
    shutil.copyfile(source, dest)
    write_sidecars(dest)
    return {
        "name": dest.name,
        "sha256": sha256_of(dest),
        "md5": digest_of(dest, "md5"),
        "size": dest.stat().st_size,
    }


def collect_release(build_dirs: list[Path], out: Path, tag: str) -> Path:
    """Put every verified artifact of ``build_dirs`` into ``out`` under its fixed name; write
    ``out/latest.json``. Refuses failed verifications, damaged files and duplicate targets."""
    out.mkdir(parents=True, exist_ok=True)
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for build_dir in build_dirs:
        for manifest_path, manifest in load_manifests(build_dir):
            target = manifest["target"]
            key = (str(target["python"]), str(target["arch"]))
            if key in entries:
                raise BuildError(f"two builds of {fixed_stem(*key)}: {manifest_path} is the second")
            verification = manifest["verification"]
            if not verification["passed"]:
                raise BuildError(f"{manifest_path} records a failed verification: not released")
            stem = fixed_stem(*key)
            entry: dict[str, Any] = {
                "python": key[0],
                "arch": key[1],
                "lambda_runtime": target["lambda_runtime"],
                "verification": verification["level"],
                "psycopg2": manifest["inputs"]["psycopg2"]["version"],
                "libpq": manifest["inputs"]["postgresql"]["version"],
                "openssl": manifest["inputs"]["openssl"]["version"],
            }
            for kind, suffix in ASSET_SUFFIXES.items():
                source = checked_artifact(build_dir, manifest["artifacts"][kind])
                entry[kind] = _asset(source, out / f"{stem}{suffix}")
            manifest_name = f"{stem}.manifest.json"
            shutil.copyfile(manifest_path, out / manifest_name)
            entry["manifest"] = manifest_name
            entries[key] = entry
    ordered = [entries[key] for key in sorted(entries, key=lambda k: (python_tuple(k[0]), k[1]))]
    latest = out / LATEST
    latest.write_text(json.dumps({"tag": tag, "artifacts": ordered}, indent=2) + "\n")
    return latest
