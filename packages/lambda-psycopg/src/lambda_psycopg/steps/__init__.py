"""The pipeline's steps; each module turns inputs into a cached output directory.

``StepContext`` is what every step receives: the cache, the versions, the job count and the
progress reporter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lambda_psycopg.cache import StepCache, StepOutput
from lambda_psycopg.progress import Reporter, SilentReporter
from lambda_psycopg.versions import Versions

# The cached steps of a build, in the order they run (``pipeline.run_steps``); each one's
# inputs are outputs of earlier ones. Python headers and sysroots (``steps.debian_python``) are
# cached too, but prepared on demand by the psycopg2 step and by verification.
STEP_ORDER = ("fetch", "sources", "openssl", "libpq", "psycopg2", "package")


@dataclass
class StepContext:
    """Shared state of one tool invocation."""

    cache: StepCache
    versions: Versions = field(default_factory=Versions)
    jobs: int = 2
    reporter: Reporter = field(default_factory=SilentReporter)

    def run(
        self,
        step: str,
        label: str,
        inputs: Mapping[str, Any],
        build: Callable[[Path, Path], dict[str, Any]],
    ) -> StepOutput:
        """Run (or reuse) one step, telling the reporter about it."""
        found = self.cache.lookup(step, inputs)
        if found is not None:
            self.reporter.finished(step, label, True, 0.0)
            return found
        self.reporter.started(step, label)
        try:
            output = self.cache.run(step, inputs, build)
        except BaseException as exc:
            self.reporter.failed(step, label, exc)
            raise
        self.reporter.finished(step, label, output.cached, output.seconds)
        return output
