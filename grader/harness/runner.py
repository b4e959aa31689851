"""The harness's main loop: import torch once, then fork one child per task.

A child runs one task of the assignment's tasks.py; the parent enforces the task's timeout,
drains and caps the child's stdout/stderr, records a status (ok / crashed / timeout / oom) and,
when it is PID 1 of the sandbox's PID namespace, kills every leftover process before the next
task so that one task's orphans cannot touch the next. As PID 1 it also cannot be killed from
inside the namespace. At the end it writes the output directory as a tar stream on stdout:
the sandbox's only way out, read with caps by the trusted side.

Nothing recorded here is a verdict; statuses are advisory messages for the report.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import io
import json
import os
import resource
import selectors
import signal
import sys
import tarfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUS_DIR = "_harness"
STATUS_FILE = "status.json"
READY_LINE = "@@grader-harness-ready"
_RESULT_FD = 3
_READ_CHUNK = 1 << 16


@dataclass
class CappedBuffer:
    """Keeps the first ``limit`` bytes of a stream and counts the rest."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class Paths:
    job: Path
    submission: Path
    out: Path
    data: Path | None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    started = time.monotonic()
    _no_dumping()
    _import_runtime()
    if args.job_stdin:
        # Warm-pool mode: announce readiness, then wait for the job on stdin.
        print(READY_LINE, file=sys.stderr, flush=True)
        _receive_job(sys.stdin.buffer, Path(args.job), Path(args.submission))
        started = time.monotonic()
    paths = Paths(
        Path(args.job).resolve(),
        Path(args.submission).resolve(),
        Path(args.out).resolve(),
        Path(args.data).resolve() if args.data else None,
    )
    job = json.loads((paths.job / "job.json").read_text())
    statuses = run_job(job, paths, started)
    if args.emit_tar:
        emit_tar(paths.out, int(job["output_bytes"]), sys.stdout.buffer)
    _log("done: " + ", ".join(f"{name}={status['status']}" for name, status in statuses.items()))
    return 0


def run_job(job: dict[str, Any], paths: Paths, started: float) -> dict[str, dict[str, Any]]:
    """Run every task in order; a task that fails never stops the next one."""
    deadline = started + float(job["deadline_seconds"])
    statuses: dict[str, dict[str, Any]] = {}
    status_path = paths.out / STATUS_DIR / STATUS_FILE
    status_path.parent.mkdir(parents=True, exist_ok=True)
    for task in job["tasks"]:
        name = task["name"]
        remaining = deadline - time.monotonic()
        if remaining <= 0.5:
            statuses[name] = {"status": "not_run", "message": "the run's time budget was spent before this task"}
            continue
        statuses[name] = {"status": "running", "message": "the harness stopped while this task ran"}
        _write_status(status_path, statuses)
        timeout = min(float(task["timeout_seconds"]), remaining)
        statuses[name] = run_task(task, job, paths, timeout, budget_cut=timeout < float(task["timeout_seconds"]))
        _write_status(status_path, statuses)
    _write_status(status_path, statuses)
    return statuses


def run_task(task: dict[str, Any], job: dict[str, Any], paths: Paths, timeout: float, budget_cut: bool) -> dict[str, Any]:
    (paths.out / task["name"]).mkdir(parents=True, exist_ok=True)
    pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, result
    t0, ru0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    pid = os.fork()
    if pid == 0:
        _child(task, job, paths, [w for _, w in pipes])
    for _, w in pipes:
        os.close(w)
    out, err, result = (CappedBuffer(int(job["log_bytes"])), CappedBuffer(int(job["log_bytes"])), CappedBuffer(1 << 16))
    wait_status, timed_out = _supervise(pid, [r for r, _ in pipes], [out, err, result], t0 + timeout)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = _classify(task, wait_status, timed_out, result.text(), timeout, budget_cut)
    record.update(
        wall_s=round(wall, 3),
        cpu_s=round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 3),
        max_rss_kb=ru1.ru_maxrss,
        stdout=out.text(),
        stderr=err.text(),
        stdout_dropped_bytes=out.dropped,
        stderr_dropped_bytes=err.dropped,
    )
    return record


def _supervise(pid: int, fds: list[int], buffers: list[CappedBuffer], deadline: float) -> tuple[int | None, bool]:
    """Drain the child's pipes until it exits (or the deadline), then clean up its processes."""
    selector = selectors.DefaultSelector()
    for fd, buffer in zip(fds, buffers, strict=True):
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ, buffer)
    wait_status: int | None = None
    timed_out = False
    exited_at = 0.0
    while True:
        now = time.monotonic()
        if wait_status is None and not timed_out and now >= deadline:
            timed_out = True
            _kill_group(pid)
        # Orphans may hold the pipes open after the child exits: give them a moment, no more.
        if wait_status is not None and (not selector.get_map() or now - exited_at > 0.25):
            break
        if selector.get_map():
            for key, _ in selector.select(timeout=0.05):
                _drain(selector, key)
        else:
            time.sleep(0.02)  # the child closed its pipes but still runs: poll its exit
        reaped = _reap(pid)
        if reaped is not None:
            wait_status, exited_at = reaped, time.monotonic()
    _kill_group(pid)
    _kill_strays()
    for key in list(selector.get_map().values()):
        _drain(selector, key, final=True)
    selector.close()
    return wait_status, timed_out


def _drain(selector: selectors.BaseSelector, key: selectors.SelectorKey, final: bool = False) -> None:
    fd = key.fd
    while True:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            if final:
                break
            return
        if not chunk:
            break
        key.data.add(chunk)
    selector.unregister(fd)
    os.close(fd)


def _reap(pid: int) -> int | None:
    """Reap the task child (and, as PID 1, any orphan); return the child's wait status."""
    found: int | None = None
    target = -1 if os.getpid() == 1 else pid
    while True:
        try:
            reaped, status = os.waitpid(target, os.WNOHANG)
        except ChildProcessError:
            return found
        if reaped == 0:
            return found
        if reaped == pid:
            found = status
            if target == pid:
                return found


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_strays() -> None:
    """As PID 1 of the sandbox, kill every other process (orphans, daemons, fork bombs)."""
    if os.getpid() != 1:
        return
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != 1]
        for other in others:
            try:
                os.kill(other, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        _reap(-1)
        if not others:
            return
        time.sleep(0.01)


def _classify(task: dict[str, Any], wait_status: int | None, timed_out: bool, result_text: str, timeout: float, budget_cut: bool) -> dict[str, Any]:
    if timed_out:
        why = "the run's overall time budget" if budget_cut else "its time limit"
        return {"status": "timeout", "message": f"task {task['name']!r} did not finish within {timeout:.1f} s ({why})"}
    try:
        result = json.loads(result_text) if result_text else None
    except ValueError:
        result = None
    if isinstance(result, dict) and result.get("status") in ("ok", "crashed", "oom"):
        return {k: result[k] for k in ("status", "message", "gpu_peak_bytes") if k in result}
    if wait_status is not None and os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig == signal.SIGKILL:
            return {"status": "oom", "message": f"task {task['name']!r} was killed (SIGKILL), most likely for using more memory than allowed"}
        if sig == signal.SIGXFSZ:
            return {"status": "crashed", "message": f"task {task['name']!r} wrote a file larger than allowed"}
        return {"status": "crashed", "message": f"task {task['name']!r} was killed by {signal.Signals(sig).name}"}
    code = os.WEXITSTATUS(wait_status) if wait_status is not None else None
    return {"status": "crashed", "message": f"task {task['name']!r} exited (code {code}) before finishing: sys.exit/os._exit in the code?"}


def _child(task: dict[str, Any], job: dict[str, Any], paths: Paths, write_fds: list[int]) -> None:
    """In the forked child: run one task, report on the result pipe, never return.

    Whatever happens (even a MemoryError while reporting one), the child ends in os._exit:
    an exception escaping it would run the harness's own loop a second time.
    """
    code = 0
    try:
        os.setsid()
        _wire_fds(write_fds)
        result = _guarded(task, job, paths)
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(_RESULT_FD, json.dumps(result).encode())
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _guarded(task: dict[str, Any], job: dict[str, Any], paths: Paths) -> dict[str, Any]:
    # Returning from the except blocks drops the traceback, and with it the frames that hold
    # the memory a MemoryError was about, before the report is written.
    name = task["name"]
    try:
        memory = job.get("memory_bytes")
        # Not on CUDA: the driver reserves far more address space than it uses, so RLIMIT_AS
        # would break CUDA's initialisation. There the cgroup (docker) bounds host memory and
        # the per-process fraction bounds GPU memory.
        if memory and job.get("device", "cpu") == "cpu":
            resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
        return _run_in_child(task, job, paths)
    except MemoryError:
        return {"status": "oom", "message": f"task {name!r} ran out of memory (MemoryError)"}
    except SystemExit as exc:
        return {"status": "crashed", "message": f"task {name!r} called sys.exit({exc.code!r})"}
    except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
        text = f"{type(exc).__name__}: {exc}"[:600]
        if type(exc).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError: its GPU share
            return {"status": "oom", "message": f"task {name!r} ran out of GPU memory: {text}"}
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001 - a broken stderr must not hide the verdict
            pass
        return {"status": "crashed", "message": f"task {name!r} raised {text}"}


def _wire_fds(write_fds: list[int]) -> None:
    stdout_w, stderr_w, result_w = write_fds
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(stdout_w, 1)
    os.dup2(stderr_w, 2)
    os.dup2(result_w, _RESULT_FD)
    # Everything else (the tar channel, the other pipes) is closed before student code runs.
    os.closerange(_RESULT_FD + 1, 1 << 16)
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), line_buffering=True, errors="replace")
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), line_buffering=True, errors="replace")


def _run_in_child(task: dict[str, Any], job: dict[str, Any], paths: Paths) -> dict[str, Any]:
    import importlib.util

    import torch

    from grader.harness.context import TaskContext

    torch.set_num_threads(max(1, int(job.get("threads", 1))))
    device = job.get("device", "cpu")
    fraction = job.get("gpu_memory_fraction") or os.environ.get("GRADER_GPU_MEMORY_FRACTION")
    if device == "cuda" and fraction:
        torch.cuda.set_per_process_memory_fraction(float(fraction))
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"task-{task['name']}"
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    # The assignment's code comes first so a student file cannot shadow tasks.py or common.py.
    code_dir = paths.job / "code"
    sys.path[:0] = [str(code_dir), str(paths.submission)]
    spec = importlib.util.spec_from_file_location("tasks", code_dir / "tasks.py")
    assert spec is not None and spec.loader is not None
    tasks = importlib.util.module_from_spec(spec)
    sys.modules["tasks"] = tasks
    spec.loader.exec_module(tasks)
    function = getattr(tasks, task["function"])
    ctx = TaskContext(
        task=task["name"],
        seed=int(job["seed"]),
        device=device,
        out_root=paths.out,
        submission_dir=paths.submission,
        data_dir=paths.data,
        output_bytes=int(job["output_bytes"]),
    )
    function(ctx)
    result: dict[str, Any] = {"status": "ok", "message": f"task {task['name']!r} finished"}
    if device == "cuda" and torch.cuda.is_initialized():
        result["gpu_peak_bytes"] = int(torch.cuda.max_memory_allocated())
    return result


def emit_tar(out: Path, output_bytes: int, sink: Any) -> None:
    """Write ``out`` as an uncompressed tar stream; oversized files are left out (and listed)."""
    entries: list[tuple[Path, str]] = []
    dropped: list[dict[str, Any]] = []
    total = 0
    for root, dirs, files in os.walk(out):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            rel = str(path.relative_to(out))
            size = path.lstat().st_size
            if total + size > output_bytes:
                dropped.append({"path": rel, "bytes": size})
                continue
            total += size
            entries.append((path, rel))
    _write_or_make_room(out / STATUS_DIR / "dropped.json", json.dumps(dropped + MADE_ROOM).encode())
    entries = [(p, rel) for p, rel in entries if os.path.lexists(p)]  # making room may delete some
    entries.append((out / STATUS_DIR / "dropped.json", f"{STATUS_DIR}/dropped.json"))
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for path, rel in entries:
            # Symlinks and special files are packed as what they are; the trusted side rejects them.
            tar.add(path, arcname=rel, recursive=False)
    sink.flush()


def _receive_job(stream: Any, job_dir: Path, submission_dir: Path) -> None:
    """Warm-pool mode: read ``<length>\\n<tar>`` with job/ and submission/ members.

    Only plain files and folders with plain relative names are written (the image's Python may
    predate tarfile's extraction filters).
    """
    length = int(stream.readline(32))
    payload = io.BytesIO(stream.read(length))
    root = job_dir.parent
    with tarfile.open(fileobj=payload, mode="r:") as tar:
        for member in tar:
            parts = Path(member.name).parts
            if Path(member.name).is_absolute() or ".." in parts or parts[:1] not in (("job",), ("submission",)):
                raise ValueError(f"unexpected member in the job stream: {member.name!r}")
            target = root.joinpath(*parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isreg():
                source = tar.extractfile(member)
                assert source is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
    for folder in (job_dir, submission_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.rglob("*"), reverse=True):
            path.chmod(0o555 if path.is_dir() else 0o444)
        folder.chmod(0o555)


def _write_status(path: Path, statuses: dict[str, dict[str, Any]]) -> None:
    _write_or_make_room(path, json.dumps(statuses).encode())


def _write_or_make_room(path: Path, data: bytes) -> None:
    """Write a harness file into the output folder even when the student filled it.

    /out is a size-capped tmpfs the student can fill with raw writes; the harness's own files
    must still get out, so on ENOSPC the largest student files are deleted (and listed).
    """
    out = path.parent.parent
    for _ in range(64):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or not _delete_largest(out):
                raise


def _delete_largest(out: Path) -> bool:
    files = [p for p in out.rglob("*") if p.is_file() and not p.is_symlink() and STATUS_DIR not in p.parts]
    if not files:
        return False
    largest = max(files, key=lambda p: p.lstat().st_blocks)
    _log(f"the output folder is full: deleting {largest.relative_to(out)} to make room")
    MADE_ROOM.append({"path": str(largest.relative_to(out)), "bytes": largest.lstat().st_size})
    largest.unlink()
    return True


MADE_ROOM: list[dict[str, Any]] = []


def _import_runtime() -> None:
    # Imported once here so every forked task starts with them loaded (the fork is cheap).
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import safetensors.torch  # noqa: F401
    import torch  # noqa: F401


def _no_dumping() -> None:
    """PR_SET_DUMPABLE 0: other processes of the same user cannot open /proc/<harness>/fd/*."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _log(message: str) -> None:
    print(f"harness: {message}", file=sys.stderr, flush=True)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m grader.harness")
    parser.add_argument("--job", required=True, help="folder with job.json and code/ (tasks.py, common.py)")
    parser.add_argument("--submission", required=True, help="the student's files (read-only)")
    parser.add_argument("--out", required=True, help="where artifacts go")
    parser.add_argument("--data", help="folder with the mounted training split")
    parser.add_argument("--emit-tar", action="store_true", help="write the out folder as a tar on stdout")
    parser.add_argument("--job-stdin", action="store_true", help="warm pool: receive job and submission on stdin")
    return parser.parse_args(argv)
