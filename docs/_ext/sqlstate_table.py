"""Sphinx extension: the SQLSTATE -> exception class table, generated from ``purepg.errors``.

A page holding ``<!-- sqlstate-table -->`` gets, in its place, one row per SQLSTATE that
PostgreSQL defines: the code, the class ``purepg.errors`` raises for it and that class's DB-API
base. Generated at every build, so the table cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

PLACEHOLDER = "<!-- sqlstate-table -->"


def known_sqlstates() -> list[str]:
    """Every SQLSTATE that ``purepg.errors`` names a class for, sorted."""
    from purepg import errors

    try:
        errors._load_names()
        codes = set(errors._names_by_code)
    except AttributeError as exc:  # errors.py was reorganised: teach this extension the new way
        raise RuntimeError(
            f"docs/_ext/sqlstate_table.py cannot list purepg.errors' SQLSTATEs: {exc}"
        ) from exc
    return sorted(code for code in codes if code)


def sqlstate_table() -> str:
    """The table, as MyST markdown."""
    from purepg import errors

    lines = ["| SQLSTATE | exception class | DB-API class |", "|---|---|---|"]
    for code in known_sqlstates():
        cls = errors.lookup(code)
        base = errors.base_class(code)
        lines.append(f"| `{code}` | `{cls.__name__}` | `{base.__name__}` |")
    return "\n".join(lines) + "\n"


def _fill_placeholder(app: Any, docname: str, source: list[str]) -> None:
    if PLACEHOLDER in source[0]:
        source[0] = source[0].replace(PLACEHOLDER, sqlstate_table())


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _fill_placeholder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
