"""Remove store blobs that no submission refers to (left by uploads whose database write failed)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from hub.submissions.services import store_orphans_sweep


class Command(BaseCommand):
    help = "Remove unreferenced blobs older than --hours from SUBMISSION_STORE."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=1.0)

    def handle(self, *args, hours: float, **options):
        removed = store_orphans_sweep(older_than=timedelta(hours=hours))
        self.stdout.write(f"Removed {len(removed)} unreferenced blob(s).")
