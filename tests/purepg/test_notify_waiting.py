"""LISTEN/NOTIFY: waiting for notifications on the socket."""

from __future__ import annotations

import threading

import purepg
import pytest


@pytest.fixture
def params(pg_cluster):
    return pg_cluster.params("scram-sha-256")


@pytest.fixture
def listener(params):
    connection = purepg.connect(**params)
    connection.autocommit = True
    connection.cursor().execute("LISTEN events")
    yield connection
    connection.close()


@pytest.fixture
def sender(params):
    connection = purepg.connect(**params)
    connection.autocommit = True
    yield connection
    connection.close()


def test_wait_notify_returns_a_notification_sent_while_waiting(listener, sender):
    started = threading.Event()

    def notify_once_waiting():
        started.wait()
        sender.cursor().execute("NOTIFY events, 'hello'")

    thread = threading.Thread(target=notify_once_waiting)
    thread.start()
    started.set()
    notification = listener.wait_notify(timeout=30)
    thread.join()
    assert notification is not None
    assert (notification.channel, notification.payload) == ("events", "hello")
    assert notification.pid == sender.backend_pid


def test_wait_notify_returns_none_after_the_timeout(listener):
    assert listener.wait_notify(timeout=0.05) is None


def test_wait_notify_takes_notifications_in_order_and_removes_them(listener, sender):
    cur = sender.cursor()
    cur.execute("NOTIFY events, 'one'")
    cur.execute("NOTIFY events, 'two'")
    assert listener.wait_notify(timeout=30).payload == "one"
    assert listener.wait_notify(timeout=30).payload == "two"
    assert listener.notifies == []


def test_notifications_iterator_stops_after_a_quiet_timeout(listener, sender):
    cur = sender.cursor()
    for payload in ("a", "b", "c"):
        cur.execute("SELECT pg_notify('events', %s)", (payload,))
    listener.cursor().execute("SELECT 1")  # the notifications have arrived by now
    assert [n.payload for n in listener.notifications(timeout=0.05)] == ["a", "b", "c"]


def test_notices_are_kept_per_connection(listener):
    listener.cursor().execute("DO $$ BEGIN RAISE NOTICE 'kept'; END $$")
    assert any("kept" in notice for notice in listener.notices)
