"""LISTEN/NOTIFY: notifications reach the listening connection (``Driver.wait_for_notifies``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def listener(conn):
    """``conn`` in autocommit mode, listening on channel ``conformance``."""
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("LISTEN conformance")
    return conn


def test_notify_is_received_by_the_listening_connection(driver, listener, observer):
    with observer.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        sender_pid = cursor.fetchone()[0]
        cursor.execute("NOTIFY conformance, 'hello ü'")
    received = driver.wait_for_notifies(listener)
    assert [(n.channel, n.payload, n.pid) for n in received] == [
        ("conformance", "hello ü", sender_pid)
    ]


def test_notifications_of_one_transaction_arrive_in_order_after_commit(driver, listener, observer):
    observer.autocommit = False
    with observer.cursor() as cursor:
        cursor.execute("SELECT pg_notify('conformance', 'first')")
        cursor.execute("SELECT pg_notify('conformance', 'second')")
    observer.commit()
    received = driver.wait_for_notifies(listener)
    if len(received) == 1:  # the second one may come in a later packet
        received += driver.wait_for_notifies(listener)
    assert [n.payload for n in received] == ["first", "second"]


def test_notify_on_another_channel_is_not_received(driver, listener, observer):
    with observer.cursor() as cursor:
        cursor.execute("NOTIFY elsewhere, 'ignored'")
        cursor.execute("NOTIFY conformance, 'wanted'")
    received = driver.wait_for_notifies(listener)
    assert [n.payload for n in received] == ["wanted"]
