"""Build prerequisites: which host tools are needed, which are missing, and installing them."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from lambda_psycopg.errors import BuildError
from lambda_psycopg.process import run, with_environ


@dataclass(frozen=True)
class Tool:
    """A command the build runs and the Debian package that provides it."""

    command: str
    package: str
    purpose: str
    required: bool = True


TOOLS = (
    Tool("make", "make", "runs the OpenSSL and PostgreSQL builds"),
    Tool("perl", "perl", "OpenSSL's Configure and PostgreSQL's code generators"),
    Tool("bison", "bison", "PostgreSQL's configure and generated parsers"),
    Tool("flex", "flex", "PostgreSQL's configure and generated scanners"),
    Tool("tar", "tar", "unpacks the sources"),
    Tool("bzip2", "bzip2", "unpacks PostgreSQL's .tar.bz2"),
    Tool("apt-get", "apt", "downloads Debian's source packages"),
    Tool("unshare", "util-linux", "hides system libraries during verification", required=False),
    Tool("qemu-aarch64-static", "qemu-user-static", "runs arm64 Python for live checks", False),
)


def missing_tools(include_optional: bool = False) -> list[Tool]:
    """Tools not found on PATH."""
    return [
        tool
        for tool in TOOLS
        if (tool.required or include_optional) and shutil.which(tool.command) is None
    ]


def require_tools() -> None:
    """Raise a BuildError naming every missing required tool and how to install it."""
    missing = missing_tools()
    if missing:
        packages = " ".join(sorted({tool.package for tool in missing}))
        names = ", ".join(f"{tool.command} ({tool.purpose})" for tool in missing)
        raise BuildError(
            f"missing build tools: {names}",
            f"run `lambda-psycopg setup` as root, or `apt-get install -y {packages}`",
        )


def install_missing(include_optional: bool = True) -> list[str]:
    """apt-get install the packages of missing tools (root only); the packages installed."""
    missing = missing_tools(include_optional)
    packages = sorted({tool.package for tool in missing})
    if packages:
        apt_install(packages)
    return packages


def apt_install(packages: list[str]) -> None:
    """``apt-get install -y`` the system packages (root only), updating the index if needed."""
    if os.geteuid() != 0:
        raise BuildError(
            f"installing {' '.join(packages)} needs root",
            f"run `sudo lambda-psycopg setup` or `sudo apt-get install -y {' '.join(packages)}`",
        )
    if shutil.which("apt-get") is None:
        raise BuildError(
            "apt-get not found: automatic setup supports Debian and Ubuntu only",
            f"install these with your package manager: {' '.join(packages)}",
        )
    env = with_environ({"DEBIAN_FRONTEND": "noninteractive"})
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    first = run(install, env=env, check=False)
    if first.returncode != 0:
        run(["apt-get", "update"], env=env, check=False)
        what = f"apt-get install {' '.join(packages)}"
        run(install, what=what, env=env, hint="check the network and the system's apt sources")
