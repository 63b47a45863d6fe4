"""purepg's Kerberos logins against the GSS cluster (Debian's PostgreSQL 15 and an MIT KDC):
the asyncio transport, and GSS-encrypted connections on both transports, with values larger
than one encrypted packet both ways."""

from __future__ import annotations

import asyncio

import purepg
import purepg.aio
import pytest

from tests.harness.auth_modes import GSS
from tests.harness.gss_prerequisites import DEBIAN_MAJOR
from tests.harness.kerberos import USER_PRINCIPAL

pytestmark = [
    pytest.mark.parametrize("pg_major", [DEBIAN_MAJOR], ids=[f"pg{DEBIAN_MAJOR}"], scope="session"),
    pytest.mark.parametrize("auth_mode", [GSS]),
]
GSS_STATUS = "SELECT principal, encrypted FROM pg_stat_gssapi WHERE pid = pg_backend_pid()"
BIG = 300_000
"""Bytes of a value: many encrypted packets of at most 16 KiB."""


@pytest.fixture(autouse=True)
def _needs_the_gss_extra():
    pytest.importorskip("gssapi", reason='purepg[gss] is not installed here (test_all step "gss")')


def test_asyncio_connections_log_in_with_kerberos(gss_cluster, pg_major, auth_mode):
    async def principal() -> str:
        conn = await purepg.aio.connect(**gss_cluster.params(auth_mode))
        try:
            cursor = conn.cursor()
            await cursor.execute(GSS_STATUS)
            row = await cursor.fetchone()
            assert row is not None
            return str(row[0])
        finally:
            await conn.close()

    assert asyncio.run(principal()) == USER_PRINCIPAL


def test_gss_encryption_carries_values_larger_than_a_packet_both_ways(
    gss_cluster, pg_major, auth_mode
):
    params = gss_cluster.params(auth_mode, gssencmode="require")
    with purepg.connect(**params) as conn, conn.cursor() as cur:
        cur.execute(GSS_STATUS)
        assert cur.fetchone() == (USER_PRINCIPAL, True)
        cur.execute("SELECT length(%s), repeat('x', 300000)", ("y" * BIG,))
        assert cur.fetchone() == (BIG, "x" * 300000)


def test_gss_encryption_works_on_the_asyncio_transport(gss_cluster, pg_major, auth_mode):
    async def round_trip() -> tuple:
        conn = await purepg.aio.connect(**gss_cluster.params(auth_mode, gssencmode="require"))
        try:
            cursor = conn.cursor()
            await cursor.execute(GSS_STATUS)
            status = await cursor.fetchone()
            await cursor.execute("SELECT length(%s), repeat('x', 300000)", ("y" * BIG,))
            return status, await cursor.fetchone()
        finally:
            await conn.close()

    assert asyncio.run(round_trip()) == ((USER_PRINCIPAL, True), (BIG, "x" * 300000))
