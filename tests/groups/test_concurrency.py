"""Two students taking the last place at the same moment: PostgreSQL row locks decide.

SQLite has no row locks (it serialises whole writes), so these run on PostgreSQL only.
"""

import threading
import time

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from hub.groups.models import GroupMembership, SlotAssignment
from hub.groups.services import group_create, group_join, slot_choose

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL row locks",
    ),
]


def _in_thread(fn, results, key, ready=None):
    def run():
        try:
            if ready is not None:
                ready.wait()
            results[key] = fn()
        except Exception as error:  # noqa: BLE001 — the test inspects what each side got
            results[key] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _backend_pid(results):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        results["pid"] = cursor.fetchone()[0]


def _wait_until_blocked_on_a_lock(pid, deadline_s=10.0):
    """Poll pg_stat_activity (no fixed sleep) until the backend waits on a lock."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
        if row and row[0] == "Lock":
            return
    pytest.fail("the second join never waited for the first one's lock")


def test_second_join_waits_for_the_first_and_then_finds_the_group_full(
    discussion_set, make_student
):
    a, b, late1, late2 = (make_student(n) for n in ["a", "b", "late1", "late2"])
    group = group_create(group_set=discussion_set, name="Almost full", by=a)
    group_join(group=group, student=b)  # 2 of 3

    results = {}
    with transaction.atomic():
        group_join(group=group, student=late1)  # holds the group's row lock until commit
        started = threading.Event()

        def second():
            _backend_pid(results)
            started.set()
            return group_join(group=group, student=late2)

        thread = _in_thread(second, results, "second")
        started.wait(10)
        _wait_until_blocked_on_a_lock(results["pid"])
    thread.join(10)

    assert isinstance(results["second"], ValidationError) and "full" in str(results["second"])
    assert sorted(m.student.username for m in GroupMembership.objects.filter(group=group)) == [
        "a",
        "b",
        "late1",
    ]


def test_many_students_at_once_never_exceed_max_size(discussion_set, make_student):
    founder = make_student("founder")
    group = group_create(group_set=discussion_set, name="Popular", by=founder)
    racers = [make_student(f"racer{i}") for i in range(6)]
    barrier = threading.Barrier(len(racers))
    results = {}
    threads = [
        _in_thread(
            lambda s=s: group_join(group=group, student=s), results, s.username, ready=barrier
        )
        for s in racers
    ]
    for t in threads:
        t.join(20)
    joined = [k for k, v in results.items() if isinstance(v, GroupMembership)]
    refused = [v for v in results.values() if isinstance(v, ValidationError)]
    assert len(joined) == discussion_set.max_size - 1
    assert len(refused) == len(racers) - len(joined)
    assert GroupMembership.objects.filter(group=group).count() == discussion_set.max_size


def test_two_groups_racing_for_a_slots_last_place(discussion_set, make_student):
    slot = discussion_set.slots.order_by("session__starts_at").first()
    slot.capacity = 1
    slot.save(update_fields=["capacity"])
    groups = []
    for name in ("Red", "Blue"):
        first, second = make_student(f"{name}1"), make_student(f"{name}2")
        g = group_create(group_set=discussion_set, name=name, by=first)
        group_join(group=g, student=second)
        groups.append((g, first))
    barrier = threading.Barrier(2)
    results = {}
    threads = [
        _in_thread(
            lambda g=g, s=s: slot_choose(group=g, slot=slot, student=s),
            results,
            g.name,
            ready=barrier,
        )
        for g, s in groups
    ]
    for t in threads:
        t.join(20)
    assert sorted(type(v).__name__ for v in results.values()) == [
        "SlotAssignment",
        "ValidationError",
    ]
    assert SlotAssignment.objects.filter(slot=slot).count() == 1
