"""``lambda-psycopg step NAME``: run one step alone (its inputs come from the cache or are
built first)."""

from __future__ import annotations

from lambda_psycopg.cache import StepOutput
from lambda_psycopg.errors import BuildError
from lambda_psycopg.headers import python_headers
from lambda_psycopg.pipeline import prepared_sources
from lambda_psycopg.steps import StepContext, fetch, libpq, openssl, psycopg2
from lambda_psycopg.targets import Target


def run_single_step(ctx: StepContext, name: str, target: Target) -> str:
    """Run step ``name`` for ``target``; a one-line description of its output."""
    if name in ("package", "verify"):
        raise BuildError(
            f"step {name} works on a whole build",
            "use `lambda-psycopg build` (package) or `lambda-psycopg verify ZIP` (verify)",
        )
    psycopg2_version = ctx.versions.psycopg2_for(target.python)
    if name == "fetch":
        outputs = [
            fetch.fetch_debian_source(ctx, "postgres"),
            fetch.fetch_debian_source(ctx, "openssl"),
            fetch.fetch_psycopg2(ctx, psycopg2_version),
        ]
        return ", ".join(str(output.path) for output in outputs)
    pg_src, ssl_src, py_src = prepared_sources(ctx, psycopg2_version)
    if name == "sources":
        return ", ".join(str(output.path) for output in (pg_src, ssl_src, py_src))
    output: StepOutput = openssl.build_openssl(ctx, target, ssl_src)
    if name in ("libpq", "psycopg2"):
        ssl_out = output
        output = libpq.build_libpq(ctx, target, pg_src, ssl_out)
        if name == "psycopg2":
            output = psycopg2.build_psycopg2(
                ctx,
                target,
                version=psycopg2_version,
                sources=py_src,
                libpq=output,
                openssl=ssl_out,
                headers=python_headers(ctx, target),
            )
    return str(output.path)
