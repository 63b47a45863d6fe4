"""The Python headers each target compiles against.

x86_64: a local CPython of that version (pyenv or PATH), else Debian's ``libpython3.X-dev``.
arm64: Debian's ``libpython3.X-dev:arm64`` (its pyconfig.h is arm64's), else the local x86_64
headers: both are LP64 little-endian Linux, so the C API layout an extension sees is the same;
the manifest records which was used.
"""

from __future__ import annotations

from lambda_psycopg.debian_python import debian_headers
from lambda_psycopg.errors import BuildError
from lambda_psycopg.pythons import PythonHeaders, find_local_python, local_headers
from lambda_psycopg.steps import StepContext
from lambda_psycopg.targets import Target


def python_headers(ctx: StepContext, target: Target) -> PythonHeaders:
    """Headers for ``target`` (see the module docstring for the order of preference)."""
    local = find_local_python(target.python)
    if target.arch == "x86_64" and local is not None:
        return local_headers(local)
    from_debian = debian_headers(ctx, target)
    if from_debian is not None:
        return from_debian
    if local is not None:
        headers = local_headers(local)
        return PythonHeaders(
            headers.include_dirs, headers.origin + " (x86_64 pyconfig.h)", headers.sha256
        )
    raise BuildError(
        f"no Python {target.python} headers found (neither local nor in Debian)",
        f"install it with `pyenv install {target.python}` (or put python{target.python} "
        "with its headers on PATH)",
    )
