"""The start of a session once the socket is open (and encrypted, if it is to be): the
authentication exchange up to the first ReadyForQuery, the IntervalStyle the codecs read, and
what ``target_session_attrs`` needs to know of the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from purepg.errors import Error, OperationalError
from purepg.protocol import flow
from purepg.protocol.flow import Run

if TYPE_CHECKING:
    from collections.abc import Mapping

    from purepg.conninfo import ConnectParams, HostAddress
    from purepg.core.operation import Operation
    from purepg.protocol.machine import Machine

TRUE_WORDS = ("t", "true", "on")


def start_session(params: ConnectParams, machine: Machine) -> Operation[None]:
    """Authenticate (the StartupMessage is queued), wait for the first ReadyForQuery, and set
    ``IntervalStyle`` when the server reported another one than the codecs read."""
    yield Run(machine)
    fix = flow.interval_style_fix(params, machine)
    if fix is not None:
        machine.send_query(fix)
        (exchange,) = yield Run(machine)
        flow.raise_error(exchange)


def single_value(machine: Machine, sql: str) -> Operation[str]:
    """The text of the single value ``sql`` returns (SHOW, pg_is_in_recovery)."""
    machine.send_query(sql)
    (exchange,) = yield Run(machine)
    return flow.single_value(exchange)


def session_facts(machine: Machine) -> Operation[dict[str, bool]]:
    """Whether the session is read-only and whether the server is a hot standby.

    PostgreSQL 14+ reports ``default_transaction_read_only`` and ``in_hot_standby``; older
    servers are asked (``pg_is_in_recovery()``, ``SHOW transaction_read_only``).
    """
    parameters = machine.parameters
    if "in_hot_standby" in parameters:
        standby = parameters["in_hot_standby"] == "on"
    else:
        answer = yield from single_value(machine, "SELECT pg_catalog.pg_is_in_recovery()")
        standby = answer in TRUE_WORDS
    if "default_transaction_read_only" in parameters:
        read_only = standby or parameters["default_transaction_read_only"] == "on"
    else:
        read_only = (yield from single_value(machine, "SHOW transaction_read_only")) == "on"
    return {"read_only": read_only, "standby": standby}


def target_refusal(machine: Machine, wanted: str, host: HostAddress) -> Operation[Error | None]:
    """None when the session suits ``target_session_attrs`` (``wanted``), else the error
    that refuses this server (the next one is tried)."""
    if wanted == "any":
        return None
    facts = yield from session_facts(machine)
    return check_session(wanted, facts, host)


def check_session(wanted: str, facts: Mapping[str, bool], host: HostAddress) -> Error | None:
    """None if the session fits ``wanted`` (a target_session_attrs value), else the refusal."""
    problem = None
    if wanted == "read-write" and facts["read_only"]:
        problem = "session is read-only"
    elif wanted == "read-only" and not facts["read_only"]:
        problem = "session is not read-only"
    elif wanted == "primary" and facts["standby"]:
        problem = "server is in hot standby mode"
    elif wanted == "standby" and not facts["standby"]:
        problem = "server is not in hot standby mode"
    if problem is None:
        return None
    return OperationalError(f"connection to server {host.display} failed: {problem}")
