"""Does every submission row have its bytes? Run inside a configured Django process.

    python bench/load/integrity.py            # prints a JSON report, exit 1 on any problem

Checks each SubmissionFile's blob in the store against the row's sha256 and size (reading the
bytes, not trusting the name), and each Submission's sha256 against its manifest. Used by the
restore drill (tests/faults/test_restore_drill.py), the load benchmark and docs/deployment.md.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path


def _sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def store_check(*, submission_ids=None) -> dict:
    """{'submissions', 'files', 'missing', 'mismatched', 'bad_manifests'}; lists hold ids."""
    from hub.submissions.models import Submission, SubmissionFile
    from hub.submissions.store import blob_path, bundle_sha256, manifest_entries

    files = SubmissionFile.objects.order_by("pk")
    submissions = Submission.objects.prefetch_related("files").order_by("pk")
    if submission_ids is not None:
        files = files.filter(submission_id__in=submission_ids)
        submissions = submissions.filter(pk__in=submission_ids)
    report = {"submissions": 0, "files": 0, "missing": [], "mismatched": [], "bad_manifests": []}
    for row in files.iterator():
        report["files"] += 1
        path = blob_path(row.sha256)
        if not path.is_file():
            report["missing"].append(row.pk)
            continue
        sha, size = _sha256_of(path)
        if sha != row.sha256 or size != row.size:
            report["mismatched"].append(row.pk)
    for submission in submissions:
        report["submissions"] += 1
        if bundle_sha256(manifest_entries(submission.files.all())) != submission.sha256:
            report["bad_manifests"].append(submission.pk)
    report["ok"] = not (report["missing"] or report["mismatched"] or report["bad_manifests"])
    return report


def main() -> int:
    root = Path(__file__).resolve().parents[2]
    sys.path[:0] = [str(root / "platform"), str(root)]
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    report = store_check()
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
