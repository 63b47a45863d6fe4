"""Publishing to S3 and Lambda layers (AWS mocked with moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from lambda_psycopg.errors import BuildError
from lambda_psycopg.publish import layer_name_for, publish_directory
from lambda_psycopg.steps.package import sha256_of, write_sidecars

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

REGION = "eu-west-1"
STEM = "psycopg2-2.9.13-libpq-18.6-py3.12-arm64"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield


def _build_output(out: Path, passed: bool = True) -> Path:
    out.mkdir()
    artifacts = {}
    for key, name in (("zip", f"{STEM}.zip"), ("layer_zip", f"{STEM}-layer.zip")):
        (out / name).write_bytes(b"PK fake " + name.encode())
        write_sidecars(out / name)
        artifacts[key] = {"name": name, "sha256": sha256_of(out / name), "size": 10}
    manifest = {
        "artifacts": artifacts,
        "target": {"python": "3.12", "arch": "arm64", "lambda_runtime": "python3.12"},
        "inputs": {
            "psycopg2": {"version": "2.9.13"},
            "postgresql": {"version": "18.6"},
            "openssl": {"version": "3.5.7"},
        },
        "verification": {"passed": passed},
    }
    (out / f"{STEM}.manifest.json").write_text(json.dumps(manifest))
    return out


def test_artifacts_are_uploaded_under_predictable_keys(aws: None, tmp_path: Path) -> None:
    out = _build_output(tmp_path / "dist")
    publish_directory(out, bucket="artifacts", prefix="builds", region=REGION)
    listing = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="artifacts")
    keys = {item["Key"] for item in listing["Contents"]}
    assert keys == {
        f"builds/{STEM}.zip",
        f"builds/{STEM}.zip.sha256",
        f"builds/{STEM}.zip.md5",
        f"builds/{STEM}-layer.zip",
        f"builds/{STEM}-layer.zip.sha256",
        f"builds/{STEM}-layer.zip.md5",
        f"builds/{STEM}.manifest.json",
    }


def test_the_layer_is_published_for_its_runtime_and_architecture(aws: None, tmp_path: Path) -> None:
    out = _build_output(tmp_path / "dist")
    (published,) = publish_directory(out, bucket="artifacts", region=REGION)
    assert published.layer_name == "psycopg2-py3_12-arm64"
    versions = boto3.client("lambda", region_name=REGION).list_layer_versions(
        LayerName=published.layer_name
    )["LayerVersions"]
    assert versions[0]["LayerVersionArn"] == published.layer_version_arn
    assert versions[0]["CompatibleRuntimes"] == ["python3.12"]
    assert versions[0]["CompatibleArchitectures"] == ["arm64"]


def test_an_artifact_that_failed_verification_is_not_published(aws: None, tmp_path: Path) -> None:
    out = _build_output(tmp_path / "dist", passed=False)
    with pytest.raises(BuildError, match="failed verification"):
        publish_directory(out, bucket="artifacts", region=REGION)


def test_an_artifact_that_does_not_match_its_manifest_is_not_published(
    aws: None, tmp_path: Path
) -> None:
    out = _build_output(tmp_path / "dist")
    (out / f"{STEM}.zip").write_bytes(b"changed after the build")
    with pytest.raises(BuildError, match="does not match the sha256"):
        publish_directory(out, bucket="artifacts", region=REGION)


def test_layer_names_use_only_allowed_characters() -> None:
    assert layer_name_for("psycopg2", "3.10", "x86_64") == "psycopg2-py3_10-x86_64"
