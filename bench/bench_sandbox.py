"""Sandbox overhead and warm-pool latency. Plain script: prints figures, asserts nothing.

1. The whole cost of a sandboxed RUN (start, harness, artifact copy, stop) for the toy
   assignment's reference solution, against the same harness run directly as a subprocess
   (the ``trusted`` backend) measured in the same run: a ratio per sandbox.
2. Time from dequeue to the first line of student code: a cold docker run against a warm pool
   container (torch already imported), both measured here.

    .venv/bin/python bench/bench_sandbox.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from grader import grade  # noqa: E402
from grader.engine import _data_files, _stage_job  # noqa: E402
from grader.sandbox import SandboxRequest, get_backend  # noqa: E402
from grader.sandbox.base import Backend  # noqa: E402
from grader.spec import load_spec  # noqa: E402

TOY = ROOT / "tests" / "grader" / "fixtures" / "toy"
FIRST_LINE_SPEC = """
[assignment]
slug = "first-line"
required_files = ["probe.py"]
[limits]
wall_seconds = 30
memory_mb = 1024
cpus = 1
pids = 64
output_mb = 4
log_kb = 16
[[tasks]]
name = "first"
function = "task_first"
timeout_seconds = 20
[[checks]]
name = "first"
task = "first"
function = "check_first"
points = 1
"""
FIRST_LINE_TASKS = """
def task_first(ctx):
    probe = ctx.import_student("probe")
    ctx.save_json("first", {"t": probe.FIRST_LINE})
"""
FIRST_LINE_CHECKS = """
from grader.verify import CheckResult


def check_first(ctx):
    return CheckResult(score=1.0, metrics={"t": ctx.load_json("first")["t"]})
"""
FIRST_LINE_STUDENT = "import time\nFIRST_LINE = time.time()  # the first line of student code\n"


def run_once(backend: Backend) -> tuple[float, dict[str, float]]:
    """Wall time of one backend.run of the toy reference (the job is staged beforehand)."""
    spec = load_spec(TOY)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        job = _stage_job(work / "job", spec, 1, "cpu", None)
        shutil.copytree(TOY / "reference", work / "submission")
        request = SandboxRequest(job_dir=job, submission_dir=work / "submission", data_files=_data_files(spec),
                                 limits=spec.limits, work_dir=work)
        t0 = time.perf_counter()
        outcome = backend.run(request)
        elapsed = time.perf_counter() - t0
        if outcome.exit_code != 0 or outcome.tar_path is None or outcome.tar_path.stat().st_size < 1024:
            raise RuntimeError(f"{backend.name} run failed: {outcome.log[-500:]}")
        return elapsed, outcome.timings


def median(measure: Callable[[], float], repeat: int) -> float:
    return statistics.median(measure() for _ in range(repeat))


def _available(name: str) -> bool:
    from grader.sandbox import SandboxUnavailable

    try:
        if name == "docker":
            from grader.sandbox.docker import connect, default_image, ensure_image

            ensure_image(connect(), default_image())
        elif not shutil.which("bwrap"):
            raise SandboxUnavailable("bwrap is not installed")
    except SandboxUnavailable as exc:
        print(f"{name}: unavailable: {exc}")
        return False
    return True


def first_line_latency(assignment: Path, submission: Path, backend: str | Backend) -> float:
    t_dequeue = time.time()
    report = grade(assignment, submission, backend=backend)
    results = report.to_results_json()
    if results["score"] != 1.0:
        raise RuntimeError(results["output"])
    return float(results["metrics"]["first"]["t"]) - t_dequeue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; median of {args.repeat} runs")

    print("\n== whole RUN phase of the toy reference (3 tasks, torch imported once)")
    # Interleaved, one of each per round, so a change in the machine's load hits all alike.
    names = ["trusted"] + [n for n in ("bwrap", "docker") if _available(n)]
    walls: dict[str, list[float]] = {n: [] for n in names}
    parts: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for _ in range(args.repeat):
        for name in names:
            wall, timings = run_once(get_backend(name))
            walls[name].append(wall)
            parts[name].append(timings)
    baseline = statistics.median(walls["trusted"])
    print(f"{'direct harness (trusted, baseline)':36} {baseline:6.2f} s   1.00x")
    for name in names[1:]:
        seconds = statistics.median(walls[name])
        start = statistics.median(t.get("start_s", 0.0) for t in parts[name])
        stop = statistics.median(t.get("stop_s", 0.0) for t in parts[name])
        print(f"{name + ' sandbox':36} {seconds:6.2f} s   {seconds / baseline:.2f}x  "
              f"(overhead {seconds - baseline:+.2f} s; start {start:.2f} s, stop {stop:.2f} s)")

    print("\n== dequeue -> first line of student code")
    with tempfile.TemporaryDirectory(prefix="bench-first-") as tmp:
        assignment, submission = Path(tmp) / "assignment", Path(tmp) / "submission"
        assignment.mkdir()
        submission.mkdir()
        (assignment / "spec.toml").write_text(FIRST_LINE_SPEC)
        (assignment / "tasks.py").write_text(FIRST_LINE_TASKS)
        (assignment / "checks.py").write_text(FIRST_LINE_CHECKS)
        (submission / "probe.py").write_text(FIRST_LINE_STUDENT)
        direct = median(lambda: first_line_latency(assignment, submission, "trusted"), args.repeat)
        print(f"{'direct harness (trusted, baseline)':36} {direct:6.3f} s   1.00x")
        if not _available("docker"):
            return
        cold = median(lambda: first_line_latency(assignment, submission, "docker"), args.repeat)
        print(f"{'docker, cold container':36} {cold:6.3f} s   {cold / direct:.2f}x")
        from grader.sandbox.pool import WarmPool

        with WarmPool(limits=load_spec(assignment).limits, size=1) as pool:

            def warm_once() -> float:
                pool.fill()  # a warm container waits, as it would between jobs
                return first_line_latency(assignment, submission, pool)

            warm = median(warm_once, args.repeat)
        print(f"{'docker, warm pool':36} {warm:6.3f} s   {warm / direct:.2f}x   "
              f"(cold/warm {cold / warm:.1f}x; target <= 0.3 s)")


if __name__ == "__main__":
    main()
