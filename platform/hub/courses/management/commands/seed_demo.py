"""Demo accounts for a new installation: an instructor, a TA and three students, with passwords."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hub.courses.models import Course, Membership

DEMO_USERS = [
    ("instructor", "Yu", "Yin", Membership.Role.INSTRUCTOR),
    ("ta", "Terry", "Assistant", Membership.Role.TA),
    ("alice", "Alice", "Student", Membership.Role.STUDENT),
    ("bob", "Bob", "Student", Membership.Role.STUDENT),
    ("carol", "Carol", "Student", Membership.Role.STUDENT),
]


class Command(BaseCommand):
    help = "Create demo accounts in a course and print their passwords (new passwords each run)."

    def add_arguments(self, parser):
        parser.add_argument("course", nargs="?", default="csds600-fall2023")
        parser.add_argument("--password", default=None, help="one password for all (default: random)")

    @transaction.atomic
    def handle(self, *args, course: str, password: str | None, **options):
        try:
            target = Course.objects.get(slug=course)
        except Course.DoesNotExist:
            raise CommandError(f"no course {course!r}: run import_syllabus first") from None
        User = get_user_model()
        self.stdout.write(f"Demo accounts of {target.slug}:")
        for username, first, last, role in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.edu"},
            )
            secret = password or secrets.token_urlsafe(9)
            user.set_password(secret)
            user.is_staff = role == Membership.Role.INSTRUCTOR  # the admin site, for rare edits
            user.is_superuser = role == Membership.Role.INSTRUCTOR
            user.save()
            Membership.objects.update_or_create(course=target, user=user, defaults={"role": role})
            self.stdout.write(f"  {role:<10} {username:<11} password: {secret}")
