"""Fixtures for lambda-psycopg: a built x86_64 / Python 3.11 artifact (from the step cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lambda_psycopg.cache import StepCache, default_cache_dir
from lambda_psycopg.pipeline import TargetResult, build_target
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target


@pytest.fixture(scope="session")
def step_cache() -> StepCache:
    """The real step cache (``$LAMBDA_PSYCOPG_CACHE``): a cold one costs a full build."""
    return StepCache(default_cache_dir())


@pytest.fixture(scope="session")
def built_artifact(step_cache: StepCache, tmp_path_factory: pytest.TempPathFactory) -> TargetResult:
    """psycopg2 for Python 3.11 on x86_64, built (or taken from the cache) and verified."""
    out = tmp_path_factory.mktemp("dist")
    return build_target(StepContext(step_cache), Target("3.11", "x86_64"), out)


@pytest.fixture(scope="session")
def built_zip(built_artifact: TargetResult) -> Path:
    """The plain zip of the built artifact."""
    return built_artifact.zip_path
