"""Bytecode for a deployment package: ``__pycache__/<name>.<cache tag>.pyc`` next to each
source, compiled by an interpreter of the target Python version.

Lambda's ``/var/task`` and ``/opt`` are read-only, so without shipped bytecode every cold start
compiles every imported module from source. The magic number and cache tag differ per minor
version, so only the target's own interpreter may compile; when none is installed the package
ships sources only (it still works, it just starts slower).

The ``.pyc`` files are hash-based and checked (``CHECKED_HASH``): no source mtime in them, and
a source edited later (in the Lambda console) is noticed and recompiled in memory. Their
``co_filename`` is the archive name (the loader replaces it with the real path), and they are
compiled with a fixed hash seed (3.9 and 3.10 marshal frozensets in hash order), so the bytes
depend only on the sources and the interpreter's version.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run
from lambda_psycopg.pythons import find_local_python
from lambda_psycopg.versions import python_tuple

# Run by the target interpreter (any Python >= 3.9): describe itself as JSON.
_PROBE = """
import importlib.util, json, sys
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "cache_tag": sys.implementation.cache_tag,
    "magic": importlib.util.MAGIC_NUMBER.hex(),
}))
"""

# Run by the target interpreter: compile [source, dfile, cfile] jobs read as JSON from stdin.
_COMPILE = """
import json, py_compile, sys
for source, dfile, cfile in json.load(sys.stdin):
    try:
        py_compile.compile(
            source, cfile=cfile, dfile=dfile, doraise=True, optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
    except py_compile.PyCompileError as error:
        sys.stderr.write("%s: %s" % (dfile, error.msg))
        sys.exit(3)
"""

# A fixed, minimal environment: no PYTHONPATH / PYTHONSTARTUP / PYTHONOPTIMIZE from the caller.
_ENVIRONMENT = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
_PROBE_TIMEOUT = 30.0
_COMPILE_TIMEOUT = 600.0


@dataclass(frozen=True)
class TargetInterpreter:
    """A CPython of the target's minor version that can compile its bytecode."""

    executable: Path
    version: str  # "3.11.7"
    cache_tag: str  # "cpython-311"
    magic: str  # importlib.util.MAGIC_NUMBER, hex


def _candidates(python: str) -> list[Path]:
    """Interpreters that may be ``python``: this one, pyenv's, then ``pythonX.Y`` on PATH."""
    candidates = []
    if sys.version_info[:2] == python_tuple(python):
        candidates.append(Path(sys.executable))
    local = find_local_python(python)
    if local is not None:
        candidates.append(local.executable)
    on_path = shutil.which(f"python{python}")
    if on_path:
        candidates.append(Path(on_path))
    return candidates


def _probe(executable: Path) -> dict[str, str] | None:
    """What ``executable`` says it is, or None when it does not run (e.g. a pyenv shim for a
    version that is not installed)."""
    try:
        argv: list[str | Path] = [executable, "-S", "-s", "-c", _PROBE]
        completed = run(argv, env=_ENVIRONMENT, timeout=_PROBE_TIMEOUT, check=False)
    except BuildError:
        return None
    if completed.returncode != 0:
        return None
    try:
        facts: dict[str, str] = json.loads(completed.stdout)
    except ValueError:
        return None
    return facts


def find_target_interpreter(python: str) -> tuple[TargetInterpreter | None, str]:
    """A CPython ``python`` ("3.11") to compile with, or None and the reason there is none."""
    wanted = python_tuple(python)
    tried = []
    for executable in _candidates(python):
        facts = _probe(executable)
        if facts is None:
            tried.append(f"{executable} does not run")
            continue
        version = facts["version"]
        if facts["implementation"] != "cpython" or python_tuple(version) != wanted:
            tried.append(f"{executable} is {facts['implementation']} {version}")
            continue
        return TargetInterpreter(executable, version, facts["cache_tag"], facts["magic"]), ""
    where = "; ".join(tried) if tried else "none in pyenv or on PATH"
    return None, f"no CPython {python} interpreter found to compile bytecode ({where})"


def pyc_name(arcname: str, cache_tag: str) -> str:
    """``purepg/connection.py`` -> ``purepg/__pycache__/connection.cpython-311.pyc``."""
    source = PurePosixPath(arcname)
    return str(source.parent / "__pycache__" / f"{source.stem}.{cache_tag}.pyc")


def compile_bytecode(
    interpreter: TargetInterpreter, files: list[tuple[str, Path]], out_dir: Path
) -> list[tuple[str, Path]]:
    """Compile every ``.py`` of ``files`` (archive name, path) with ``interpreter`` into
    ``out_dir``; the ``(archive name, path)`` of each ``.pyc``, named as the import system
    looks for it. A source the target cannot compile is a BuildError naming it."""
    jobs = []
    compiled = []
    for arcname, source in sorted(files):
        if not arcname.endswith(".py"):
            continue
        name = pyc_name(arcname, interpreter.cache_tag)
        cfile = out_dir / name
        jobs.append([str(source), arcname, str(cfile)])
        compiled.append((name, cfile))
    if not jobs:
        return []
    completed = run(
        [interpreter.executable, "-S", "-s", "-c", _COMPILE],
        what=f"compiling bytecode with {interpreter.executable}",
        env=_ENVIRONMENT,
        stdin=json.dumps(jobs),
        timeout=_COMPILE_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise BuildError(
            f"Python {interpreter.version} cannot compile "
            f"{completed.stderr.strip()[-1500:] or 'the sources'}",
            "fix the source, or build without bytecode (--no-bytecode)",
        )
    return compiled
