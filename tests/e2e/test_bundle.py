"""Deployment packages from lambda_psycopg.bundle: content, layer form, reproducible bytes."""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from lambda_psycopg.bundle import assemble
from lambda_psycopg.errors import BuildError

from tests.e2e.conftest import AUTH_MODE, HANDLER_FILE, PYTHON, StartFunction
from tests.e2e.function import libpq_environment
from tests.harness.cluster import Cluster
from tests.lambda_psycopg.test_bundle_bytecode import code_object_sources


def names_in(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def fake_static_zip(directory: Path, python: str, arch: str = "x86_64") -> Path:
    """A zip shaped like lambda-psycopg's (psycopg2/ at the root, the extension named for the
    target); its content is not a working psycopg2."""
    gnu = "x86_64-linux-gnu" if arch == "x86_64" else "aarch64-linux-gnu"
    path = directory / f"psycopg2-2.9.13-libpq-18.6-py{python}-{arch}.zip"
    extension = f"psycopg2/_psycopg.cpython-{python.replace('.', '')}-{gnu}.so"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("psycopg2/__init__.py", "")
        archive.writestr(extension, b"\x7fELF")
    return path


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    first = shutil.copy(HANDLER_FILE, first_dir / "app.py")
    second = shutil.copy(HANDLER_FILE, second_dir / "app.py")
    os.utime(second, (1_000_000_000, 1_000_000_000))
    os.chmod(second, 0o600)
    one = assemble(tmp_path / "one.zip", handler=Path(first), python="3.11", arch="x86_64")
    two = assemble(tmp_path / "two.zip", handler=Path(second), python="3.11", arch="x86_64")
    assert one.path.read_bytes() == two.path.read_bytes()
    assert one.sha256 == two.sha256


def test_entries_are_sorted_with_fixed_timestamps_and_modes(tmp_path: Path) -> None:
    bundle = assemble(tmp_path / "app.zip", handler=HANDLER_FILE, python="3.11", arch="x86_64")
    with zipfile.ZipFile(bundle.path) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_the_build_machines_compiled_files_never_go_in(tmp_path: Path) -> None:
    package = tmp_path / "app"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("def handler(event, context):\n    return 1\n")
    (package / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"compiled")
    (package / "__pycache__" / "gone.cpython-311.pyc").write_bytes(b"compiled")
    (package / "stray.pyc").write_bytes(b"compiled")
    bundle = assemble(
        tmp_path / "app.zip", handler=package, python="3.11", arch="x86_64", bytecode=False
    )
    names = names_in(bundle.path)
    assert "app/__init__.py" in names
    assert [name for name in names if "__pycache__" in name or name.endswith(".pyc")] == []


def test_only_the_bundles_own_bytecode_goes_in(tmp_path: Path) -> None:
    package = tmp_path / "app"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("def handler(event, context):\n    return 1\n")
    (package / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"compiled")
    (package / "__pycache__" / "gone.cpython-311.pyc").write_bytes(b"compiled")
    bundle = assemble(tmp_path / "app.zip", handler=package, python=PYTHON, arch="x86_64")
    with zipfile.ZipFile(bundle.path) as archive:
        compiled = {
            name: archive.read(name) for name in archive.namelist() if name.startswith("app/")
        }
    tag = sys.implementation.cache_tag
    assert sorted(compiled) == ["app/__init__.py", f"app/__pycache__/__init__.{tag}.pyc"]
    assert compiled[f"app/__pycache__/__init__.{tag}.pyc"] != b"compiled"


def test_the_package_holds_the_handler_the_facade_and_purepg_without_dependencies(
    tmp_path: Path,
) -> None:
    bundle = assemble(tmp_path / "app.zip", handler=HANDLER_FILE, python="3.11", arch="x86_64")
    top_level = {name.split("/")[0] for name in names_in(bundle.path)}
    packages = {name for name in top_level if not name.endswith(".dist-info")}
    # __pycache__: the handler module's bytecode
    assert packages == {"sample_handler.py", "__pycache__", "pgfacade", "purepg"}
    assert not bundle.with_psycopg2


def test_distribution_metadata_goes_in_without_machine_specific_files(tmp_path: Path) -> None:
    bundle = assemble(tmp_path / "app.zip", handler=HANDLER_FILE, python="3.11", arch="x86_64")
    names = names_in(bundle.path)
    for dist in ("purepg", "pgfacade"):
        assert any(n.startswith(f"{dist}-") and n.endswith(".dist-info/METADATA") for n in names)
    machine_specific = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
    assert [n for n in names if n.rsplit("/", 1)[-1] in machine_specific] == []


def test_the_static_psycopg2_goes_in_at_the_root(tmp_path: Path) -> None:
    static = fake_static_zip(tmp_path, "3.11")
    bundle = assemble(
        tmp_path / "app.zip",
        handler=HANDLER_FILE,
        python="3.11",
        arch="x86_64",
        psycopg2_zip=static,
    )
    names = names_in(bundle.path)
    assert "psycopg2/__init__.py" in names
    assert "psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so" in names
    assert bundle.with_psycopg2


def test_a_static_psycopg2_built_for_another_python_is_refused(tmp_path: Path) -> None:
    static = fake_static_zip(tmp_path, "3.12")
    with pytest.raises(BuildError, match=r"not built for py3\.11-x86_64"):
        assemble(
            tmp_path / "app.zip",
            handler=HANDLER_FILE,
            python="3.11",
            arch="x86_64",
            psycopg2_zip=static,
        )


def test_the_layer_holds_the_same_files_under_python(tmp_path: Path) -> None:
    static = fake_static_zip(tmp_path, "3.11")
    plain = assemble(
        tmp_path / "plain.zip", handler=None, python="3.11", arch="x86_64", psycopg2_zip=static
    )
    layer = assemble(
        tmp_path / "layer.zip",
        handler=None,
        python="3.11",
        arch="x86_64",
        psycopg2_zip=static,
        layer=True,
    )
    assert names_in(layer.path) == ["python/" + name for name in names_in(plain.path)]
    assert layer.layer


def test_the_reported_size_is_the_zip_size(tmp_path: Path) -> None:
    bundle = assemble(tmp_path / "app.zip", handler=HANDLER_FILE, python="3.11", arch="x86_64")
    assert bundle.size == bundle.path.stat().st_size
    assert bundle.entries == len(names_in(bundle.path))


def test_a_handler_that_is_not_python_is_refused(tmp_path: Path) -> None:
    handler = tmp_path / "handler.js"
    handler.write_text("exports.handler = async () => 1;\n")
    with pytest.raises(BuildError, match=r"neither a \.py file nor a package directory"):
        assemble(tmp_path / "app.zip", handler=handler, python="3.11", arch="x86_64")


def test_an_unsupported_python_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"unsupported Python version '3\.8'"):
        assemble(tmp_path / "app.zip", handler=HANDLER_FILE, python="3.8", arch="x86_64")


@pytest.mark.parametrize("package", ["purepg_package", "psycopg2_package"])
def test_under_the_lambda_runtime_every_module_of_the_package_loads_from_its_pyc(
    request: pytest.FixtureRequest,
    package: str,
    start_function: StartFunction,
    e2e_cluster: Cluster,
) -> None:
    static = package == "psycopg2_package"
    environment = libpq_environment(e2e_cluster.params(AUTH_MODE))
    environment["PYTHONVERBOSE"] = "1"  # importlib logs where each code object came from
    function = start_function(
        request.getfixturevalue(package), environment=environment, hide_system_libraries=static
    )
    invocation = function.invoke({})
    assert invocation.succeeded, invocation.body
    loaded = code_object_sources(function.log_file.read_text(), function.task_dir)
    driver = (
        {"psycopg2/__init__.py", "psycopg2/extensions.py"} if static else {"purepg/__init__.py"}
    )
    expected = {"sample_handler.py", "pgfacade/__init__.py", *driver}
    assert expected <= set(loaded)
    tag = sys.implementation.cache_tag
    assert {module: source for module, source in loaded.items() if tag not in source} == {}
