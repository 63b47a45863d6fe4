"""The request workloads call every driver as users do: a cursor, execute then fetchall or
fetchone, autocommit on and off; anything else is an extra, never a target."""

from __future__ import annotations

from benchmarks.targets import TARGETS
from benchmarks.workloads import FETCHALL, FETCHONE, WORKLOADS, WORKLOADS_BY_NAME


def _user_requests():
    return [w.request for w in WORKLOADS if w.request is not None and not w.extra]


def test_select_workloads_cover_fetchall_and_fetchone():
    fetches = {(request.query, request.fetch) for request in _user_requests()}
    for query in {request.query for request in _user_requests()}:
        assert {(query, FETCHALL), (query, FETCHONE)} <= fetches, query


def test_select_workloads_run_with_autocommit_on_and_off():
    for query in {request.query for request in _user_requests()}:
        modes = {request.autocommit for request in _user_requests() if request.query == query}
        assert modes == {True, False}, query


def test_targeted_select_workloads_use_fetchall_in_autocommit():
    for target in TARGETS:
        request = WORKLOADS_BY_NAME[target.workload].request
        if request is not None:
            assert (request.fetch, request.autocommit) == (FETCHALL, True), target.workload


def test_extra_workloads_say_so_and_are_never_targets():
    extras = {w.name for w in WORKLOADS if w.extra}
    assert extras
    assert not extras & {target.workload for target in TARGETS}
    for name in extras:
        assert WORKLOADS_BY_NAME[name].calling_style.startswith("extra, not user code")
