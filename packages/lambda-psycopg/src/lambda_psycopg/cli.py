"""The ``lambda-psycopg`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lambda_psycopg import __version__
from lambda_psycopg.cache import CACHE_ENV, StepCache, default_cache_dir
from lambda_psycopg.errors import BuildError
from lambda_psycopg.progress import Reporter, format_seconds, make_reporter
from lambda_psycopg.steps import STEP_ORDER, StepContext
from lambda_psycopg.targets import ARCHES, PYTHONS, parse_targets
from lambda_psycopg.verify import DSN_ENV
from lambda_psycopg.versions import (
    DEBIAN_MIRROR,
    OPENSSL_DEFAULT,
    POSTGRES_DEFAULT,
    PSYCOPG2_DEFAULT,
    PSYCOPG2_FOR_PY39,
    PYPI_URL,
    Versions,
)

EPILOG = f"""\
examples:
  lambda-psycopg setup                                  install missing build tools (root)
  lambda-psycopg build --python 3.11 --arch x86_64 --out dist
  lambda-psycopg build --python 3.12 --arch arm64
  lambda-psycopg build --all --out dist                 every Python on x86_64 and arm64
  lambda-psycopg step openssl --arch arm64              one step alone (plus what it needs)
  lambda-psycopg verify dist/psycopg2-*.zip --dsn "host=db sslrootcert=ca.pem ..."
  lambda-psycopg publish dist --bucket my-bucket --layer-name psycopg2

defaults: PostgreSQL {POSTGRES_DEFAULT}, OpenSSL {OPENSSL_DEFAULT}, psycopg2 {PSYCOPG2_DEFAULT} \
({PSYCOPG2_FOR_PY39} for Python 3.9).
cache: --cache-dir, ${CACHE_ENV}, or ~/.cache/lambda-psycopg. Live connection checks use
--dsn or ${DSN_ENV}.
"""

# verify's levels of proof, weakest first.
LEVELS = ("static", "import", "import+connect")
STEP_NAMES = (*STEP_ORDER, "verify")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", type=Path, help="step cache (default: see below)")
    parser.add_argument("--plain", action="store_true", help="plain progress lines, no colours")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel jobs (default 2)")


def _add_versions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", default=POSTGRES_DEFAULT, help="PostgreSQL (libpq) version")
    parser.add_argument("--openssl", default=OPENSSL_DEFAULT, help="OpenSSL version")
    parser.add_argument("--psycopg2", help="psycopg2 version (default depends on the Python)")


def _add_targets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python", action="append", default=[], choices=PYTHONS, help="repeatable; default 3.11"
    )
    parser.add_argument(
        "--arch", action="append", default=[], choices=ARCHES, help="repeatable; default x86_64"
    )
    parser.add_argument("--all", action="store_true", help="every Python on every architecture")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used for --help)."""
    parser = argparse.ArgumentParser(
        prog="lambda-psycopg",
        description="Build psycopg2 statically linked to libpq and OpenSSL for AWS Lambda, "
        "verify it, zip it, publish it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lambda-psycopg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    build = commands.add_parser(
        "build", help="build, verify and package targets", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    _add_targets(build)
    _add_versions(build)
    _add_common(build)
    build.add_argument("--out", type=Path, default=Path("dist"), help="artifact directory")
    build.add_argument("--dsn", help=f"test server for the connect check (or ${DSN_ENV})")

    step = commands.add_parser("step", help="run one step (and the cached steps it needs)")
    step.add_argument("name", choices=STEP_NAMES)
    _add_targets(step)
    _add_versions(step)
    _add_common(step)

    verify = commands.add_parser("verify", help="verify artifact zips")
    verify.add_argument("zips", nargs="+", type=Path, metavar="ZIP")
    verify.add_argument("--dsn", help=f"test server for the connect check (or ${DSN_ENV})")
    verify.add_argument(
        "--require-level",
        choices=LEVELS,
        default=LEVELS[0],
        help="fail unless this level of proof is reached (default: static)",
    )
    _add_common(verify)

    release = commands.add_parser(
        "release", help="collect builds' verified artifacts under fixed names, with latest.json"
    )
    release.add_argument("builds", nargs="+", type=Path, metavar="BUILD_DIR", help="build --out")
    release.add_argument("--out", type=Path, required=True, help="the release's asset directory")
    release.add_argument("--tag", required=True, help="the release's tag (recorded in latest.json)")

    publish = commands.add_parser("publish", help="upload artifacts to S3, publish layers")
    publish.add_argument("out", type=Path, help="directory with manifests (a build's --out)")
    publish.add_argument("--bucket", required=True)
    publish.add_argument("--prefix", default="lambda-psycopg", help="S3 key prefix")
    publish.add_argument("--layer-name", default="psycopg2", help="layer name stem")
    publish.add_argument("--region", help="AWS region (default: the SDK's)")
    publish.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)

    setup = commands.add_parser("setup", help="install missing build tools with apt-get (root)")
    setup.add_argument("--check", action="store_true", help="only report what is missing")

    from lambda_psycopg import bundle

    bundle_parser = commands.add_parser(
        "bundle",
        help="a Lambda deployment package or layer: handler + pgfacade + purepg [+ psycopg2]",
    )
    bundle.add_arguments(bundle_parser)

    interpreter = commands.add_parser(
        "interpreter",
        help="install an interpreter for the test suite (pypy3, or Debian's CPython 3.X); "
        "prints its path",
    )
    interpreter.add_argument("name", help='"pypy3" or a Python version such as 3.14')
    interpreter.add_argument("--home", type=Path, required=True, help="where a CPython goes")
    interpreter.add_argument("--cache-dir", type=Path, help="step cache (default: see build)")
    interpreter.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)

    versions_parser = commands.add_parser("versions", help="show the pinned versions")
    versions_parser.add_argument(
        "--check",
        action="store_true",
        help="compare each pin with the newest release at its source: exit 0 when all are "
        "current, 1 when one is newer, 2 when a source cannot be read",
    )
    versions_parser.add_argument("--debian-mirror", default=DEBIAN_MIRROR, help=argparse.SUPPRESS)
    versions_parser.add_argument("--pypi-url", default=PYPI_URL, help=argparse.SUPPRESS)
    return parser


def _context(args: argparse.Namespace, reporter: Reporter) -> StepContext:
    cache_dir = args.cache_dir or default_cache_dir()
    versions = Versions(
        postgres=getattr(args, "postgres", POSTGRES_DEFAULT),
        openssl=getattr(args, "openssl", OPENSSL_DEFAULT),
        psycopg2=getattr(args, "psycopg2", None),
    )
    return StepContext(StepCache(cache_dir), versions, max(1, args.jobs), reporter)


def _dsn(args: argparse.Namespace) -> str | None:
    return args.dsn or os.environ.get(DSN_ENV) or None


def cmd_build(args: argparse.Namespace, reporter: Reporter) -> int:
    """Build every requested target; a failing target does not stop the others."""
    from lambda_psycopg.pipeline import TargetResult, build_target, write_latest
    from lambda_psycopg.prereqs import require_tools
    from lambda_psycopg.summary import print_summary

    require_tools()
    ctx = _context(args, reporter)
    targets = parse_targets(args.python, args.arch, args.all)
    results: list[TargetResult] = []
    failures: list[tuple[str, BuildError]] = []
    started = time.monotonic()
    for target in targets:
        target_started = time.monotonic()
        try:
            results.append(build_target(ctx, target, args.out, _dsn(args)))
        except BuildError as error:
            failures.append((str(target), error))
            reporter.note(f"error: {target}: {error}")
        else:
            reporter.note(f"{target}: {format_seconds(time.monotonic() - target_started)}")
    latest = write_latest(args.out, results) if results else None
    print_summary(results, failures, time.monotonic() - started)
    if latest is not None:
        print(f"artifacts: {latest}")
        for result in results:
            print(f"zip: {result.zip_path.resolve()}")
    return 1 if failures else 0


def cmd_step(args: argparse.Namespace, reporter: Reporter) -> int:
    """Run one named step for each requested target."""
    from lambda_psycopg.prereqs import require_tools
    from lambda_psycopg.single_step import run_single_step

    if args.name not in ("fetch", "sources"):
        require_tools()
    ctx = _context(args, reporter)
    for target in parse_targets(args.python, args.arch, args.all):
        output = run_single_step(ctx, args.name, target)
        print(f"{args.name} {target}: {output}")
    return 0


def cmd_verify(args: argparse.Namespace, reporter: Reporter) -> int:
    """Verify zips; exit 1 if any check fails."""
    from lambda_psycopg.pythons import interpreter_for
    from lambda_psycopg.verify import verify_zip

    ctx = _context(args, reporter)
    status = 0
    for path in args.zips:
        try:
            if not path.is_file():
                raise BuildError(f"{path} does not exist")
            report = verify_zip(
                path, dsn=_dsn(args), interpreter_for=lambda t: interpreter_for(ctx, t)
            )
        except BuildError as error:
            print(f"{path.name}: FAILED\n  error: {error}")
            status = 1
            continue
        enough = LEVELS.index(report.level) >= LEVELS.index(args.require_level)
        passed = report.passed and enough
        print(f"{path.name}: {'PASSED' if passed else 'FAILED'} (level: {report.level})")
        for check in report.checks:
            print(f"  [{'ok' if check.passed else 'FAIL'}] {check.name}: {check.detail}")
        for note in report.notes:
            print(f"  note: {note}")
        if not enough:
            print(f"  error: level {report.level} is below the required {args.require_level}")
        if not passed:
            status = 1
    return status


def cmd_publish(args: argparse.Namespace, reporter: Reporter) -> int:
    """Upload a build's artifacts and publish its layers."""
    from lambda_psycopg.publish import publish_directory

    published = publish_directory(
        args.out, bucket=args.bucket, prefix=args.prefix, layer_name=args.layer_name,
        region=args.region,
    )  # fmt: skip
    for item in published:
        print(f"{item.zip_key} -> {item.layer_version_arn}")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Install (or with --check, list) missing build tools."""
    from lambda_psycopg.prereqs import install_missing, missing_tools

    if args.check:
        missing = missing_tools(include_optional=True)
        for tool in missing:
            kind = "required" if tool.required else "optional"
            print(f"missing ({kind}): {tool.command} [{tool.package}] - {tool.purpose}")
        if not missing:
            print("all build tools are present")
        return 1 if any(tool.required for tool in missing) else 0
    installed = install_missing()
    print(f"installed: {' '.join(installed)}" if installed else "all build tools are present")
    return 0


def cmd_interpreter(args: argparse.Namespace, reporter: Reporter) -> int:
    """Install (or find) the interpreter and print its path."""
    from lambda_psycopg.pythons import test_interpreter

    ctx = StepContext(StepCache(args.cache_dir or default_cache_dir()), reporter=reporter)
    print(test_interpreter(ctx, args.name, args.home.resolve()))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    """Print the pinned versions; with --check, whether a newer release exists."""
    from lambda_psycopg import versions

    if args.check:
        from lambda_psycopg.version_check import check_pins

        statuses = check_pins(args.debian_mirror, args.pypi_url)
        for status in statuses:
            print(status.describe())
        return 0 if all(status.current for status in statuses) else 1

    print(f"PostgreSQL (libpq): {versions.POSTGRES_DEFAULT}  sha256 "
          f"{versions.POSTGRES_SHA256.get(versions.POSTGRES_DEFAULT)}")  # fmt: skip
    print(f"OpenSSL:            {versions.OPENSSL_DEFAULT}  sha256 "
          f"{versions.OPENSSL_SHA256.get(versions.OPENSSL_DEFAULT)}")  # fmt: skip
    for version, digest in sorted(versions.PSYCOPG2_SHA256.items()):
        print(f"psycopg2:           {version}  sha256 {digest}")
    print(f"zig (ziglang):      {versions.ZIGLANG_VERSION}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    reporter = make_reporter(plain=getattr(args, "plain", False))
    try:
        if args.command == "build":
            return cmd_build(args, reporter)
        if args.command == "step":
            return cmd_step(args, reporter)
        if args.command == "verify":
            return cmd_verify(args, reporter)
        if args.command == "publish":
            return cmd_publish(args, reporter)
        if args.command == "setup":
            return cmd_setup(args)
        if args.command == "release":
            from lambda_psycopg.release import collect_release

            print(collect_release(args.builds, args.out, args.tag))
            return 0
        if args.command == "interpreter":
            return cmd_interpreter(args, reporter)
        if args.command == "bundle":
            from lambda_psycopg import bundle

            return bundle.run(args)
        return cmd_versions(args)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
