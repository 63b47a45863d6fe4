"""Bytecode in deployment packages: a checked hash-based .pyc of the target version next to
every source, imported instead of the source; sources only when the target is not installed."""

from __future__ import annotations

import marshal
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lambda_psycopg.bundle import assemble, main
from lambda_psycopg.bytecode import TargetInterpreter, find_target_interpreter, pyc_name
from lambda_psycopg.errors import BuildError

CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"
OLDEST = "3.9"  # another minor version than the tests' own: its magic number differs
NOT_INSTALLED = "3.14"
HANDLER_SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
# importlib's verbose log (-v / PYTHONVERBOSE): "# code object from '<x>.pyc'" when it loads
# bytecode, "# code object from <x>.py" when it compiles the source.
CODE_OBJECT_FROM = re.compile(r"^# code object from '?([^']+?)'?$", re.MULTILINE)


def code_object_sources(verbose_log: str, directory: Path) -> dict[str, str]:
    """Module file (relative to ``directory``) -> the file its code object came from, for every
    module the verbose import log shows being loaded from ``directory``."""
    roots = {f"{directory}/", f"{directory.resolve()}/"}
    loaded = {}
    for path in CODE_OBJECT_FROM.findall(verbose_log):
        root = next((root for root in roots if path.startswith(root)), None)
        if root is None:
            continue
        relative = path[len(root) :]
        if relative.endswith(".pyc"):
            folder, _, name = relative.rpartition("__pycache__/")
            module_file = folder + name.split(".", 1)[0] + ".py"
        else:
            module_file = relative
        loaded[module_file] = relative
    return loaded


def target_interpreter(python: str) -> TargetInterpreter:
    interpreter, reason = find_target_interpreter(python)
    if interpreter is None:
        pytest.skip(reason)
    return interpreter


def write_handler(directory: Path, source: str = HANDLER_SOURCE) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    handler = directory / "app.py"
    handler.write_text(source)
    return handler


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def unpack(path: Path, directory: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(directory)
    return directory


def verbose_import(python: Path, directory: Path, statement: str) -> str:
    """The verbose import log of ``statement`` run in a fresh ``python`` from ``directory``,
    with bytecode writing off (Lambda's task directory is read-only)."""
    completed = subprocess.run(
        [str(python), "-S", "-s", "-v", "-c", statement],
        cwd=directory,
        env={"PYTHONPATH": str(directory), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stderr


def test_every_source_has_a_pyc_named_with_the_target_cache_tag(tmp_path: Path) -> None:
    interpreter = target_interpreter(OLDEST)
    handler = write_handler(tmp_path / "src")
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=OLDEST, arch="x86_64")
    names = set(entries(bundle.path))
    sources = sorted(name for name in names if name.endswith(".py"))
    compiled = sorted(name for name in names if name.endswith(".pyc"))
    assert interpreter.cache_tag == "cpython-39"
    assert compiled == sorted(pyc_name(source, "cpython-39") for source in sources)
    assert "__pycache__/app.cpython-39.pyc" in names
    assert "purepg/__pycache__/connection.cpython-39.pyc" in names
    assert bundle.bytecode


def test_the_pyc_carries_the_target_versions_magic_number(tmp_path: Path) -> None:
    interpreter = target_interpreter(OLDEST)
    handler = write_handler(tmp_path / "src")
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=OLDEST, arch="x86_64")
    pyc = entries(bundle.path)["__pycache__/app.cpython-39.pyc"]
    assert pyc[:4].hex() == interpreter.magic


def test_the_pyc_is_hash_based_and_checked(tmp_path: Path) -> None:
    handler = write_handler(tmp_path / "src")
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=CURRENT, arch="x86_64")
    pyc = entries(bundle.path)[f"__pycache__/app.{sys.implementation.cache_tag}.pyc"]
    flags = int.from_bytes(pyc[4:8], "little")
    assert flags == 0b11  # bit 0: hash-based, bit 1: check the source hash


def test_the_pyc_names_its_source_by_the_archive_name_not_the_build_path(
    tmp_path: Path,
) -> None:
    handler = write_handler(tmp_path / "src")
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=CURRENT, arch="x86_64")
    files = entries(bundle.path)
    tag = sys.implementation.cache_tag
    assert marshal.loads(files[f"__pycache__/app.{tag}.pyc"][16:]).co_filename == "app.py"
    connection = marshal.loads(files[f"purepg/__pycache__/connection.{tag}.pyc"][16:])
    assert connection.co_filename == "purepg/connection.py"


def test_the_target_interpreter_imports_every_package_module_from_its_pyc(
    tmp_path: Path,
) -> None:
    interpreter = target_interpreter(OLDEST)
    handler = write_handler(tmp_path / "src", "import pgfacade\n" + HANDLER_SOURCE)
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=OLDEST, arch="x86_64")
    task = unpack(bundle.path, tmp_path / "task")
    log = verbose_import(interpreter.executable, task, "import app, purepg, purepg.connection")
    loaded = code_object_sources(log, task)
    assert {"app.py", "pgfacade/__init__.py", "purepg/connection.py"} <= set(loaded)
    assert [source for source in loaded.values() if not source.endswith(".cpython-39.pyc")] == []


def test_a_source_edited_after_deployment_is_compiled_instead_of_its_stale_pyc(
    tmp_path: Path,
) -> None:
    handler = write_handler(tmp_path / "src", "VALUE = 'built'\n")
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=CURRENT, arch="x86_64")
    task = unpack(bundle.path, tmp_path / "task")
    (task / "app.py").write_text("VALUE = 'edited in the console'\n")
    log = verbose_import(Path(sys.executable), task, "import app; print(app.VALUE)")
    assert code_object_sources(log, task)["app.py"] == "app.py"


def test_a_static_psycopg2s_python_files_get_bytecode_too(tmp_path: Path) -> None:
    static = tmp_path / f"psycopg2-2.9.13-libpq-18.6-py{CURRENT}-x86_64.zip"
    extension = f"psycopg2/_psycopg.cpython-{CURRENT.replace('.', '')}-x86_64-linux-gnu.so"
    with zipfile.ZipFile(static, "w") as archive:
        archive.writestr("psycopg2/__init__.py", "from psycopg2 import extensions\n")
        archive.writestr("psycopg2/extensions.py", "ISOLATION_LEVEL_AUTOCOMMIT = 0\n")
        archive.writestr(extension, b"\x7fELF")
    bundle = assemble(
        tmp_path / "layer.zip",
        handler=None,
        python=CURRENT,
        arch="x86_64",
        psycopg2_zip=static,
        layer=True,
    )
    names = set(entries(bundle.path))
    tag = sys.implementation.cache_tag
    assert f"python/psycopg2/__pycache__/__init__.{tag}.pyc" in names
    assert f"python/psycopg2/__pycache__/extensions.{tag}.pyc" in names


def test_a_python_that_is_not_installed_gets_sources_only_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PYENV_ROOT", str(empty))
    monkeypatch.setenv("PATH", str(empty))
    handler = write_handler(tmp_path / "src")
    bundle = assemble(tmp_path / "app.zip", handler=handler, python=NOT_INSTALLED, arch="x86_64")
    names = entries(bundle.path)
    assert [name for name in names if name.endswith(".pyc") or "__pycache__" in name] == []
    assert not bundle.bytecode
    assert f"no CPython {NOT_INSTALLED} interpreter" in bundle.bytecode_note
    warning = capsys.readouterr().err
    assert warning.startswith("warning: app.zip ships no bytecode")
    assert NOT_INSTALLED in warning


def test_without_bytecode_the_package_holds_sources_only(tmp_path: Path) -> None:
    handler = write_handler(tmp_path / "src")
    bundle = assemble(
        tmp_path / "app.zip", handler=handler, python=CURRENT, arch="x86_64", bytecode=False
    )
    assert [name for name in entries(bundle.path) if name.endswith(".pyc")] == []
    assert not bundle.bytecode


def test_the_no_bytecode_option_of_the_command_gives_sources_only(tmp_path: Path) -> None:
    handler = write_handler(tmp_path / "src")
    argv = [str(handler), "--python", CURRENT, "--out", str(tmp_path / "dist"), "--no-bytecode"]
    assert main(argv) == 0
    (written,) = (tmp_path / "dist").iterdir()
    assert [name for name in entries(written) if name.endswith(".pyc")] == []


def test_a_handler_the_target_python_cannot_compile_is_refused_naming_it(tmp_path: Path) -> None:
    target_interpreter(OLDEST)
    handler = write_handler(tmp_path / "src", "match 1:\n    case 1:\n        pass\n")
    with pytest.raises(BuildError, match=r"Python 3\.9\.\d+ cannot compile app\.py"):
        assemble(tmp_path / "app.zip", handler=handler, python=OLDEST, arch="x86_64")


def test_bytecode_does_not_depend_on_the_callers_hash_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target_interpreter(OLDEST)  # 3.9 marshals a frozenset constant in hash order
    source = "def known(name):\n    return name in {'alpha', 'beta', 'gamma', 'delta', 'eps'}\n"
    handler = write_handler(tmp_path / "src", source)
    built = []
    for seed in ("1", "2", "3"):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        out = tmp_path / f"seed-{seed}.zip"
        built.append(assemble(out, handler=handler, python=OLDEST, arch="x86_64").sha256)
    assert len(set(built)) == 1
