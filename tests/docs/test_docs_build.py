"""The Sphinx documentation builds with warnings as errors (``sphinx-build -W -b html``),
API reference included, with a theme where code and tables fit."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML documentation, built once for this module."""
    pytest.importorskip("sphinx", reason="sphinx is not installed in this environment")
    pytest.importorskip("myst_parser", reason="myst-parser is not installed in this environment")
    out = tmp_path_factory.mktemp("docs")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(out / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr or build.stdout
    return out / "html"


def page_text(site: Path, page: str) -> str:
    """The visible text of a built page."""
    markup = (site / page).read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_docs_build_without_warnings(site):
    assert (site / "index.html").is_file()
    assert (site / "guide" / "types.html").is_file()


def test_api_reference_documents_the_public_connection_members(site):
    text = page_text(site, "api/purepg.html")

    for member in ("set_session", "isolation_level", "readonly", "server_version", "fetchmany"):
        assert f"{member}" in text, member


def test_api_reference_leaves_out_the_listed_internal_members(site):
    text = page_text(site, "api/purepg.html")

    for member in ("execute_params", "request(", "fail(", "raw_rows", "round_trips"):
        assert member not in text, member
    assert "execute_params" in page_text(site, "api/index.html")  # said to be internal


def test_api_reference_covers_aio_native_types_registry_and_pgfacade(site):
    expected = {
        "api/aio.html": "AsyncConnection",
        "api/native.html": "run(",
        "api/types.html": "Range",
        "api/registry.html": "register_composite",
        "api/pgfacade.html": "lambda_connection",
    }
    for page, name in expected.items():
        assert name in page_text(site, page), page


def test_sqlstate_table_is_generated_from_purepg_errors(site):
    from purepg import errors

    text = page_text(site, "api/errors.html")
    rows = re.findall(r"^([0-9A-Z]{5})$", text, re.MULTILINE)

    assert len(rows) > 200
    for code in ("23505", "40001", "57014", "42P01"):
        assert code in rows
        assert errors.lookup(code).__name__ in text


def test_theme_has_a_copy_button_and_shows_the_version(site):
    import purepg

    index = (site / "index.html").read_text(encoding="utf-8")

    assert "furo" in index
    assert "copybutton.js" in index
    assert purepg.__version__ in page_text(site, "index.html")


def test_changelogs_are_pages_of_the_documentation(site):
    for package in ("purepg", "pgfacade", "lambda-psycopg"):
        assert f"Changelog: {package}" in page_text(site, f"changelog/{package}.html")
