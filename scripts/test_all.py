"""Run every check of the monorepo, in order, and print one summary.

This is what ``hatch run test:all`` runs, locally and in CI. Each step is a named command run in
its own hatch environment; a failing step does not stop the later ones (the summary shows them
all), but makes the run fail. Steps:

- lint and types over the whole tree;
- the static psycopg2 built by lambda-psycopg (its build tools installed first);
- the unit and conformance tests of the pure-Python packages on every supported Python, against
  one PostgreSQL version; the same on CPython 3.14 and PyPy, each interpreter installed by its
  step (``lambda-psycopg interpreter``: Debian's packages) into a fresh venv;
- the whole test suite on the main Python against every PostgreSQL version (13-18), the
  end-to-end tests using the static build in a deployment package, in pytest-xdist workers;
- the Kerberos (gss) column with purepg[gss], after apt installs the KDC, Debian's PostgreSQL 15
  and libkrb5-dev (the ``gss`` environment's gssapi compiles against it);
- the conformance suite on the static psycopg2, in an environment without psycopg2-binary;
- SQLAlchemy's compliance suite (its sdist, downloaded by the step into a cache outside the
  repository) on postgresql+purepg and postgresql+pgfacade over both backends, PostgreSQL 16;
- the benchmark suite's quick mode (it works; timings are never checked);
- the conformance matrix merged over all the runs above.

Options: ``--only STEP[,STEP]`` and ``--skip STEP[,STEP]`` pick steps by name (``--list`` shows
them); extra arguments after ``--`` go to every pytest invocation.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / ".test-results"
ARTIFACTS_DIR = ROOT / ".cache" / "artifacts"
MAIN_PYTHON = "3.11"
OTHER_PYTHONS = ("3.9", "3.10", "3.12", "3.13")
STATIC_TARGET = ("3.11", "x86_64")
# Interpreters no hatch environment has: each step installs its own (Debian's CPython, Debian's
# pypy3), makes a venv under PLATFORMS_DIR and installs what the tests import into it.
PLATFORM_INTERPRETERS = {"py3.14": "3.14", "pypy": "pypy3"}
PLATFORMS_DIR = ROOT / ".cache" / "platforms"
PLATFORM_TEST_REQUIREMENTS = (
    "pytest>=8",
    "pytest-timeout",
    "hypothesis",
    "trustme",
    "scramp>=1.4.5",
    "boto3",
    "moto>=5",
    # PyPy: psycopg2 (a CPython C extension) cannot load, and cryptography 44+ has no PyPy 3.9
    # wheels (it would need a Rust toolchain).
    "psycopg2-binary; platform_python_implementation == 'CPython'",
    "cryptography<44; platform_python_implementation == 'PyPy'",
)
HATCH_ENV_VARIABLES = ("VIRTUAL_ENV", "HATCH_ENV_ACTIVE")
PYTEST_EXIT_NO_TESTS = 5
# The whole suite waits on its servers more than it computes: pytest-xdist workers, each with its
# own clusters, share it out. ``--dist load``: the file-scoped modes (loadfile, loadscope,
# loadgroup) end the run with an INTERNALERROR when a worker dies (a test timeout kills it)
# and is replaced (pytest-xdist issues 1189 and 1362).
MAX_SUITE_WORKERS = 4
# The drivers every interpreter runs (asyncio's behaviour changes between Python versions).
PURE_PYTHON_DRIVERS = "purepg,purepg-aio,pgfacade-purepg"


@dataclass
class Step:
    """One named command of the run."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[], None] | None = None
    seconds: float = 0.0
    returncode: int | None = None

    @property
    def outcome(self) -> str:
        if self.returncode is None:
            return "not run"
        if self.returncode == 0:
            return "passed"
        if self.returncode == PYTEST_EXIT_NO_TESTS and "pytest" in self.argv:
            return "FAILED (no tests ran)"
        return f"FAILED (exit {self.returncode})"


def pyenv_versions_env() -> dict[str, str]:
    """Make every pyenv Python visible to hatch, so it never tries to download one."""
    if shutil.which("pyenv") is None:
        return {}
    listed = subprocess.run(
        ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False
    ).stdout.split()
    wanted = [v for v in listed if v.count(".") == 2 and v.startswith("3.") and "/" not in v]
    main = [v for v in wanted if v.startswith(MAIN_PYTHON + ".")]
    return {"PYENV_VERSION": ":".join(main + [v for v in wanted if v not in main])}


def static_psycopg2_path() -> Path:
    """Where the unpacked static psycopg2 zip is put for the conformance run."""
    python, arch = STATIC_TARGET
    return ARTIFACTS_DIR / f"unpacked-py{python}-{arch}"


def unpack_static_psycopg2() -> None:
    """Unpack the zip that the static-build step listed in latest.json (psycopg2/ at its root)."""
    python, arch = STATIC_TARGET
    listing = json.loads((ARTIFACTS_DIR / "latest.json").read_text())
    for artifact in listing["artifacts"]:
        if (artifact["python"], artifact["arch"]) == (python, arch):
            target = static_psycopg2_path()
            shutil.rmtree(target, ignore_errors=True)
            with zipfile.ZipFile(artifact["zip"]) as archive:
                archive.extractall(target)
            return
    raise SystemExit(f"latest.json lists no py{python}-{arch} artifact: {listing}")


def install_gss_prerequisites() -> None:
    """apt-get the KDC, Debian's PostgreSQL 15 and libkrb5-dev before hatch builds ``gss``."""
    from tests.harness import apt, gss_prerequisites

    try:
        apt.ensure_packages({**gss_prerequisites.BUILD_FILES, **gss_prerequisites.RUNTIME_FILES})
    except (apt.PackagesUnavailableError, apt.PackagesInstallError) as error:
        raise SystemExit(str(error)) from None


def without_hatch_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the active hatch environment: each command names its own."""
    return {key: value for key, value in env.items() if key not in HATCH_ENV_VARIABLES}


def run_or_exit(argv: list[str]) -> str:
    """Run a preparation command; its stdout, or SystemExit with the end of its output."""
    completed = subprocess.run(
        argv, cwd=ROOT, env=without_hatch_env(dict(os.environ)), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).strip()[-2000:]
        raise SystemExit(f"`{' '.join(argv)}` failed (exit {completed.returncode}):\n{output}")
    return completed.stdout


def platform_python(name: str) -> Path:
    """The venv interpreter of platform step ``name``."""
    return PLATFORMS_DIR / f"venv-{name}" / "bin" / "python"


def prepare_platform(name: str) -> None:
    """Install the step's interpreter, make a fresh venv with it, install the tests' imports."""
    interpreter = PLATFORM_INTERPRETERS[name]
    home = PLATFORMS_DIR / f"home-{name}"
    command = ["hatch", "run", "default:lambda-psycopg", "interpreter", interpreter]
    installed = run_or_exit([*command, "--home", str(home), "--plain"]).strip().splitlines()[-1]
    print(f"=== {name}: interpreter {installed}", flush=True)
    venv = platform_python(name).parent.parent
    shutil.rmtree(venv, ignore_errors=True)
    run_or_exit([installed, "-m", "venv", "--without-pip", str(venv)])
    # uv (hatch's own installer) installs into any interpreter: the unpacked Debian CPython has
    # no ensurepip, and pip no longer runs on PyPy's Python 3.9.
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not on PATH (it comes with hatch; or `pip install uv`)")
    install = [uv, "pip", "install", "-q", "--python", str(platform_python(name))]
    editable = ["-e", "packages/purepg", "-e", "packages/pgfacade"]
    run_or_exit([*install, *PLATFORM_TEST_REQUIREMENTS, *editable])


def suite_workers() -> list[str]:
    """pytest-xdist options of the whole-suite step: one worker per CPU, 2 to 4 of them."""
    workers = max(2, min(os.cpu_count() or 1, MAX_SUITE_WORKERS))
    return ["-n", str(workers), "--dist", "load"]


def build_steps(pytest_args: list[str]) -> list[Step]:
    """The whole run, in order: the static build comes early, as later tests use it."""
    pytest = ["-p", "no:cacheprovider", *pytest_args]
    python, arch = STATIC_TARGET
    build = ["hatch", "run", "default:lambda-psycopg", "build"]
    build += ["--python", python, "--arch", arch, "--out", str(ARTIFACTS_DIR), "--plain"]
    steps = [
        Step("lint", ["hatch", "run", "lint:check"]),
        Step("types", ["hatch", "run", "types:check"]),
        Step("static-setup", ["hatch", "run", "default:lambda-psycopg", "setup"]),
        Step("static-build", build),
    ]
    for other in OTHER_PYTHONS:
        argv = f"hatch run unit.py{other}:pytest".split() + pytest
        argv += ["tests/purepg", "tests/pgfacade", "tests/conformance", "--pg", "18"]
        argv += ["--drivers", PURE_PYTHON_DRIVERS]
        steps.append(Step(f"py{other}", argv, env={"TEST_RUN_LABEL": f"py{other}"}))
    for name in PLATFORM_INTERPRETERS:
        argv = [str(platform_python(name)), "-m", "pytest", *pytest]
        argv += ["tests/purepg", "tests/pgfacade", "tests/conformance", "--pg", "18"]
        argv += ["--drivers", PURE_PYTHON_DRIVERS]
        prepare = functools.partial(prepare_platform, name)
        steps.append(Step(name, argv, env={"TEST_RUN_LABEL": name}, prepare=prepare))
    gss = ["hatch", "run", "gss:pytest", *pytest, "tests/conformance/test_gss.py"]
    gss += ["tests/purepg/test_gss_auth.py", "tests/purepg/test_gss_server.py"]
    static = ["hatch", "run", "static:pytest", *pytest, "tests/conformance"]
    static += ["--drivers", "psycopg2,pgfacade-psycopg2"]
    matrix = ["hatch", "run", "default:python", "-m", "tests.harness.matrix", str(RESULTS_DIR)]
    sqlalchemy_suite = ["hatch", "run", "default:python", "-m", "tests.sqlalchemy.upstream.run"]
    steps += [
        Step(
            f"suite-py{MAIN_PYTHON}",
            ["hatch", "run", "default:pytest", *suite_workers(), *pytest, "tests"],
            env={"LAMBDA_PSYCOPG_ZIP": str(ARTIFACTS_DIR / "latest.json")},
        ),
        # After the suite: its purepg cells of the gss column skip (no gssapi there), these
        # records (same Python, no label) replace them in the matrix.
        Step("gss", gss, prepare=install_gss_prerequisites),
        Step(
            "static-conformance",
            static,
            env={"PYTHONPATH": str(static_psycopg2_path()), "TEST_RUN_LABEL": "static"},
            prepare=unpack_static_psycopg2,
        ),
        Step("sqlalchemy-suite", [*sqlalchemy_suite, *pytest_args]),
        Step("bench-smoke", ["hatch", "run", "bench:smoke", *pytest]),
        Step("matrix", matrix),
    ]
    return steps


def run_step(step: Step, base_env: dict[str, str]) -> None:
    """Run one step, streaming its output, and record its outcome and duration."""
    print(f"\n=== {step.name}: {' '.join(step.argv)}", flush=True)
    started = time.monotonic()
    env = {**base_env, **step.env}
    try:
        if step.prepare is not None:
            step.prepare()
        step.returncode = subprocess.run(step.argv, cwd=ROOT, env=env, check=False).returncode
    except (OSError, ValueError, KeyError, SystemExit) as error:
        print(f"=== {step.name}: could not run: {error}", flush=True)
        step.returncode = 1
    step.seconds = time.monotonic() - started
    print(f"=== {step.name}: {step.outcome} in {step.seconds:.0f}s", flush=True)


def print_summary(steps: list[Step]) -> None:
    width = max(len(s.name) for s in steps)
    print("\nSummary")
    for step in steps:
        print(f"  {step.name:<{width}}  {step.outcome:<24} {step.seconds:7.0f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated step names to run")
    parser.add_argument("--skip", default="", help="comma-separated step names to leave out")
    parser.add_argument("--list", action="store_true", help="list the steps and exit")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    steps = build_steps(args.pytest_args)
    names = {s.name for s in steps}
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    unknown = (only | skip) - names
    if unknown:
        parser.error(f"unknown step(s) {', '.join(sorted(unknown))}; steps: {', '.join(names)}")
    if args.list:
        for step in steps:
            print(f"{step.name}: {' '.join(step.argv)}")
        return 0
    selected = [s for s in steps if (not only or s.name in only) and s.name not in skip]

    if any(s.name != "matrix" for s in selected) and RESULTS_DIR.exists():
        shutil.rmtree(RESULTS_DIR)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, **pyenv_versions_env(), "TEST_RESULTS_DIR": str(RESULTS_DIR)}
    base_env = without_hatch_env(base_env)
    for step in selected:
        run_step(step, base_env)
    print_summary(selected)
    return 0 if all(s.returncode == 0 for s in selected) else 1


if __name__ == "__main__":
    sys.exit(main())
