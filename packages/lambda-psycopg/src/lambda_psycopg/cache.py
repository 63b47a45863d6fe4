"""The step cache: each step's output lives in a directory named after a hash of its inputs."""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

CACHE_ENV = "LAMBDA_PSYCOPG_CACHE"
MARKER = "step.json"


def default_cache_dir() -> Path:
    """``$LAMBDA_PSYCOPG_CACHE`` or ``~/.cache/lambda-psycopg``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "lambda-psycopg"


def code_version(*source_files: str) -> str:
    """A short hash of a step's code (its module, and the shared build helpers it runs), so
    that changing it invalidates its cache entries.

    The hash covers the syntax trees without docstrings: reformatting or rewording comments
    and docstrings does not force an OpenSSL rebuild, changing what the code does does.
    """
    digest = hashlib.sha256()
    for source_file in source_files:
        tree = ast.parse(Path(source_file).read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                value = body[0].value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    body[0] = ast.Pass()
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()[:16]


def inputs_key(step: str, inputs: Mapping[str, Any]) -> str:
    """The sha256 of the step name and its inputs in canonical JSON."""
    canonical = json.dumps({"step": step, "inputs": inputs}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class StepOutput:
    """What a step left in the cache: its directory, its declared outputs, whether it was cached."""

    step: str
    key: str
    path: Path
    outputs: dict[str, Any]
    cached: bool
    seconds: float


class StepCache:
    """A directory of step outputs: ``<root>/steps/<step>/<key>/`` plus shared scratch space."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def dir(self, name: str) -> Path:
        """A named helper directory under the cache root (downloads, apt, zig, ...), created."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def entry_path(self, step: str, key: str) -> Path:
        """Where the output of ``step`` with ``key`` lives."""
        return self.root / "steps" / step / key[:24]

    def lookup(self, step: str, inputs: Mapping[str, Any]) -> StepOutput | None:
        """The cached output for these inputs, or None."""
        key = inputs_key(step, inputs)
        path = self.entry_path(step, key)
        marker = path / MARKER
        if not marker.is_file():
            return None
        recorded = json.loads(marker.read_text())
        return StepOutput(step, key, path, recorded["outputs"], True, 0.0)

    def run(
        self,
        step: str,
        inputs: Mapping[str, Any],
        build: Callable[[Path, Path], dict[str, Any]],
    ) -> StepOutput:
        """Return the cached output, or call ``build(out_dir, work_dir)`` and cache what it made.

        ``build`` fills ``out_dir`` and returns a JSON-serialisable description of its outputs.
        The work directory is removed on success and kept on failure, for its logs. A step that
        another process is building is waited for (`_building`), then taken from the cache.
        """
        found = self.lookup(step, inputs)
        if found is not None:
            return found
        key = inputs_key(step, inputs)
        with self._building(step, key):
            found = self.lookup(step, inputs)  # built by another process while this one waited
            if found is not None:
                return found
            final = self.entry_path(step, key)
            staging = final.with_name(final.name + f".tmp-{os.getpid()}")
            work = self.root / "work" / f"{step}-{key[:24]}"
            for stale in (staging, work):
                if stale.exists():
                    shutil.rmtree(stale)
            staging.mkdir(parents=True)
            work.mkdir(parents=True)
            started = time.monotonic()
            try:
                outputs = build(staging, work)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            seconds = time.monotonic() - started
            record = {"step": step, "key": key, "inputs": inputs, "outputs": outputs}
            (staging / MARKER).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
            shutil.rmtree(work, ignore_errors=True)
            return StepOutput(step, key, final, outputs, False, seconds)

    @contextlib.contextmanager
    def _building(self, step: str, key: str) -> Iterator[None]:
        """Held while ``step`` is built for ``key``: a second process building it (a test
        worker, another build) waits, then takes the output, instead of deleting the first's
        work directory as stale."""
        with (self.dir("locks") / f"{step}-{key[:24]}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
