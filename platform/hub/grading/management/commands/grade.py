"""Grade a local folder or archive with an assignment's autograder, as a TA trying a solution."""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Grade PATH (a folder, .zip or .tar.gz) with ASSIGNMENT's autograder and print the report. "
        "--backend trusted runs WITHOUT a sandbox: only for staff's own reference solutions."
    )

    def add_arguments(self, parser):
        parser.add_argument("assignment", help="a folder under assignments/ (hw1) or a path to one")
        parser.add_argument("path", type=Path)
        parser.add_argument("--backend", choices=["docker", "bwrap", "trusted"], default=None)
        parser.add_argument("--json", action="store_true", help="print only the results.json")
        parser.add_argument("--seed", type=int, default=None, help="fix the job's secret seed")
        parser.add_argument("--device", default=None, help="cpu or cuda (default: GRADER_DEVICE)")
        parser.add_argument("--staff", action="store_true", help="show hidden checks too (default: yes)")

    def handle(self, *args, assignment, path: Path, backend, json: bool, seed, device, **options):
        from grader import grade
        from hub.grading.jobs import InfrastructureError, best_available_backend

        folder = Path(assignment)
        if not (folder / "spec.toml").exists():
            folder = Path(settings.ASSIGNMENTS_DIR) / assignment
        if not (folder / "spec.toml").exists():
            raise CommandError(f"no assignment {assignment!r}: expected {folder}/spec.toml")
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        if backend is None:
            try:
                backend = best_available_backend()
            except InfrastructureError as exc:
                raise CommandError(str(exc)) from None
        if backend == "trusted":
            sys.stderr.write(
                "WARNING: --backend trusted runs the submission's code WITHOUT a sandbox, with your\n"
                "         permissions. Use it only on staff's own reference solutions.\n"
            )
        report = grade(folder, path, backend=backend, seed=seed, device=device or settings.GRADER_DEVICE)
        results = report.to_results_json()
        if json:
            self.stdout.write(_json_dumps(results))
            return
        self.stdout.write(_human(results, backend))
        if not report.gradable:
            raise CommandError("not gradable: an infrastructure failure (see above)")


def _json_dumps(results) -> str:
    return json.dumps(results, indent=2, sort_keys=True, default=str)


def _human(results: dict, backend: str) -> str:
    lines = [f"Backend: {backend}", f"Score: {results.get('score', 0):g} / {results.get('max_score', 0):g}"]
    if results.get("failure_kind"):
        lines.append(f"Failure: {results['failure_kind']}")
    for test in results.get("tests", []):
        mark = {"passed": "PASS", "failed": "FAIL"}.get(test.get("status", ""), test.get("status", "?").upper())
        lines.append(
            f"  [{mark}] {test.get('name')}: {test.get('score', 0):g}/{test.get('max_score', 0):g}"
            f"  ({test.get('visibility', 'visible')})"
        )
        for out in str(test.get("output", "")).splitlines()[:6]:
            lines.append(f"         {out}")
    if results.get("execution_time") is not None:
        lines.append(f"Time: {results['execution_time']:.1f} s")
    return "\n".join(lines)
