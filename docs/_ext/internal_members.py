"""Sphinx extension: members that look public but are internal stay out of the API reference.

They are used by purepg's own layers (the asyncio shell, pgfacade, the tests) or are debug
counters, and may change or be renamed private at any time. The list is shown on the API index
page in place of ``<!-- internal-members -->``, so that a reader knows why a name is missing.
"""

from __future__ import annotations

import functools
from typing import Any

INTERNAL_MEMBERS: dict[str, tuple[str, ...]] = {
    "purepg.connection.Connection": (
        "execute_params",
        "execute_simple",
        "request",
        "fail",
    ),
    "purepg.cursor.Cursor": ("result_formats",),
    "purepg.aio.AsyncConnection": ("execute_params", "execute_simple", "request", "fail"),
    "purepg.codecs.registry.Registry": (
        "encode_all",
        "encode_many",
        "encode",
        "decoder",
        "result_format",
        "type_name",
        "array_oid",
    ),
}
PLACEHOLDER = "<!-- internal-members -->"


@functools.cache
def internal_objects() -> tuple[Any, ...]:
    """The function and property objects of the listed members, as their classes hold them."""
    from importlib import import_module

    found = []
    for qualified, members in INTERNAL_MEMBERS.items():
        module, name = qualified.rsplit(".", 1)
        cls = getattr(import_module(module), name)
        for member in members:
            holder = next((k for k in cls.__mro__ if member in vars(k)), None)
            if holder is None:
                raise RuntimeError(f"docs/_ext/internal_members.py: {qualified} has no {member}")
            found.append(vars(holder)[member])
    return tuple(found)


def _skip_internal(  # noqa: PLR0917 - the signature of Sphinx's autodoc-skip-member event
    app: Any, what: str, name: str, obj: Any, skip: bool, options: Any
) -> Any:
    internal = internal_objects()
    if any(obj is member for member in internal):
        return True
    return None  # Sphinx decides


def internal_members_list() -> str:
    """The list, as MyST markdown."""
    return "".join(
        f"- `{cls}`: " + ", ".join(f"`{name}`" for name in members) + "\n"
        for cls, members in INTERNAL_MEMBERS.items()
    )


def _fill_placeholder(app: Any, docname: str, source: list[str]) -> None:
    if PLACEHOLDER in source[0]:
        source[0] = source[0].replace(PLACEHOLDER, internal_members_list())


def setup(app: Any) -> dict[str, Any]:
    app.connect("autodoc-skip-member", _skip_internal)
    app.connect("source-read", _fill_placeholder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
