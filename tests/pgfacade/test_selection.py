"""Backend selection, driver_info() and `python -m pgfacade info`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pgfacade
import pytest
from pgfacade.connecting import DriverNotAvailableError, select_driver

pytest.importorskip("psycopg2", reason="psycopg2 is a CPython C extension: PyPy cannot load it")
import psycopg2
import psycopg2.extensions


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (imports and sys.modules start clean)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_importing_pgfacade_imports_no_driver_and_no_boto3() -> None:
    result = run_python(
        """
        import sys
        import pgfacade
        loaded = [name for name in sys.modules
                  if name.split(".")[0] in ("psycopg2", "purepg", "boto3", "botocore")]
        print(loaded)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_explicit_driver_argument_wins_over_the_environment() -> None:
    selection = select_driver("psycopg2", {"PGFACADE_DRIVER": "purepg"})
    assert selection.name == "psycopg2"
    assert "driver= argument" in selection.reason


def test_environment_variable_chooses_the_driver() -> None:
    selection = select_driver(None, {"PGFACADE_DRIVER": "purepg"})
    assert selection.name == "purepg"
    assert "PGFACADE_DRIVER" in selection.reason


def test_psycopg2_is_preferred_when_importable() -> None:
    selection = select_driver(None, {})
    assert selection.name == "psycopg2"
    assert selection.import_errors == {}


def test_purepg_is_chosen_when_psycopg2_cannot_be_imported() -> None:
    result = run_python(
        """
        import sys, json
        sys.modules["psycopg2"] = None  # makes `import psycopg2` raise ImportError
        import pgfacade
        print(json.dumps(pgfacade.driver_info()))
        """
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["driver"] == "purepg"
    assert "psycopg2" in info["import_errors"]
    assert "psycopg2 is not importable" in info["reason"]


def test_a_forced_driver_that_cannot_be_imported_is_an_error_naming_it() -> None:
    result = run_python(
        """
        import sys
        sys.modules["psycopg2"] = None
        import pgfacade
        try:
            pgfacade.connect(driver="psycopg2", host="localhost")
        except pgfacade.DriverNotAvailableError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "'psycopg2'" in result.stdout
    assert "driver= argument" in result.stdout
    assert "import of psycopg2 halted" in result.stdout  # the ImportError itself


def test_a_forced_driver_is_never_silently_replaced() -> None:
    result = run_python(
        """
        import sys, os
        sys.modules["psycopg2"] = None
        os.environ["PGFACADE_DRIVER"] = "psycopg2"
        from pgfacade.connecting import select_driver, DriverNotAvailableError
        try:
            select_driver()
        except DriverNotAvailableError as exc:
            print("refused:", exc)
        """
    )
    assert "refused:" in result.stdout
    assert "PGFACADE_DRIVER" in result.stdout


def test_an_unknown_driver_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown pgfacade driver 'mysql'"):
        select_driver("mysql", {})


def test_driver_not_available_is_an_import_error() -> None:
    assert issubclass(DriverNotAvailableError, ImportError)


def test_driver_info_reports_psycopg2_versions_and_location() -> None:
    info = pgfacade.driver_info("psycopg2")
    assert info["driver"] == "psycopg2"
    assert info["version"] == psycopg2.__version__  # type: ignore[attr-defined]
    assert info["file"] == psycopg2.__file__
    assert info["libpq_compiled_version"] == psycopg2.__libpq_version__
    assert info["libpq_runtime_version"] == psycopg2.extensions.libpq_version()
    assert info["openssl_version"].startswith("OpenSSL ")


def test_cli_info_prints_the_chosen_driver_and_why() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pgfacade", "info", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(result.stdout)
    assert info["driver"] == "psycopg2"
    assert info["reason"]
    assert "libpq_runtime_version" in info


def test_cli_info_fails_clearly_for_an_unavailable_forced_driver() -> None:
    result = run_python(
        """
        import sys
        sys.modules["psycopg2"] = None
        from pgfacade.__main__ import main
        sys.exit(main(["info", "--driver", "psycopg2"]))
        """
    )
    assert result.returncode == 1
    assert "cannot be imported" in result.stderr
