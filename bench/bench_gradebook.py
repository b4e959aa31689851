"""Benchmark: the staff gradebook page for 300 students × 12 assignments, and for 30.

A plain script (`make bench`). It creates a test database (SQLite in memory by default; the
PostgreSQL of DATABASE_URL when set, as test_<name>), fills it, renders the page through Django's
test client, and reports the number of SQL queries (which must not grow with the class) and the
server time (median of several renders). Exits non-zero if the query counts differ.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TESTING", "1")  # no secret needed; the database is a throwaway test one

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

ASSIGNMENTS = 12
RENDERS = 5


def build_course(*, slug: str, students: int, rng: random.Random):
    from hub.courses.models import Assignment, Course, GradeComponent, Membership
    from hub.courses.policy import COMPONENT_WEIGHTS
    from hub.submissions.models import Grade, Submission

    User = get_user_model()
    course = Course.objects.create(
        slug=slug, code="CSDS 600", title="Deep Generative Models", term="Fall 2023"
    )
    components = {
        key: GradeComponent.objects.create(
            course=course, key=key, label=key.replace("_", " ").title(), weight=w
        )
        for key, w in COMPONENT_WEIGHTS.items()
    }
    # 12 assignments: 8 homeworks, a midterm, a paper report, a proposal and a final report.
    plan = [("homework", f"hw{i}") for i in range(1, 9)] + [
        ("midterm", "midterm"),
        ("paper_discussion", "paper-report"),
        ("final_project", "proposal"),
        ("final_project", "final-report"),
    ]
    assert len(plan) == ASSIGNMENTS
    start = timezone.now() - timedelta(days=120)
    assignments = Assignment.objects.bulk_create(
        Assignment(
            course=course,
            slug=s,
            title=s.upper(),
            kind="homework",
            component=components[key],
            due_at=start + timedelta(days=9 * i),
        )
        for i, (key, s) in enumerate(plan)
    )
    instructor = User.objects.create(username=f"{slug}-yu")
    Membership.objects.create(course=course, user=instructor, role=Membership.Role.INSTRUCTOR)
    users = User.objects.bulk_create(
        User(username=f"{slug}-s{i:04d}", first_name=f"F{i}", last_name=f"L{i:04d}")
        for i in range(students)
    )
    Membership.objects.bulk_create(
        Membership(course=course, user=u, role=Membership.Role.STUDENT) for u in users
    )
    grades, submissions = [], []
    now = timezone.now()
    for u in users:
        for a in assignments:
            roll = rng.random()
            if roll < 0.05:
                continue  # missing
            sub = Submission(
                assignment=a,
                student=u,
                created_at=a.due_at - timedelta(hours=1),
                sha256="0" * 64,
                size=1,
                lateness="on_time",
                sources_statement="mine",
                submitted_by=u,
            )
            submissions.append(sub)
            if roll < 0.08:
                continue  # submitted, not graded yet
            total = Decimal(rng.randint(400, 1000)) / 10
            grades.append(
                Grade(
                    student=u,
                    assignment=a,
                    autograde_points=total,
                    total=total,
                    updated_at=now,
                    released_at=now if roll > 0.2 else None,
                )
            )
    Submission.objects.bulk_create(submissions)
    Grade.objects.bulk_create(grades)
    return course, instructor


def measure(course, instructor) -> tuple[int, float, int]:
    client = Client()
    client.force_login(instructor)
    url = reverse("gradebook:gradebook", args=[course.slug])
    times, counts = [], set()
    for _ in range(RENDERS):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
        counts.add(len(ctx.captured_queries))
    assert len(counts) == 1, counts
    return counts.pop(), statistics.median(times), len(response.content)


def main() -> int:
    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        rng = random.Random(600)
        results = []
        for n in (30, 300):
            course, instructor = build_course(slug=f"bench{n}", students=n, rng=rng)
            queries, seconds, size = measure(course, instructor)
            results.append((n, queries, seconds, size))
        vendor = connection.vendor
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"gradebook page, {ASSIGNMENTS} assignments, database: {vendor}")
    for n, queries, seconds, size in results:
        print(
            f"  {n:4d} students: {queries} SQL queries, server time {seconds * 1000:.0f} ms "
            f"(median of {RENDERS}), {size / 1024:.0f} KiB of HTML"
        )
    same = len({q for _, q, _, _ in results}) == 1
    print(
        "  query count is the same at 30 and 300 students"
        if same
        else "  QUERY COUNT GROWS WITH THE CLASS"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
