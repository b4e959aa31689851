"""``grade()``: unpack the submission, RUN it in a sandbox, VERIFY the artifacts, build the Report."""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.archive import (
    ArchiveError,
    Caps,
    Extracted,
    make_readable,
    unpack_output_stream,
    unpack_submission,
)
from grader.harness.runner import STATUS_DIR, STATUS_FILE
from grader.report import Attachment, FailureKind, Report
from grader.sandbox import RunOutcome, SandboxRequest, SandboxUnavailable, get_backend
from grader.sandbox.base import HARNESS_MARGIN_S, Backend
from grader.sandbox.trusted import WARNING as TRUSTED_WARNING
from grader.spec import Spec, SpecError, load_spec
from grader.verify import TaskStatus, run_checks
from grader.verify.artifacts import MAX_JSON_BYTES

TRAIN_FILES = {"fashion-mnist:train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")}
# The harness's code that tasks.py may import next to it.
ASSIGNMENT_SANDBOX_FILES = ("tasks.py", "common.py")


def grade(
    assignment: str | Path,
    submission: str | Path,
    backend: str | Backend = "docker",
    seed: int | None = None,
    device: str = "cpu",
    *,
    phases: Mapping[str, Any] | None = None,
    gpu_memory_fraction: float | None = None,
    backend_options: Mapping[str, Any] | None = None,
) -> Report:
    """Grade one submission (a folder, .zip or .tar.gz) of one assignment folder.

    Never raises for anything the student did: failures are in the Report. ``phases`` are
    timestamps the caller knows (e.g. ``queued``), copied into the report's phase timings.
    """
    started = time.monotonic()
    phase_times: dict[str, Any] = {k: _stamp(v) for k, v in (phases or {}).items()}
    phase_times["started"] = _stamp(datetime.now(UTC))
    seed = secrets.randbelow(2**62) if seed is None else int(seed)
    try:
        spec = load_spec(assignment)
        sandbox = get_backend(backend, **dict(backend_options or {})) if isinstance(backend, str) else backend
    except (SpecError, ValueError) as exc:
        return _finish(_infrastructure(str(exc), str(backend)), started, phase_times)
    with tempfile.TemporaryDirectory(prefix="grader-job-") as tmp:
        report = _grade_in(Path(tmp), spec, Path(submission), sandbox, seed, device, gpu_memory_fraction, phase_times)
    return _finish(report, started, phase_times)


def _grade_in(work: Path, spec: Spec, submission: Path, sandbox: Backend, seed: int, device: str,
              gpu_memory_fraction: float | None, phase_times: dict[str, Any]) -> Report:
    submission_dir = work / "submission"
    try:
        _unpack(submission, submission_dir, spec)
    except ArchiveError as exc:
        return _rejected(spec, f"The submission was not accepted: {exc}", sandbox.name)
    job_dir = _stage_job(work / "job", spec, seed, device, gpu_memory_fraction)
    request = SandboxRequest(job_dir=job_dir, submission_dir=submission_dir, data_files=_data_files(spec),
                             limits=spec.limits, work_dir=work, device=device,
                             gpu_memory_fraction=gpu_memory_fraction, hidden_dirs=_dataset_dirs())
    phase_times["run_started"] = _stamp(datetime.now(UTC))
    try:
        outcome = sandbox.run(request)
    except SandboxUnavailable as exc:
        return _infrastructure(f"The {sandbox.name} sandbox is unavailable: {exc}", sandbox.name, spec)
    if outcome.infrastructure_error:
        return _infrastructure(outcome.infrastructure_error, sandbox.name, spec, outcome)
    phase_times["verify_started"] = _stamp(datetime.now(UTC))
    t_verify = time.monotonic()
    out_root = work / "out"
    extracted = _collect(outcome, out_root, spec)
    if not (out_root / STATUS_DIR / STATUS_FILE).is_file() and not (
        outcome.timed_out or outcome.oom_killed or outcome.output_truncated
    ):
        # The harness writes its status before the first task starts: without one, it never
        # ran the student's code (broken image, missing runtime), which is on our side.
        return _infrastructure(f"the harness did not start (exit code {outcome.exit_code}): "
                               f"{outcome.log[-2000:]}", sandbox.name, spec, outcome)
    statuses, task_records = _task_statuses(out_root, spec, outcome)
    try:
        verified = run_checks(spec, out_root=out_root, seed=seed, device=device, statuses=statuses,
                              rejected=extracted.rejected_by_name)
    except RuntimeError as exc:
        return _infrastructure(str(exc), sandbox.name, spec, outcome)
    report = Report(tests=verified.tests, backend=sandbox.name, sandboxed=outcome.sandboxed, tasks=task_records)
    for check, name, path in verified.attachments:
        report.attachments.append(Attachment(name=f"{check.name}-{name}.png", check=check.name,
                                             visibility=check.visibility, data=path.read_bytes()))
    report.failure_kind = _failure_kind(report, statuses)
    report.output = _summary(report, outcome, extracted, statuses)
    report.stdout, report.stderr = _logs(task_records, spec)
    report.resources = _resources(outcome, task_records)
    report.phases.update(outcome.timings)
    report.phases["verify_s"] = round(time.monotonic() - t_verify, 3)
    return report


def _unpack(source: Path, dest: Path, spec: Spec) -> None:
    if not source.exists():
        raise ArchiveError(f"{source.name}: no such file or folder")
    unpack_submission(source, dest)
    root = dest
    # A zip of a folder ("hw1/made.py"): use that folder when the files are not at the top.
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not all((dest / f).is_file() for f in spec.required_files):
        root = entries[0]
        for child in list(root.iterdir()):
            child.rename(dest / child.name)
        root.rmdir()
    missing = [f for f in spec.required_files if not (dest / f).is_file()]
    if missing:
        raise ArchiveError(f"missing required file(s): {', '.join(missing)}")
    make_readable(dest)


def _stage_job(job_dir: Path, spec: Spec, seed: int, device: str, gpu_memory_fraction: float | None) -> Path:
    code = job_dir / "code"
    code.mkdir(parents=True)
    # Never checks.py, reference/, bugs/ or calibration data: only what the RUN phase needs.
    for name in (*ASSIGNMENT_SANDBOX_FILES, *spec.sandbox_files):
        if (spec.path / name).is_file():
            shutil.copyfile(spec.path / name, code / name)
    limits = spec.limits
    job = {
        "seed": seed,
        "device": device,
        "deadline_seconds": max(1.0, limits.wall_seconds - HARNESS_MARGIN_S),
        "output_bytes": limits.output_mb << 20,
        "log_bytes": limits.log_kb * 1024,
        "memory_bytes": limits.memory_mb << 20,
        "threads": max(1, int(limits.cpus)),
        "gpu_memory_fraction": gpu_memory_fraction,
        "tasks": [{"name": t.name, "function": t.function, "timeout_seconds": t.timeout_seconds}
                  for t in spec.tasks],
    }
    (job_dir / "job.json").write_text(json.dumps(job))
    make_readable(job_dir)
    return job_dir


def _data_files(spec: Spec) -> dict[str, Path]:
    if not spec.data:
        return {}
    from course_models.data import data_dir

    files: dict[str, Path] = {}
    for value in spec.data.values():
        for name in TRAIN_FILES[value]:
            files[name] = data_dir() / name
    return files


def _dataset_dirs() -> tuple[Path, ...]:
    from course_models.data import data_dir

    return (data_dir(),)


def _collect(outcome: RunOutcome, out_root: Path, spec: Spec) -> Extracted:
    caps = Caps(max_files=1000, max_total_bytes=spec.limits.output_mb << 20,
                max_file_bytes=spec.limits.output_mb << 20, max_depth=4)
    if outcome.tar_path is None or not outcome.tar_path.exists():
        out_root.mkdir(parents=True, exist_ok=True)
        return Extracted()
    with outcome.tar_path.open("rb") as stream:
        extracted = unpack_output_stream(stream, out_root, caps)
    outcome.tar_path.unlink()
    dropped = _read_small_json(out_root / STATUS_DIR / "dropped.json")
    for entry in dropped[:100] if isinstance(dropped, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            reason = (f"{entry['path']}: {entry.get('bytes')} bytes would pass the run's "
                      f"{spec.limits.output_mb} MB output cap: not handed back")
            extracted.rejected.append(reason)
            extracted.rejected_by_name[entry["path"]] = reason
    return extracted


def _task_statuses(out_root: Path, spec: Spec, outcome: RunOutcome) -> tuple[dict[str, TaskStatus], dict[str, dict[str, Any]]]:
    """Task statuses as the harness recorded them, corrected by what the backend saw.

    The harness runs next to the student's code, so this is advice for messages, never a
    verdict: a check still needs the artifacts.
    """
    raw = _read_small_json(out_root / STATUS_DIR / STATUS_FILE)
    raw = raw if isinstance(raw, dict) else {}
    statuses: dict[str, TaskStatus] = {}
    records: dict[str, dict[str, Any]] = {}
    for task in spec.tasks:
        record = raw.get(task.name)
        record = dict(record) if isinstance(record, dict) else {}
        status, message = str(record.get("status", "")), str(record.get("message", ""))[:2000]
        if status in ("", "running"):
            status, message = _harness_lost(task.name, outcome, started=status == "running")
        elif status == "oom" or (status == "crashed" and outcome.oom_killed and "SIGKILL" in message):
            status = "oom"
            message = message or f"task {task.name!r} ran out of memory"
        elif status not in ("ok", "crashed", "timeout", "not_run"):
            status, message = "crashed", f"task {task.name!r}: unreadable status {status!r}"
        record.update(status=status, message=message)
        statuses[task.name] = TaskStatus(status, message)
        records[task.name] = record
    return statuses, records


def _harness_lost(task: str, outcome: RunOutcome, started: bool) -> tuple[str, str]:
    if outcome.timed_out:
        return "timeout", f"the run passed its wall-clock limit{' during task ' + repr(task) if started else ''}"
    if outcome.oom_killed:
        return "oom", "the run ran out of memory"
    if outcome.output_truncated:
        return "crashed", "the run's output passed its size cap"
    if started:
        return "crashed", f"the grading harness stopped during task {task!r} (killed from inside?)"
    return "not_run", f"task {task!r} did not run: the grading harness stopped before it"


def _failure_kind(report: Report, statuses: dict[str, TaskStatus]) -> FailureKind | None:
    if all(t.passed for t in report.tests):
        return None
    kinds = {s.status for s in statuses.values()}
    for kind in ("timeout", "oom", "crashed"):
        if kind in kinds:
            return kind  # type: ignore[return-value]
    return "wrong"


def _summary(report: Report, outcome: RunOutcome, extracted: Extracted, statuses: dict[str, TaskStatus]) -> str:
    lines = []
    if not outcome.sandboxed:
        lines.append(f"WARNING: {TRUSTED_WARNING}.")
    # No score line: a student's view hides some checks, and a total here would reveal them.
    for name, status in statuses.items():
        if not status.ok:
            lines.append(f"Task {name}: {status.status}: {status.message}")
    if outcome.timed_out:
        lines.append("The run was stopped at its wall-clock limit.")
    if outcome.output_truncated:
        lines.append("The run's output passed its size cap and was cut.")
    for reason in extracted.rejected[:20]:
        lines.append(f"Artifact rejected: {reason}")
    return "\n".join(lines)


def _logs(records: dict[str, dict[str, Any]], spec: Spec) -> tuple[str, str]:
    cap = spec.limits.log_kb * 1024

    def join(key: str) -> str:
        parts = []
        for name, record in records.items():
            text, dropped = str(record.get(key, "")), record.get(f"{key}_dropped_bytes", 0)
            if text or dropped:
                parts.append(f"--- {name} ---\n{text}" + (f"\n[... {dropped} more bytes dropped]" if dropped else ""))
        joined = "\n".join(parts)
        return joined if len(joined) <= cap else joined[:cap] + "\n[... cut]"

    return join("stdout"), join("stderr")


def _resources(outcome: RunOutcome, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def numbers(key: str) -> list[float]:
        return [float(r[key]) for r in records.values() if isinstance(r.get(key), int | float)]

    rss = numbers("max_rss_kb")
    gpu = numbers("gpu_peak_bytes")
    return {
        "wall_s": round(outcome.wall_s, 3),
        "cpu_s": round(sum(numbers("cpu_s")), 3),
        # The sandbox cgroup's peak when the backend has one, else the largest resident set
        # of one task process (the harness's forks share torch's pages).
        "peak_memory_bytes": outcome.peak_memory_bytes or (int(max(rss) * 1024) if rss else None),
        "gpu_peak_memory_bytes": int(max(gpu)) if gpu else None,
        "exit_code": outcome.exit_code,
        "containment": outcome.notes,
    }


def _read_small_json(path: Path) -> Any:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_JSON_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _rejected(spec: Spec, message: str, backend: str) -> Report:
    report = _zero_report(spec, message, backend)
    report.failure_kind = "wrong"
    return report


def _infrastructure(message: str, backend: str, spec: Spec | None = None, outcome: RunOutcome | None = None) -> Report:
    print(f"grader: infrastructure failure: {message}", file=sys.stderr)
    report = _zero_report(spec, f"Grading failed on our side, not yours: {message}", backend)
    report.failure_kind = "infrastructure"
    report.gradable = False
    if outcome is not None:
        report.stderr = outcome.log
    return report


def _zero_report(spec: Spec | None, message: str, backend: str) -> Report:
    from grader.report import TestResult

    tests = [TestResult(name=c.name, score=0.0, max_score=c.points, passed=False, output=message,
                        visibility=c.visibility, description=c.description) for c in (spec.checks if spec else ())]
    return Report(tests=tests, output=message, backend=backend)


def _finish(report: Report, started: float, phase_times: dict[str, Any]) -> Report:
    report.execution_time = time.monotonic() - started
    phase_times["done"] = _stamp(datetime.now(UTC))
    report.phases = {**phase_times, **report.phases}
    return report


def _stamp(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
