"""pgfacade hands every libpq keyword and PG* variable to the driver: both backends enforce
them the same way (requirepeer, the protocol range, PGTZ/PGDATESTYLE)."""

from __future__ import annotations

import os
import pwd
from typing import Any

import pgfacade
import pytest
from pgfacade import errors


def test_requirepeer_reaches_the_driver(backend: str, pg_cluster: Any) -> None:
    params = pg_cluster.admin_params(requirepeer="somebody-else")
    with pytest.raises(errors.OperationalError, match='requirepeer specifies "somebody-else"'):
        pgfacade.connect(driver=backend, **params)


def test_requirepeer_naming_the_server_user_connects(backend: str, pg_cluster: Any) -> None:
    socket_file = os.path.join(str(pg_cluster.socket_dir), f".s.PGSQL.{pg_cluster.port}")
    owner = pwd.getpwuid(os.stat(socket_file).st_uid).pw_name
    pgfacade.connect(driver=backend, **pg_cluster.admin_params(requirepeer=owner)).close()


def test_pgtz_and_pgdatestyle_reach_the_session(
    backend: str, params: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGTZ", "Asia/Tokyo")
    monkeypatch.setenv("PGDATESTYLE", "ISO, DMY")
    connection = pgfacade.connect(driver=backend, **params)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT current_setting('TimeZone'), current_setting('DateStyle')")
        assert cursor.fetchone() == ("Asia/Tokyo", "ISO, DMY")
    finally:
        connection.close()
