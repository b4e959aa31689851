from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hub.courses.services import course_import_syllabus
from hub.courses.syllabus import SyllabusError


class Command(BaseCommand):
    help = "Create or update a course from its syllabus (Markdown). Idempotent; all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--time-zone", default=None, help="the course's zone (default: COURSE_TIME_ZONE)")

    def handle(self, *args, path: Path, time_zone: str | None, **options):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            course, parsed = course_import_syllabus(text=text, time_zone=time_zone)
        except SyllabusError as exc:
            where = f"{path}:{exc.line}" if exc.line else str(path)
            raise CommandError(f"{where}: {exc.message} (nothing was imported)") from None
        self.stdout.write(self.style.SUCCESS(
            f"{course.slug}: {len(parsed.sessions)} sessions, {len(parsed.assignments)} assignments"
        ))
        zone = course.zone
        for a in course.assignments.order_by("due_at"):
            self.stdout.write(f"  {a.title:<34} due {a.due_at.astimezone(zone):%a %d %b %Y %I:%M %p %Z}")
        if parsed.notes:
            self.stdout.write("Assumed where the syllabus is silent:")
            for note in parsed.notes:
                self.stdout.write(f"  - {note}")
