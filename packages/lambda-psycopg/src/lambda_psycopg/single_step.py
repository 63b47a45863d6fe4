"""``lambda-psycopg step NAME``: run one step alone (its inputs come from the cache or are
built first)."""

from __future__ import annotations

from lambda_psycopg.errors import BuildError
from lambda_psycopg.pipeline import run_steps
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target


def run_single_step(ctx: StepContext, name: str, target: Target) -> str:
    """Run step ``name`` for ``target``; a one-line description of its output."""
    if name in ("package", "verify"):
        raise BuildError(
            f"step {name} works on a whole build",
            "use `lambda-psycopg build` (package) or `lambda-psycopg verify ZIP` (verify)",
        )
    return run_steps(ctx, target, last=name).describe(name)
