"""Demo submissions for a new installation, so that a new user sees real reports on first start.

For each autograded assignment the demo students hand in: alice the staff reference solution,
bob a solution with one planted bug, carol the starter code. They are dated one day before the
deadline (the course is in the past), then graded by the worker like any submission. The demo
students also get an extension on the last autograded assignment, so that uploads can be tried.
"""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from hub.courses.models import Assignment, Course, Membership

DEMO = [("alice", "reference"), ("bob", "bug"), ("carol", "starter")]
DEMO_EXTENSION = timedelta(days=14)  # how long the demo students may try uploads (not a policy)


class Command(BaseCommand):
    help = "Queue demo submissions of the demo students for every autograded assignment."

    def add_arguments(self, parser):
        parser.add_argument("course", nargs="?", default="csds600-fall2023")

    def handle(self, *args, course: str, **options):
        from hub.submissions.bundles import Upload
        from hub.submissions.models import Extension
        from hub.submissions.services import extension_grant, submission_create

        target = Course.objects.filter(slug=course).first()
        if target is None:
            raise CommandError(f"no course {course!r}")
        instructor = Membership.objects.filter(course=target, role=Membership.Role.INSTRUCTOR).first()
        users = {u.username: u for u in get_user_model().objects.filter(username__in=[n for n, _ in DEMO])}
        autograded = list(Assignment.objects.filter(course=target).exclude(autograder="").order_by("due_at"))
        if not autograded:
            self.stdout.write("No autograded assignment: nothing to demonstrate.")
            return
        for assignment in autograded:
            folder = Path(settings.ASSIGNMENTS_DIR) / assignment.autograder
            for username, kind in DEMO:
                student = users.get(username)
                source = _solution_folder(folder, kind)
                if student is None or source is None:
                    continue
                if assignment.submissions.filter(student=student).exists():
                    continue  # running the demo again changes nothing
                uploads = [
                    Upload(name=str(p.relative_to(source)), data=p.read_bytes())
                    for p in sorted(source.rglob("*.py"))
                ]
                with transaction.atomic():
                    submission = submission_create(
                        assignment=assignment, student=student, uploads=uploads,
                        sources_statement="None (demo submission)", now=assignment.due_at - timedelta(days=1),
                    )
                self.stdout.write(f"  {assignment.title}: {username} handed in the {kind} ({submission.pk})")
        last = autograded[-1]
        if instructor is not None:
            for username, _ in DEMO:
                student = users.get(username)
                if student and not Extension.objects.filter(assignment=last, student=student).exists():
                    extension_grant(
                        assignment=last, student=student, due_at=timezone.now() + DEMO_EXTENSION,
                        reason="Demo: lets you try uploading.", by=instructor.user,
                        now=last.due_at - timedelta(days=2),
                    )
            self.stdout.write(f"Demo students may hand in {last.title} for {DEMO_EXTENSION.days} more days (a demo extension).")


def _solution_folder(folder: Path, kind: str) -> Path | None:
    if kind == "bug":
        bugs = sorted(p for p in (folder / "bugs").glob("*") if p.is_dir())
        return bugs[0] if bugs else None
    path = folder / kind
    return path if path.is_dir() else None
