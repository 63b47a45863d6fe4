"""Publishing (not a cached step): upload a build's artifacts to S3 and publish each layer
zip as a Lambda layer.

boto3 is imported only here, only when publishing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_psycopg.errors import BuildError
from lambda_psycopg.steps.package import SIDECARS, sha256_of, sidecar_path

LICENSE_INFO = "LGPL-3.0-or-later WITH psycopg2 exceptions AND PostgreSQL AND Apache-2.0"


@dataclass(frozen=True)
class Published:
    """Where one target's artifacts went."""

    zip_key: str
    layer_key: str
    layer_name: str
    layer_version_arn: str


def s3_key(prefix: str, file_name: str) -> str:
    """``<prefix>/<file name>`` (artifact names already carry every version)."""
    return f"{prefix.strip('/')}/{file_name}" if prefix.strip("/") else file_name


def layer_name_for(stem: str, python: str, arch: str) -> str:
    """Lambda layer names allow letters, digits, '-' and '_': ``psycopg2-py3_12-arm64``."""
    return f"{stem}-py{python.replace('.', '_')}-{arch}"


def load_manifests(out_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``*.manifest.json`` in a build's output directory."""
    paths = sorted(out_dir.glob("*.manifest.json"))
    if not paths:
        raise BuildError(
            f"no *.manifest.json in {out_dir}", "run `lambda-psycopg build --out DIR` first"
        )
    return [(path, json.loads(path.read_text())) for path in paths]


def checked_artifact(out_dir: Path, info: dict[str, Any]) -> Path:
    """The file a manifest's ``artifacts`` entry names, present and matching its sha256."""
    path = out_dir / str(info["name"])
    if not path.is_file():
        raise BuildError(f"{path} is listed in the manifest but missing")
    if sha256_of(path) != info["sha256"]:
        raise BuildError(
            f"{path.name} does not match the sha256 in its manifest", "rebuild the artifact"
        )
    return path


def publish_directory(
    out_dir: Path,
    *,
    bucket: str,
    prefix: str = "lambda-psycopg",
    layer_name: str = "psycopg2",
    region: str | None = None,
    session: Any = None,
) -> list[Published]:
    """Upload zips, checksums and manifests; publish one layer version per target."""
    manifests = load_manifests(out_dir)
    for path, manifest in manifests:
        if not manifest["verification"]["passed"]:
            raise BuildError(f"{path.name} records a failed verification: not publishing")
    try:
        import boto3  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise BuildError("publishing needs boto3", "pip install 'lambda-psycopg[publish]'") from exc
    session = session or boto3.session.Session(region_name=region)
    s3 = session.client("s3")
    lambda_client = session.client("lambda")
    published = []
    for manifest_path, manifest in manifests:
        artifacts = manifest["artifacts"]
        zip_path = checked_artifact(out_dir, artifacts["zip"])
        layer_path = checked_artifact(out_dir, artifacts["layer_zip"])
        uploads = [zip_path, layer_path, manifest_path]
        uploads += [sidecar_path(p, kind) for p in (zip_path, layer_path) for kind in SIDECARS]
        for path in uploads:
            s3.upload_file(str(path), bucket, s3_key(prefix, path.name))
        target = manifest["target"]
        inputs = manifest["inputs"]
        name = layer_name_for(layer_name, target["python"], target["arch"])
        description = (
            f"psycopg2 {inputs['psycopg2']['version']}, libpq {inputs['postgresql']['version']}, "
            f"OpenSSL {inputs['openssl']['version']}, static; zip sha256 "
            f"{artifacts['layer_zip']['sha256'][:16]}"
        )
        response = lambda_client.publish_layer_version(
            LayerName=name,
            Description=description[:256],
            Content={"S3Bucket": bucket, "S3Key": s3_key(prefix, layer_path.name)},
            CompatibleRuntimes=[target["lambda_runtime"]],
            CompatibleArchitectures=[target["arch"]],
            LicenseInfo=LICENSE_INFO,
        )
        published.append(
            Published(
                s3_key(prefix, zip_path.name),
                s3_key(prefix, layer_path.name),
                name,
                str(response["LayerVersionArn"]),
            )
        )
    return published
