"""`lambda-psycopg release`: build directories (one per architecture) become a release's assets
under fixed names, with sidecars that `sha256sum -c` / `md5sum -c` accept and latest.json."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lambda_psycopg.cli import main
from lambda_psycopg.steps.package import deterministic_zip, sha256_of, write_sidecars


def fake_build(out: Path, python: str, arch: str, passed: bool = True) -> Path:
    """A build's --out directory for one target: zips, sidecars and a manifest."""
    out.mkdir(parents=True, exist_ok=True)
    module = out / "module.py"
    module.write_text(f"# psycopg2 for {python} {arch}\n")
    stem = f"psycopg2-2.9.13-libpq-18.6-py{python}-{arch}"
    artifacts = {}
    for key, name, root in (
        ("zip", f"{stem}.zip", ""),
        ("layer_zip", f"{stem}-layer.zip", "python/"),
    ):
        deterministic_zip([(f"{root}psycopg2/__init__.py", module)], out / name)
        write_sidecars(out / name)
        artifacts[key] = {"name": name, "sha256": sha256_of(out / name), "size": 1}
    module.unlink()
    manifest = {
        "artifacts": artifacts,
        "target": {"python": python, "arch": arch, "lambda_runtime": f"python{python}"},
        "inputs": {
            "psycopg2": {"version": "2.9.13"},
            "postgresql": {"version": "18.6"},
            "openssl": {"version": "3.5.7"},
        },
        "verification": {"passed": passed, "level": "import"},
    }
    (out / f"{stem}.manifest.json").write_text(json.dumps(manifest))
    return out


def release(builds: list[Path], out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    argv = ["release", *map(str, builds), "--out", str(out), "--tag", "lambda-psycopg-v0.3.0"]
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_assets_get_fixed_names_per_python_and_architecture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x86 = fake_build(tmp_path / "x86_64", "3.12", "x86_64")
    fake_build(tmp_path / "x86_64", "3.9", "x86_64")
    arm = fake_build(tmp_path / "arm64", "3.12", "arm64")
    status, _ = release([x86, arm], tmp_path / "release", capsys)
    assert status == 0
    names = sorted(path.name for path in (tmp_path / "release").iterdir())
    expected = []
    for stem in ("psycopg2-py3.12-arm64", "psycopg2-py3.12-x86_64", "psycopg2-py3.9-x86_64"):
        expected += [f"{stem}-layer.zip", f"{stem}-layer.zip.md5", f"{stem}-layer.zip.sha256"]
        expected += [f"{stem}.manifest.json", f"{stem}.zip", f"{stem}.zip.md5"]
        expected += [f"{stem}.zip.sha256"]
    assert names == sorted([*expected, "latest.json"])


def test_latest_json_lists_each_asset_with_versions_and_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = fake_build(tmp_path / "arm64", "3.12", "arm64")
    x86 = fake_build(tmp_path / "x86_64", "3.12", "x86_64")
    release([x86, arm], tmp_path / "release", capsys)
    latest = json.loads((tmp_path / "release" / "latest.json").read_text())
    assert latest["tag"] == "lambda-psycopg-v0.3.0"
    assert [(a["python"], a["arch"]) for a in latest["artifacts"]] == [
        ("3.12", "arm64"),
        ("3.12", "x86_64"),
    ]
    entry = latest["artifacts"][0]
    assert entry["zip"]["name"] == "psycopg2-py3.12-arm64.zip"
    assert entry["zip"]["sha256"] == sha256_of(tmp_path / "release" / entry["zip"]["name"])
    assert entry["layer_zip"]["name"] == "psycopg2-py3.12-arm64-layer.zip"
    assert (entry["psycopg2"], entry["libpq"], entry["openssl"]) == ("2.9.13", "18.6", "3.5.7")
    assert entry["verification"] == "import"


@pytest.mark.parametrize("tool", ["sha256sum", "md5sum"])
def test_the_sidecars_name_the_fixed_file_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: str
) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    release([fake_build(tmp_path / "x86_64", "3.12", "x86_64")], tmp_path / "release", capsys)
    suffix = tool.removesuffix("sum")
    sidecars = sorted(p.name for p in (tmp_path / "release").glob(f"*.{suffix}"))
    checked = subprocess.run(
        [tool, "-c", *sidecars], cwd=tmp_path / "release", capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == 2


def test_a_failed_verification_is_not_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = fake_build(tmp_path / "x86_64", "3.12", "x86_64", passed=False)
    status, output = release([build], tmp_path / "release", capsys)
    assert status == 2
    assert "records a failed verification: not released" in output


def test_a_damaged_zip_is_not_released(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build = fake_build(tmp_path / "x86_64", "3.12", "x86_64")
    (zip_path,) = build.glob("*-x86_64.zip")
    zip_path.write_bytes(zip_path.read_bytes()[:-10])
    status, output = release([build], tmp_path / "release", capsys)
    assert status == 2
    assert f"{zip_path.name} does not match the sha256 in its manifest" in output


def test_the_same_target_from_two_builds_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = fake_build(tmp_path / "a", "3.12", "x86_64")
    second = fake_build(tmp_path / "b", "3.12", "x86_64")
    status, output = release([first, second], tmp_path / "release", capsys)
    assert status == 2
    assert "two builds of psycopg2-py3.12-x86_64" in output
