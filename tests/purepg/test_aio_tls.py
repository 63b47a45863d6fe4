"""purepg.aio over TLS against a real server: the server's TLS alerts are what gets reported."""

from __future__ import annotations

import asyncio
import time

import pytest
from purepg import aio
from purepg.errors import OperationalError
from purepg.protocol import flow

from tests.harness import auth_modes


def test_a_refused_client_certificate_is_reported_even_from_a_slow_client(pg_cluster, monkeypatch):
    # With TLS 1.3 the server checks the client certificate after the client's handshake
    # finished, sends an "unknown ca" alert and resets the connection. A client that blocks
    # its event loop before the StartupMessage (slow imports, busy loop) used to meet that
    # reset when writing, and reported it instead of the alert.
    start_machine = flow.start_machine

    def slow_start_machine(*args, **kwargs):
        time.sleep(0.5)
        return start_machine(*args, **kwargs)

    monkeypatch.setattr(flow, "start_machine", slow_start_machine)
    params = auth_modes.with_untrusted_client_cert(pg_cluster.params("cert"), pg_cluster.pki)
    with pytest.raises(OperationalError, match="unknown ca"):
        asyncio.run(aio.connect(**params))
