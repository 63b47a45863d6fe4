"""The step cache: keys follow inputs, outputs are reused, failures leave nothing behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lambda_psycopg.cache import StepCache, StepOutput, code_version, inputs_key

BASE = {"version": "3.5.7", "sha256": "aa", "target": "x86_64-linux-gnu.2.17", "code": "1"}


def test_same_inputs_give_the_same_key() -> None:
    assert inputs_key("openssl", dict(BASE)) == inputs_key("openssl", dict(reversed(BASE.items())))


@pytest.mark.parametrize("field", sorted(BASE))
def test_changing_any_input_changes_the_key(field: str) -> None:
    changed = dict(BASE, **{field: "other"})
    assert inputs_key("openssl", changed) != inputs_key("openssl", BASE)


def test_the_step_name_is_part_of_the_key() -> None:
    assert inputs_key("openssl", BASE) != inputs_key("libpq", BASE)


def test_code_version_follows_the_source_file(tmp_path: Path) -> None:
    source = tmp_path / "step.py"
    source.write_text("VERSION = 1\n")
    first = code_version(str(source))
    source.write_text("VERSION = 2\n")
    assert code_version(str(source)) != first


def test_code_version_follows_the_shared_build_helper_a_step_runs(tmp_path: Path) -> None:
    step, helper = tmp_path / "step.py", tmp_path / "toolchain.py"
    step.write_text("VERSION = 1\n")
    helper.write_text("MAKE = ['make']\n")
    first = code_version(str(step), str(helper))
    helper.write_text("MAKE = ['make', '-k']\n")
    assert code_version(str(step), str(helper)) != first


def test_a_cached_step_is_not_built_again(tmp_path: Path) -> None:
    cache = StepCache(tmp_path)
    calls = []

    def build(out: Path, work: Path) -> dict[str, str]:
        calls.append(out)
        (out / "lib.a").write_text("archive")
        return {"library": "lib.a"}

    first = cache.run("openssl", BASE, build)
    second = cache.run("openssl", BASE, build)
    assert len(calls) == 1
    assert not first.cached and second.cached
    assert second.path == first.path
    assert (second.path / "lib.a").read_text() == "archive"
    assert second.outputs == {"library": "lib.a"}


def test_a_step_being_built_elsewhere_is_waited_for_not_built_again(tmp_path: Path) -> None:
    calls = []
    second_build_started = threading.Event()

    def first_build(out: Path, work: Path) -> dict[str, str]:
        calls.append("first")
        (work / "build.log").write_text("configure ...")
        second.start()
        second_build_started.wait(timeout=2)  # set only if the second one builds too
        assert (work / "build.log").is_file(), "the work directory was removed as stale"
        return {"library": "lib.a"}

    def second_build(out: Path, work: Path) -> dict[str, str]:
        calls.append("second")
        second_build_started.set()
        return {"library": "lib.a"}

    results: dict[str, StepOutput] = {}
    second = threading.Thread(
        target=lambda: results.update(second=StepCache(tmp_path).run("openssl", BASE, second_build))
    )
    first = StepCache(tmp_path).run("openssl", BASE, first_build)
    second.join()
    assert calls == ["first"]
    assert results["second"].cached and results["second"].path == first.path


def test_a_failed_step_leaves_no_cache_entry(tmp_path: Path) -> None:
    cache = StepCache(tmp_path)

    def build(out: Path, work: Path) -> dict[str, str]:
        (out / "half-written").write_text("x")
        raise RuntimeError("compiler crashed")

    with pytest.raises(RuntimeError):
        cache.run("openssl", BASE, build)
    assert cache.lookup("openssl", BASE) is None
    assert not list((tmp_path / "steps" / "openssl").iterdir())


def test_code_version_ignores_formatting_comments_and_docstrings(tmp_path: Path) -> None:
    source = tmp_path / "step.py"
    source.write_text('"""Step."""\nFLAGS = ["-O2"]\n')
    first = code_version(str(source))
    source.write_text('"""Step, reworded."""\n\n# a comment\nFLAGS = [\n    "-O2",\n]\n')
    assert code_version(str(source)) == first
