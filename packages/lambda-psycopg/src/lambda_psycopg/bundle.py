"""Deployment packages: a handler plus pgfacade, purepg and its pure-Python dependencies, and
optionally the static psycopg2 zip, as one reproducible Lambda zip (or a layer: ``python/``).

The pure-Python packages are taken from where the running interpreter imports them (an editable
install's ``src`` directory or site-packages); one that is not installed is fetched with
``pip install --no-deps --target`` into the cache. Entries are sorted, with fixed timestamps and
modes (``deterministic_zip``), so the same inputs give the same bytes.

The build machine's ``__pycache__`` / ``*.pyc`` never go in. Instead every ``.py`` gets a
checked hash-based ``.pyc`` compiled by an interpreter of the target version
(``lambda_psycopg.bytecode``), because Lambda cannot write bytecode to its read-only task and
layer directories; without such an interpreter the zip holds sources only, with a warning.

``python -m lambda_psycopg.bundle HANDLER --python 3.11 --arch x86_64 [--psycopg2 ZIP] [--layer]
[--no-bytecode]``
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lambda_psycopg import process
from lambda_psycopg.bytecode import compile_bytecode, find_target_interpreter
from lambda_psycopg.cache import default_cache_dir
from lambda_psycopg.errors import BuildError
from lambda_psycopg.steps.package import LAYER_PREFIX, deterministic_zip, sha256_of
from lambda_psycopg.targets import Target

# pgfacade and purepg: pure Python, and purepg has no runtime dependencies.
PURE_PACKAGES = ("pgfacade", "purepg")
EXCLUDED_DIRS = frozenset({"__pycache__"})
EXCLUDED_SUFFIXES = frozenset({".pyc", ".pyo"})
# Metadata that describes the package (``importlib.metadata.version()`` and licence tools read
# METADATA). RECORD, INSTALLER, REQUESTED and direct_url.json describe this machine's
# installation and stay out.
METADATA_FILES = frozenset({"METADATA", "WHEEL", "top_level.txt", "entry_points.txt"})


@dataclass(frozen=True)
class Bundle:
    """One assembled zip."""

    path: Path
    size: int
    sha256: str
    entries: int
    with_psycopg2: bool
    layer: bool
    # Whether every .py has its target-version .pyc; if not, why (bytecode_note).
    bytecode: bool
    bytecode_note: str = ""


def _included(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    if any(part in EXCLUDED_DIRS for part in relative.parts):
        return False
    return path.is_file() and path.suffix not in EXCLUDED_SUFFIXES


def tree_files(source: Path, arc_root: str) -> list[tuple[str, Path]]:
    """``(archive name, path)`` for every file below ``source``, named under ``arc_root``."""
    return [
        (f"{arc_root}/{path.relative_to(source).as_posix()}", path)
        for path in sorted(source.rglob("*"))
        if _included(path, source)
    ]


def _fetched_package_dir(name: str, cache_dir: Path) -> Path:
    """``name`` installed with ``pip install --no-deps --target`` under the cache (once)."""
    target = cache_dir / "bundle-packages" / name
    if not (target / name).exists():
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        result = process.run([*pip, "--target", str(target), name], check=False)
        if result.returncode != 0 or not (target / name).exists():
            raise BuildError(
                f"package {name!r} is not installed and pip could not fetch it: "
                f"{result.stderr.strip()[-500:]}",
                f"install it into this environment (pip install {name})",
            )
    return target / name


def _distribution(name: str, search_path: Path | None) -> importlib.metadata.Distribution:
    """The installed distribution that provides the top-level package ``name``."""
    if search_path is not None:
        for dist in importlib.metadata.distributions(path=[str(search_path)]):
            return dist
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    for candidate in _packages_distributions().get(name, []):
        try:
            return importlib.metadata.distribution(candidate)
        except importlib.metadata.PackageNotFoundError:
            continue
    raise BuildError(f"no installed distribution provides package {name!r}")


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> Mapping[str, list[str]]:
    """Top-level package -> distributions (slow: reads every installed RECORD; once)."""
    return importlib.metadata.packages_distributions()


def metadata_files(dist: importlib.metadata.Distribution) -> list[tuple[str, Path]]:
    """A distribution's METADATA (and WHEEL, licences...) as ``<name>-<version>.dist-info/``."""
    normalised = dist.metadata["Name"].replace("-", "_")
    arc_root = f"{normalised}-{dist.version}.dist-info"
    files = []
    for file in dist.files or []:
        parts = file.parts
        if len(parts) < 2 or not parts[0].endswith(".dist-info"):
            continue
        inner = "/".join(parts[1:])
        is_licence = parts[1] in ("licenses", "license_files") or parts[1].upper().startswith(
            ("LICENSE", "LICENCE", "COPYING", "NOTICE")
        )
        if inner in METADATA_FILES or is_licence:
            files.append((f"{arc_root}/{inner}", Path(str(dist.locate_file(file)))))
    if not any(arcname.endswith("/METADATA") for arcname, _ in files):
        raise BuildError(f"distribution {dist.metadata['Name']!r} has no METADATA file")
    return sorted(files)


def package_files(name: str, cache_dir: Path | None = None) -> list[tuple[str, Path]]:
    """The files of the top-level package ``name`` as imported here (or fetched into the
    cache when it is not installed), named ``name/...``, plus its distribution's metadata."""
    spec = importlib.util.find_spec(name)
    fetched_into: Path | None = None
    if spec is not None and spec.submodule_search_locations:
        source = Path(next(iter(spec.submodule_search_locations)))
        files = tree_files(source, name)
    elif spec is not None and spec.origin and spec.origin.endswith(".py"):
        source = Path(spec.origin)
        files = [(f"{name}.py", source)]
    else:
        source = _fetched_package_dir(name, cache_dir or default_cache_dir())
        fetched_into = source.parent
        files = tree_files(source, name)
    if not files:
        raise BuildError(f"package {name!r} at {source} has no files")
    return files + metadata_files(_distribution(name, fetched_into))


def handler_files(handler: Path) -> list[tuple[str, Path]]:
    """A handler module (``app.py``, at the root) or package directory (``app/...``)."""
    if handler.is_dir():
        if not (handler / "__init__.py").is_file():
            raise BuildError(f"handler directory {handler} is not a package (no __init__.py)")
        return tree_files(handler, handler.name)
    if handler.is_file() and handler.suffix == ".py":
        return [(handler.name, handler)]
    raise BuildError(
        f"handler {handler} is neither a .py file nor a package directory",
        "pass the module that defines the handler function, e.g. app.py",
    )


def psycopg2_files(zip_path: Path, target: Target, extract_dir: Path) -> list[tuple[str, Path]]:
    """The ``psycopg2/`` tree of a lambda-psycopg zip built for ``target``, extracted."""
    if not zip_path.is_file():
        raise BuildError(
            f"static psycopg2 zip {zip_path} does not exist",
            f"build it: lambda-psycopg build --python {target.python} --arch {target.arch}",
        )
    if zip_path.name.endswith("-layer.zip"):
        raise BuildError(
            f"{zip_path.name} is the layer form; pass the plain zip (psycopg2/ at the root)"
        )
    if f"-py{target.python}-{target.arch}." not in zip_path.name:
        raise BuildError(
            f"{zip_path.name} is not built for {target} "
            f"(expected a name ending in -py{target.python}-{target.arch}.zip)"
        )
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        extension = f"psycopg2/{target.extension_filename}"
        if extension not in names:
            raise BuildError(f"{zip_path.name} has no {extension}: not a lambda-psycopg zip?")
        outside = [name for name in names if not name.startswith("psycopg2/")]
        if outside:
            raise BuildError(f"{zip_path.name} has entries outside psycopg2/: {outside[:3]}")
        archive.extractall(extract_dir)
    return tree_files(extract_dir / "psycopg2", "psycopg2")


def default_name(handler: Path | None, target: Target, with_psycopg2: bool, layer: bool) -> str:
    """``app-psycopg2-py3.11-x86_64.zip``, ``pgfacade-purepg-py3.11-x86_64-layer.zip``..."""
    stem = handler.stem if handler is not None else "pgfacade"
    backend = "psycopg2" if with_psycopg2 else "purepg"
    suffix = "-layer" if layer else ""
    return f"{stem}-{backend}-py{target.python}-{target.arch}{suffix}.zip"


def _with_bytecode(
    files: list[tuple[str, Path]], target: Target, out_dir: Path
) -> tuple[list[tuple[str, Path]], str]:
    """``files`` plus the target's ``.pyc`` of each source, or ``files`` alone and why."""
    interpreter, reason = find_target_interpreter(target.python)
    if interpreter is None:
        return files, f"{reason}; each cold start will compile the modules from source"
    return files + compile_bytecode(interpreter, files, out_dir), ""


def assemble(
    out: Path,
    *,
    handler: Path | None,
    python: str,
    arch: str,
    psycopg2_zip: Path | None = None,
    layer: bool = False,
    packages: Sequence[str] = PURE_PACKAGES,
    cache_dir: Path | None = None,
    bytecode: bool = True,
) -> Bundle:
    """Write the deployment package (or, with ``layer``, the layer) to ``out``.

    ``python`` / ``arch`` name the Lambda runtime; they decide which static psycopg2 zip fits
    (the pure-Python packages fit every target) and which interpreter compiles the bytecode.
    With ``bytecode=False``, or when no interpreter of that version is installed (a warning on
    stderr then says so), the zip holds sources only.
    """
    target = Target(python, arch)
    with tempfile.TemporaryDirectory(prefix="lambda-bundle-") as scratch:
        files: list[tuple[str, Path]] = []
        if handler is not None:
            files += handler_files(handler)
        for name in packages:
            files += package_files(name, cache_dir)
        if psycopg2_zip is not None:
            files += psycopg2_files(psycopg2_zip, target, Path(scratch))
        seen: dict[str, Path] = {}
        for arcname, path in files:
            if arcname in seen:
                raise BuildError(f"{arcname} comes from both {seen[arcname]} and {path}")
            seen[arcname] = path
        note = "sources only (--no-bytecode)"
        if bytecode:
            files, note = _with_bytecode(files, target, Path(scratch) / "bytecode")
            if note:
                print(f"warning: {out.name} ships no bytecode: {note}", file=sys.stderr)
        if layer:
            files = [(LAYER_PREFIX + arcname, path) for arcname, path in files]
        out.parent.mkdir(parents=True, exist_ok=True)
        deterministic_zip(files, out)
    return Bundle(
        path=out,
        size=out.stat().st_size,
        sha256=sha256_of(out),
        entries=len(files),
        with_psycopg2=psycopg2_zip is not None,
        layer=layer,
        bytecode=not note,
        bytecode_note=note,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bundle`` command's arguments (shared by ``lambda-psycopg bundle``)."""
    parser.add_argument("handler", type=Path, nargs="?", help="handler module (.py) or package")
    parser.add_argument("--python", default="3.11", help="Lambda Python version (default 3.11)")
    parser.add_argument("--arch", default="x86_64", help="x86_64 or arm64 (default x86_64)")
    parser.add_argument("--psycopg2", type=Path, help="static psycopg2 zip from `build`")
    parser.add_argument("--layer", action="store_true", help="layer form (python/ prefix)")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output directory")
    parser.add_argument(
        "--no-bytecode",
        dest="bytecode",
        action="store_false",
        help="sources only (default: .pyc compiled by a local CPython of --python)",
    )


def run(args: argparse.Namespace) -> int:
    """Assemble what ``args`` ask for; print the zip's path, size and sha256."""
    target = Target(args.python, args.arch)
    if args.handler is None and not args.layer:
        raise BuildError("a deployment package needs a handler", "pass HANDLER or --layer")
    name = default_name(args.handler, target, args.psycopg2 is not None, args.layer)
    bundle = assemble(
        args.out / name,
        handler=args.handler,
        python=args.python,
        arch=args.arch,
        psycopg2_zip=args.psycopg2,
        layer=args.layer,
        bytecode=args.bytecode,
    )
    compiled = f"bytecode {target.python}" if bundle.bytecode else "no bytecode"
    print(
        f"{bundle.path}  {bundle.size} bytes  {bundle.entries} files  {compiled}  "
        f"sha256 {bundle.sha256}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lambda_psycopg.bundle``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
