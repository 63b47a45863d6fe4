"""purepg and pgfacade build (``hatch build``) into complete wheels and sdists that install
offline into a clean virtual environment and import; every package's wheel and sdist (
lambda-psycopg's too) carries the MIT licence and a README that stands alone as its PyPI page.

Builds go to a temporary directory, never into the repository. The clean environment gets
nothing from an index: ``pip install --no-index --find-links`` with the built wheels only, which
works because purepg has no runtime dependencies (and pgfacade only purepg).
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"purepg": ROOT / "packages" / "purepg", "pgfacade": ROOT / "packages" / "pgfacade"}
# Every distribution of the repository: the name of its files and of its package directory.
DISTRIBUTIONS = {**PACKAGES, "lambda_psycopg": ROOT / "packages" / "lambda-psycopg"}
COPYRIGHT = "Copyright (c) 2026 the purepg, pgfacade and lambda-psycopg authors"
PYTHON_VERSIONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
DIALECTS = {
    "purepg": "postgresql.purepg = purepg.sqlalchemy_dialect:PGDialect_purepg",
    "pgfacade": "postgresql.pgfacade = pgfacade.sqlalchemy_dialect:PGDialect_pgfacade",
}
NAMES = list(PACKAGES)


def _run(command: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the wheel and sdist of each package, built by ``hatch build``."""
    hatch = shutil.which("hatch")
    if hatch is None:
        pytest.skip("hatch is not on PATH")
    out = tmp_path_factory.mktemp("dist")
    for path in DISTRIBUTIONS.values():
        _run([hatch, "build", "-t", "wheel", "-t", "sdist", str(out)], cwd=path)
    return out


def _version(name: str) -> str:
    init = (DISTRIBUTIONS[name] / "src" / name / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE)
    assert match is not None, f"no __version__ in {name}/__init__.py"
    return match.group(1)


def _wheel(dist: Path, name: str) -> Path:
    return dist / f"{name}-{_version(name)}-py3-none-any.whl"


def _sdist(dist: Path, name: str) -> Path:
    return dist / f"{name}-{_version(name)}.tar.gz"


def _wheel_metadata(dist: Path, name: str) -> email.message.Message:
    with zipfile.ZipFile(_wheel(dist, name)) as wheel:
        text = wheel.read(f"{name}-{_version(name)}.dist-info/METADATA").decode()
    return email.parser.Parser().parsestr(text)


@pytest.mark.parametrize("name", NAMES)
def test_wheel_and_sdist_are_built(dist, name):
    assert _wheel(dist, name).is_file()
    assert _sdist(dist, name).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_wheel_metadata_is_complete(dist, name):
    meta = _wheel_metadata(dist, name)
    classifiers = meta.get_all("Classifier") or []

    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.9"
    assert meta["Summary"]
    assert meta["Author"] or meta["Author-email"], "no authors in pyproject.toml"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "Typing :: Typed" in classifiers
    assert "Operating System :: OS Independent" in classifiers
    for version in PYTHON_VERSIONS:
        assert f"Programming Language :: Python :: {version}" in classifiers


def test_purepg_has_no_runtime_dependencies(dist):
    # Every import costs an AWS Lambda cold start; extras (sqlalchemy) are opt-in.
    requirements = _wheel_metadata(dist, "purepg").get_all("Requires-Dist") or []

    assert [req for req in requirements if "extra ==" not in req] == []


def test_pgfacade_depends_on_purepg_and_offers_aws_extras(dist):
    meta = _wheel_metadata(dist, "pgfacade")

    assert any(req.startswith("purepg") for req in meta.get_all("Requires-Dist") or [])
    assert "aws" in (meta.get_all("Provides-Extra") or [])


@pytest.mark.parametrize("name", NAMES)
def test_wheel_carries_the_typed_marker_and_no_caches(dist, name):
    with zipfile.ZipFile(_wheel(dist, name)) as wheel:
        files = wheel.namelist()

    assert f"{name}/py.typed" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]


@pytest.mark.parametrize("name", NAMES)
def test_wheel_declares_the_sqlalchemy_dialect(dist, name):
    path = f"{name}-{_version(name)}.dist-info/entry_points.txt"
    with zipfile.ZipFile(_wheel(dist, name)) as wheel:
        entry_points = wheel.read(path).decode() if path in wheel.namelist() else ""

    assert "[sqlalchemy.dialects]" in entry_points, f"no sqlalchemy.dialects entry point in {path}"
    section = entry_points.split("[sqlalchemy.dialects]", 1)[1].split("[", 1)[0]
    assert DIALECTS[name] in [line.strip() for line in section.splitlines()]


@pytest.mark.parametrize("name", NAMES)
def test_sdist_holds_sources_readme_and_changelog(dist, name):
    with tarfile.open(_sdist(dist, name)) as sdist:
        files = {
            member.name.split("/", 1)[1] for member in sdist.getmembers() if "/" in member.name
        }

    assert {"pyproject.toml", "README.md", "CHANGELOG.md", f"src/{name}/__init__.py"} <= files
    assert f"src/{name}/py.typed" in files
    assert not [f for f in files if "__pycache__" in f]


def test_wheels_install_offline_into_a_clean_venv_and_import(dist, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--disable-pip-version-check",
            "--find-links",
            str(dist),
            "purepg",
            "pgfacade",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    probe = (
        "import purepg, pgfacade, purepg.types, purepg.errors\n"
        "print(purepg.__version__, pgfacade.__version__, purepg.__file__)\n"
    )
    output = _run([str(python), "-I", "-c", probe], cwd=tmp_path).split()

    assert output[:2] == [_version("purepg"), _version("pgfacade")]
    assert Path(output[2]).is_relative_to(venv)


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_wheel_carries_the_mit_licence(dist, name):
    path = f"{name}-{_version(name)}.dist-info/licenses/LICENSE"
    with zipfile.ZipFile(_wheel(dist, name)) as wheel:
        text = wheel.read(path).decode() if path in wheel.namelist() else ""

    assert text.startswith("MIT License"), f"no licence text at {path}"
    assert COPYRIGHT in text
    assert _wheel_metadata(dist, name)["License-File"] == "LICENSE"


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_sdist_carries_the_mit_licence(dist, name):
    with tarfile.open(_sdist(dist, name)) as sdist:
        member = next((m for m in sdist.getmembers() if m.name.endswith("/LICENSE")), None)
        assert member is not None, "no LICENSE in the sdist"
        licence = sdist.extractfile(member)
        text = licence.read().decode() if licence is not None else ""

    assert text.startswith("MIT License")
    assert COPYRIGHT in text


def test_every_licence_file_of_the_repository_is_the_same_text():
    root = (ROOT / "LICENSE").read_text(encoding="utf-8")

    assert COPYRIGHT in root
    for path in DISTRIBUTIONS.values():
        assert (path / "LICENSE").read_text(encoding="utf-8") == root, path


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_long_description_is_a_readme_that_stands_alone(dist, name):
    meta = _wheel_metadata(dist, name)
    description = str(meta.get_payload())
    project = name.replace("_", "-")

    title = re.sub(r"\A<!--.*?-->\n", "", description).splitlines()[0]

    assert title == f"# {project}"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert f"pip install {project}" in description, "no install instructions"
    assert "```" in description, "no first example"
    assert "docs/" in description, "no pointer to the documentation"
    assert "## License" in description
    assert len(description.split()) > 150, "too short to say what the package is"
