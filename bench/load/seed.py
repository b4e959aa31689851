"""A course with many students and API tokens, for the rush and the restore drill.

    python bench/load/seed.py --students 500 --due-in 130 --out var/bench/seed.json

Run with DATABASE_URL (and SUBMISSION_STORE) pointing at a scratch database that has been
migrated. Writes {"course", "assignment", "students": [{"username", "token"}...]} as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COURSE_SLUG = "rush-dgm"
ASSIGNMENT_SLUG = "hw-rush"


def django_setup() -> None:
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(*, students: int, due_in_s: float, autograder: str = "hw1") -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from hub.courses.models import Assignment, Course, GradeComponent, Membership

    User = get_user_model()
    course, _ = Course.objects.get_or_create(
        slug=COURSE_SLUG, defaults={"code": "CSDS 600", "title": "Deep Generative Models", "term": "Fall 2023"}
    )
    component, _ = GradeComponent.objects.get_or_create(
        course=course, key=GradeComponent.Key.HOMEWORK, defaults={"label": "Homework", "weight": 30}
    )
    due = timezone.now() + timedelta(seconds=due_in_s)
    assignment, _ = Assignment.objects.update_or_create(
        course=course,
        slug=ASSIGNMENT_SLUG,
        defaults={
            "title": "HW rush",
            "kind": Assignment.Kind.HOMEWORK,
            "component": component,
            "due_at": due,
            "autograder": autograder,
            "max_upload_bytes": 8 * 1024 * 1024,
        },
    )
    unusable = make_password(None)  # tokens only: no password hashing cost for 500 accounts
    names = [f"rush{i:04d}" for i in range(students)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=n, email=f"{n}@example.edu", password=unusable) for n in names if n not in existing]
    )
    users = list(User.objects.filter(username__in=names).order_by("username"))
    have = set(Membership.objects.filter(course=course, user__in=users).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(course=course, user=u, role=Membership.Role.STUDENT) for u in users if u.pk not in have]
    )
    tokens = {t.user_id: t.key for t in Token.objects.filter(user__in=users)}
    new = [Token(user=u, key=Token.generate_key()) for u in users if u.pk not in tokens]
    Token.objects.bulk_create(new)
    tokens.update({t.user_id: t.key for t in new})
    return {
        "course": course.slug,
        "assignment": assignment.slug,
        "due_at": assignment.due_at.isoformat(),
        "students": [{"username": u.username, "token": tokens[u.pk]} for u in users],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--due-in", type=float, default=130.0, help="seconds from now to the deadline")
    parser.add_argument("--autograder", default="hw1")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    django_setup()
    data = seed(students=args.students, due_in_s=args.due_in, autograder=args.autograder)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data))
    print(f"seeded {len(data['students'])} students in {data['course']}, due {data['due_at']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
