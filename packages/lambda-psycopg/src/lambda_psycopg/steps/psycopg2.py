"""Step psycopg2: compile psycopg2's C extension with zig cc and link libpq + OpenSSL into it.

setup.py is not used: it would need setuptools in a Python of each version and cannot cross
compile. The source list and defines below follow psycopg2's setup.py / setup.cfg.
"""

from __future__ import annotations

import configparser
import hashlib
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lambda_psycopg.cache import StepOutput
from lambda_psycopg.errors import BuildError
from lambda_psycopg.pythons import PythonHeaders
from lambda_psycopg.steps import StepContext
from lambda_psycopg.steps.libpq import include_dir as libpq_include
from lambda_psycopg.steps.libpq import library_paths as libpq_libraries
from lambda_psycopg.steps.openssl import install_prefix as openssl_prefix
from lambda_psycopg.targets import Target
from lambda_psycopg.toolchain import BASE_CFLAGS, Toolchain, code_version_with_toolchain

CODE = code_version_with_toolchain(__file__)
EXTRA_CFLAGS = ("-DNDEBUG", "-fwrapv", "-fno-strict-aliasing", "-fvisibility=hidden")
# Only the module's init function is exported: the static OpenSSL and libpq stay private, so
# they cannot clash with the interpreter's own OpenSSL (loaded by ``import ssl``).
VERSION_SCRIPT = "{\n  global: PyInit__psycopg;\n  local: *;\n};\n"
LDFLAGS = ("-shared", "-s", "-Wl,-z,noexecstack", "-Wl,--version-script=exports.map")
SYSTEM_LIBRARIES = ("-lpthread", "-ldl", "-lm")


def extension_sources(setup_py: str) -> list[str]:
    """The C files of ``psycopg2._psycopg``, read from setup.py's ``sources = [...]`` list."""
    match = re.search(r"^sources = \[(.*?)\]", setup_py, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise BuildError("cannot find the list of C sources in psycopg2's setup.py")
    names = re.findall(r"'([\w.]+\.c)'", match.group(1))
    if not names:
        raise BuildError("psycopg2's setup.py lists no C sources")
    return names


def extension_defines(version: str, setup_cfg: str) -> list[str]:
    """``-D`` flags as setup.py would pass them on a 64-bit Linux."""
    defines = [
        # No quotes: the C code stringifies the macro itself (xstr).
        f"-DPSYCOPG_VERSION={version} (dt dec pq3 ext lo64)",
        "-DHAVE_LO64=1",
    ]
    parser = configparser.ConfigParser()
    parser.read_string(setup_cfg)
    for name in parser.get("build_ext", "define", fallback="").split(","):
        if name.strip():
            defines.append(f"-D{name.strip()}=1")
    return defines


def extension_path(output: StepOutput) -> Path:
    """The built package directory ``psycopg2/`` inside the step's output."""
    return output.path / "psycopg2"


def build_psycopg2(
    ctx: StepContext,
    target: Target,
    *,
    version: str,
    sources: StepOutput,
    libpq: StepOutput,
    openssl: StepOutput,
    headers: PythonHeaders,
) -> StepOutput:
    """Build the ``psycopg2/`` package directory (Python files + stripped extension)."""
    toolchain = Toolchain(target, ctx.cache.root)
    inputs = {
        "sources": sources.key,
        "sha256": sources.outputs["sha256"],
        "libpq": libpq.key,
        "openssl": openssl.key,
        "python": target.python,
        "python_headers": headers.sha256,
        "toolchain": toolchain.identity(),
        "cflags": [*BASE_CFLAGS, *EXTRA_CFLAGS],
        "ldflags": [*LDFLAGS, *SYSTEM_LIBRARIES],
        "version_script": VERSION_SCRIPT,
        "code": CODE,
    }

    def build(out: Path, work: Path) -> dict[str, Any]:
        tree = toolchain.build_tree(sources.path / "src", work / f"psycopg2-{version}")
        names = extension_sources((tree.path / "setup.py").read_text())
        defines = extension_defines(version, (tree.path / "setup.cfg").read_text())
        includes = [f"-I{path}" for path in headers.include_dirs]
        includes += [f"-I{libpq_include(libpq)}", "-I."]
        compile_flags = [*BASE_CFLAGS, *EXTRA_CFLAGS, *defines, *includes]

        def compile_one(name: str) -> str:
            obj = f"build/{name[:-2]}.o"
            tree.run(
                [*toolchain.cc(), *compile_flags, "-c", f"psycopg/{name}", "-o", obj],
                f"compiling psycopg/{name}",
                log=work / f"cc-{name}.log",
            )
            return obj

        (tree.path / "build").mkdir()
        with ThreadPoolExecutor(max_workers=max(1, ctx.jobs)) as pool:
            objects = list(pool.map(compile_one, names))
        (tree.path / "exports.map").write_text(VERSION_SCRIPT)
        package = out / "psycopg2"
        package.mkdir()
        extension = package / target.extension_filename
        ssl = openssl_prefix(openssl)
        link = [
            *toolchain.cc(), *LDFLAGS, "-o", str(extension), *objects,
            *[str(path) for path in libpq_libraries(libpq)],
            str(ssl / "lib" / "libssl.a"), str(ssl / "lib" / "libcrypto.a"),
            *SYSTEM_LIBRARIES,
        ]  # fmt: skip
        tree.run(link, "linking _psycopg")
        for python_file in sorted((tree.path / "lib").glob("*.py")):
            shutil.copy2(python_file, package / python_file.name)
        digest = hashlib.sha256(extension.read_bytes()).hexdigest()
        return {
            "version": version,
            "extension": extension.name,
            "extension_sha256": digest,
            "python_headers": headers.origin,
            "python_headers_sha256": headers.sha256,
        }

    return ctx.run("psycopg2", f"psycopg2 {version} for {target}", inputs, build)
