"""The build matrix: which Python versions and architectures, and what the artifacts are called."""

from __future__ import annotations

from dataclasses import dataclass

from lambda_psycopg.errors import BuildError

# Lambda's Python runtimes run on Amazon Linux 2 (glibc 2.26) and Amazon Linux 2023 (2.34):
# everything is built against glibc 2.17 so one artifact fits both.
GLIBC_FLOOR = (2, 17)
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
ARCHES = ("x86_64", "arm64")

# Per architecture: zig target, OpenSSL Configure target, GNU triplet, ELF machine, loader.
_ARCH_FACTS: dict[str, dict[str, str]] = {
    "x86_64": {
        "zig": "x86_64-linux-gnu",
        "openssl": "linux-x86_64",
        "gnu": "x86_64-linux-gnu",
        "elf_machine": "EM_X86_64",
        "debian": "amd64",
        "loader": "ld-linux-x86-64.so.2",
    },
    "arm64": {
        "zig": "aarch64-linux-gnu",
        "openssl": "linux-aarch64",
        "gnu": "aarch64-linux-gnu",
        "elf_machine": "EM_AARCH64",
        "debian": "arm64",
        "loader": "ld-linux-aarch64.so.1",
    },
}


def glibc_floor_text() -> str:
    """ "2.17"."""
    return f"{GLIBC_FLOOR[0]}.{GLIBC_FLOOR[1]}"


@dataclass(frozen=True)
class Target:
    """One (Python version, architecture) pair."""

    python: str
    arch: str

    def __post_init__(self) -> None:
        if self.python not in PYTHONS:
            raise BuildError(
                f"unsupported Python version {self.python!r}",
                f"choose one of {', '.join(PYTHONS)}",
            )
        if self.arch not in ARCHES:
            raise BuildError(
                f"unsupported architecture {self.arch!r}", f"choose one of {', '.join(ARCHES)}"
            )

    @property
    def zig_triple(self) -> str:
        """The zig target with the glibc floor, e.g. ``x86_64-linux-gnu.2.17``."""
        return f"{_ARCH_FACTS[self.arch]['zig']}.{glibc_floor_text()}"

    @property
    def gnu_triplet(self) -> str:
        """``x86_64-linux-gnu`` / ``aarch64-linux-gnu``."""
        return _ARCH_FACTS[self.arch]["gnu"]

    @property
    def openssl_target(self) -> str:
        """OpenSSL's Configure target."""
        return _ARCH_FACTS[self.arch]["openssl"]

    @property
    def elf_machine(self) -> str:
        """pyelftools' name for the ELF e_machine."""
        return _ARCH_FACTS[self.arch]["elf_machine"]

    @property
    def debian_arch(self) -> str:
        """Debian's architecture name."""
        return _ARCH_FACTS[self.arch]["debian"]

    @property
    def loader(self) -> str:
        """The dynamic loader's soname."""
        return _ARCH_FACTS[self.arch]["loader"]

    @property
    def python_tag(self) -> str:
        """``cpython-312``."""
        return "cpython-" + self.python.replace(".", "")

    @property
    def extension_filename(self) -> str:
        """``_psycopg.cpython-312-x86_64-linux-gnu.so``."""
        return f"_psycopg.{self.python_tag}-{self.gnu_triplet}.so"

    @property
    def lambda_runtime(self) -> str:
        """``python3.12``."""
        return f"python{self.python}"

    def __str__(self) -> str:
        return f"py{self.python}-{self.arch}"


@dataclass(frozen=True)
class ArtifactNames:
    """File names of everything one target produces."""

    zip: str
    layer_zip: str
    manifest: str

    @property
    def all_files(self) -> tuple[str, ...]:
        """Every file, checksum sidecars included."""
        return (
            self.zip,
            self.zip + ".sha256",
            self.zip + ".md5",
            self.layer_zip,
            self.layer_zip + ".sha256",
            self.layer_zip + ".md5",
            self.manifest,
        )


def artifact_names(target: Target, psycopg2: str, libpq: str) -> ArtifactNames:
    """Predictable names: ``psycopg2-2.9.13-libpq-18.6-py3.12-x86_64.zip`` and friends."""
    stem = f"psycopg2-{psycopg2}-libpq-{libpq}-py{target.python}-{target.arch}"
    return ArtifactNames(
        zip=f"{stem}.zip", layer_zip=f"{stem}-layer.zip", manifest=f"{stem}.manifest.json"
    )


def parse_targets(pythons: list[str], arches: list[str], all_targets: bool) -> list[Target]:
    """The targets a command line asks for.

    Without ``--all`` the defaults are Python 3.11 on x86_64; with it, every Python and every
    architecture not narrowed down by an explicit ``--python`` / ``--arch``.
    """
    if not pythons:
        pythons = list(PYTHONS) if all_targets else ["3.11"]
    if not arches:
        arches = list(ARCHES) if all_targets else ["x86_64"]
    return [Target(python, arch) for arch in arches for python in pythons]
