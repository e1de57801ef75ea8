"""The SQLite test database behaves as a deployment's file does when two threads use it at once.

The browser tests serve pages from the live server's threads while the test's own thread
builds trial state. On Django's default shared-cache memory database a second connection that
meets another's write fails at once ("database table is locked") instead of waiting; in CI
that broke one browser test and then every later test on its worker (docs/adr/0020).
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections, transaction

# Each test commits: the point is two threads seeing each other's writes.
pytestmark = [pytest.mark.sqlite, pytest.mark.django_db(transaction=True)]


def test_the_test_database_is_a_file_each_thread_opens_on_its_own():
    assert not connection.is_in_memory_db()


def test_a_second_thread_waits_for_the_first_ones_write_instead_of_failing():
    written = threading.Event()
    failures: list[BaseException] = []

    def second_thread() -> None:
        written.wait(timeout=10)
        try:
            Group.objects.create(name="second")
            assert Group.objects.filter(name="first").exists()
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    other = threading.Thread(target=second_thread)
    other.start()
    with transaction.atomic():
        Group.objects.create(name="first")
        written.set()
        # Hold the write a little while the other thread asks for its own.
        other.join(timeout=0.5)
    other.join(timeout=30)

    assert not other.is_alive()
    assert failures == []
    assert set(Group.objects.values_list("name", flat=True)) == {"first", "second"}
