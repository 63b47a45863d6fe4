"""Static checks of the extension's ELF file (pyelftools)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lambda_psycopg.targets import GLIBC_FLOOR, Target, glibc_floor_text

ALLOWED_LIBRARIES = frozenset(
    {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1"}
)
EXPORTED = frozenset({"PyInit__psycopg"})


@dataclass(frozen=True)
class Check:
    """One verification result."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class ElfFacts:
    """What the checks need from an ELF shared object."""

    machine: str
    elf_class: int
    needed: tuple[str, ...]
    glibc_versions: tuple[tuple[int, int], ...]
    exported: tuple[str, ...]


def read_elf_facts(path: Path) -> ElfFacts:
    """Machine, DT_NEEDED, required GLIBC_x.y versions and defined global symbols."""
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection
    from elftools.elf.sections import SymbolTableSection

    needed: list[str] = []
    versions: set[tuple[int, int]] = set()
    exported: list[str] = []
    with path.open("rb") as stream:
        elf = ELFFile(stream)
        machine = str(elf["e_machine"])
        elf_class = int(elf.elfclass)
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for tag in section.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(str(tag.needed))  # type: ignore[attr-defined]
            elif isinstance(section, GNUVerNeedSection):
                for _verneed, auxiliaries in section.iter_versions():
                    for aux in auxiliaries:
                        match = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", str(aux.name))
                        if match:
                            versions.add((int(match.group(1)), int(match.group(2))))
            elif isinstance(section, SymbolTableSection) and section.name == ".dynsym":
                for symbol in section.iter_symbols():
                    bind = symbol["st_info"]["bind"]
                    defined = symbol["st_shndx"] != "SHN_UNDEF"
                    if defined and bind in ("STB_GLOBAL", "STB_WEAK") and symbol.name:
                        exported.append(str(symbol.name))
    return ElfFacts(machine, elf_class, tuple(needed), tuple(sorted(versions)), tuple(exported))


def static_checks(path: Path, target: Target) -> list[Check]:
    """Every static check of one extension file for ``target``."""
    facts = read_elf_facts(path)
    checks = [
        Check(
            "architecture",
            facts.machine == target.elf_machine and facts.elf_class == 64,
            f"{facts.machine}, ELF{facts.elf_class} (expected {target.elf_machine}, ELF64)",
        )
    ]
    allowed = ALLOWED_LIBRARIES | {target.loader}
    unexpected = sorted(set(facts.needed) - allowed)
    checks.append(
        Check(
            "needed libraries",
            not unexpected,
            f"needs {', '.join(facts.needed) or 'nothing'}"
            + (f"; not allowed: {', '.join(unexpected)}" if unexpected else ""),
        )
    )
    newest = max(facts.glibc_versions, default=(0, 0))
    checks.append(
        Check(
            "glibc symbol versions",
            newest <= GLIBC_FLOOR,
            f"newest GLIBC_{newest[0]}.{newest[1]} (floor {glibc_floor_text()})",
        )
    )
    extra = sorted(set(facts.exported) - EXPORTED)
    missing = sorted(EXPORTED - set(facts.exported))
    checks.append(
        Check(
            "exported symbols",
            not extra and not missing,
            f"exports {', '.join(sorted(facts.exported)) or 'nothing'}"
            + (f"; unexpected: {', '.join(extra[:10])}" if extra else "")
            + (f"; missing: {', '.join(missing)}" if missing else ""),
        )
    )
    checks.append(
        Check(
            "file name",
            path.name == target.extension_filename,
            f"{path.name} (expected {target.extension_filename})",
        )
    )
    return checks
