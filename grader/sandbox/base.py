"""What every backend shares: the request, the outcome, and capped stream handling."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from grader.spec import Limits

# Inside every sandbox the same layout, so job.json and the harness never see host paths.
JOB_MOUNT = "/job"
SUBMISSION_MOUNT = "/submission"
OUT_MOUNT = "/out"
DATA_MOUNT = "/data"
HARNESS_ROOT = "/opt/grader"
# The harness stops starting and kills tasks this many seconds before the wall-clock limit,
# so it can still hand back the artifacts of the tasks that finished.
HARNESS_MARGIN_S = 3.0
# After the wall-clock limit the backend waits this much for the harness before killing it.
KILL_GRACE_S = 5.0
# tar headers, the status file and the dropped-list on top of the artifacts themselves.
TAR_OVERHEAD_BYTES = 4 << 20


class SandboxUnavailable(RuntimeError):
    """The backend cannot run here (no engine, no image, no bwrap): an infrastructure failure."""


@dataclass(frozen=True)
class SandboxRequest:
    job_dir: Path  # job.json + code/ (tasks.py, common.py), mounted read-only
    submission_dir: Path  # the student's files, mounted read-only
    data_files: dict[str, Path]  # file name in /data -> host file (training split only)
    limits: Limits
    work_dir: Path  # a private, host-side scratch folder for this job
    device: str = "cpu"
    gpu_memory_fraction: float | None = None
    # Host folders that must look empty in the sandbox even when a runtime folder bound into
    # it contains them (the dataset folder holds the held-out test split, e.g. under /usr).
    hidden_dirs: tuple[Path, ...] = ()

    @property
    def output_cap(self) -> int:
        return self.limits.output_mb * (1 << 20) + TAR_OVERHEAD_BYTES

    @property
    def log_cap(self) -> int:
        return self.limits.log_kb * 1024


@dataclass
class RunOutcome:
    backend: str
    sandboxed: bool
    exit_code: int | None = None
    timed_out: bool = False
    oom_killed: bool = False
    output_truncated: bool = False
    tar_path: Path | None = None
    log: str = ""
    infrastructure_error: str | None = None
    wall_s: float = 0.0
    peak_memory_bytes: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how the run was contained, for staff


class Backend(Protocol):
    name: str

    def run(self, request: SandboxRequest) -> RunOutcome: ...


def harness_command(python: str, *, job_stdin: bool = False) -> list[str]:
    command = [python, "-m", "grader.harness", "--job", JOB_MOUNT, "--submission", SUBMISSION_MOUNT,
               "--out", OUT_MOUNT, "--data", DATA_MOUNT, "--emit-tar"]
    return [*command, "--job-stdin"] if job_stdin else command


def grader_package_dir() -> Path:
    """The ``grader`` package folder on the host (its __init__.py and harness/ are mounted)."""
    return Path(__file__).resolve().parent.parent


class CappedSink:
    """Spools a byte stream to a file up to ``cap`` bytes; past it, calls ``on_overflow`` once."""

    def __init__(self, path: Path, cap: int, on_overflow: Callable[[], None] | None = None) -> None:
        self.path = path
        self.cap = cap
        self.size = 0
        self.truncated = False
        self._file = path.open("wb")
        self._on_overflow = on_overflow

    def write(self, chunk: bytes) -> None:
        if self.truncated:
            return
        room = self.cap - self.size
        self._file.write(chunk[:room])
        self.size += min(len(chunk), room)
        if len(chunk) > room:
            self.truncated = True
            if self._on_overflow:
                self._on_overflow()

    def close(self) -> None:
        self._file.close()


class CappedText:
    """Keeps the first ``cap`` bytes of a log; says how much it dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.dropped = 0

    def write(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + (f"\n[... {self.dropped} more bytes dropped]" if self.dropped else "")


def pump(stream: IO[bytes], sinks: Iterable[CappedSink | CappedText]) -> threading.Thread:
    """Copy ``stream`` into the sinks on a thread, reading until EOF even past the caps."""

    def run() -> None:
        while chunk := stream.read(1 << 16):
            for sink in sinks:
                sink.write(chunk)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def run_process(
    command: list[str],
    *,
    env: dict[str, str],
    request: SandboxRequest,
    outcome: RunOutcome,
    preexec: Callable[[], None] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> RunOutcome:
    """Run a harness process, spool its stdout (the tar) and stderr with caps, enforce the wall clock."""
    tar_path = request.work_dir / "out.tar"
    log = CappedText(request.log_cap)
    t0 = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=preexec, pass_fds=pass_fds, cwd=request.work_dir,
    )
    assert process.stdout is not None and process.stderr is not None
    sink = CappedSink(tar_path, request.output_cap, on_overflow=lambda: _kill_tree(process.pid))
    threads = [pump(process.stdout, [sink]), pump(process.stderr, [log])]
    outcome.timings["start_s"] = time.monotonic() - t0
    try:
        process.wait(timeout=request.limits.wall_seconds + KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        outcome.timed_out = True
        _kill_tree(process.pid)
        process.wait()
    outcome.timings["run_s"] = time.monotonic() - t0
    for thread in threads:
        thread.join(timeout=10)
    sink.close()
    outcome.exit_code = process.returncode
    outcome.wall_s = time.monotonic() - t0
    outcome.output_truncated = sink.truncated
    outcome.tar_path = tar_path
    outcome.log = log.text()
    return outcome


def _kill_tree(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# What a CUDA process needs from the worker's environment: where the driver's libraries are and
# which devices it may use. Nothing else of the worker's passes.
GPU_ENV_KEYS = ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
                "NVIDIA_DRIVER_CAPABILITIES", "CUDA_MODULE_LOADING")


def gpu_env(device: str) -> dict[str, str]:
    """The worker's CUDA variables for a job on the GPU; none for a CPU job."""
    if device != "cuda":
        return {}
    return {key: os.environ[key] for key in GPU_ENV_KEYS if os.environ.get(key)}


def gpu_device_nodes(device: str) -> list[str]:
    """/dev/nvidia* nodes a sandbox must see for a job on the GPU."""
    if device != "cuda":
        return []
    return sorted(str(p) for p in Path("/dev").glob("nvidia*") if not p.is_dir()) + (
        ["/dev/dri"] if Path("/dev/dri").is_dir() else []
    )


def minimal_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A fresh environment: nothing of the worker's (no secrets, no DATABASE_URL...)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.update(extra or {})
    return env
