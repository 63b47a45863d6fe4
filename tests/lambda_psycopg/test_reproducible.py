"""Same inputs, same bytes: psycopg2 rebuilt from scratch in another cache gives identical zips."""

from __future__ import annotations

from pathlib import Path

from lambda_psycopg.cache import StepCache
from lambda_psycopg.pipeline import TargetResult, build_target
from lambda_psycopg.steps import StepContext
from lambda_psycopg.steps.package import sha256_of
from lambda_psycopg.targets import Target

SHARED_STEPS = ("fetch", "sources", "openssl", "libpq")


def test_rebuilding_psycopg2_and_the_zips_gives_identical_bytes(
    built_artifact: TargetResult, step_cache: StepCache, tmp_path: Path
) -> None:
    # A second cache at another path that reuses the slow library steps but rebuilds the
    # extension, the zips and the toolchain wrappers: no build path may leak into the bytes.
    other = tmp_path / "other-cache"
    (other / "steps").mkdir(parents=True)
    for step in SHARED_STEPS:
        (other / "steps" / step).symlink_to(step_cache.root / "steps" / step)
    out = tmp_path / "dist"
    rebuilt = build_target(StepContext(StepCache(other)), Target("3.11", "x86_64"), out)
    assert (
        rebuilt.manifest["cache_keys"]["psycopg2"]
        == (built_artifact.manifest["cache_keys"]["psycopg2"])
    )
    for name in (built_artifact.names.zip, built_artifact.names.layer_zip):
        assert sha256_of(out / name) == sha256_of(built_artifact.out_dir / name)
