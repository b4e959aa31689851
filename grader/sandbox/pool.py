"""A warm pool of docker sandboxes: started ahead, torch already imported, one job each.

A cold docker run pays for creating the container, starting Python and importing torch
(seconds) after the job is dequeued. A warm container has done all of that and waits, blocked
on its stdin, for a job: the job folder and the submission arrive as a tar stream over the
attach socket (nothing of the job is known when the container is made, so nothing is bind-
mounted but the harness and the training files). After its one job the container is destroyed,
so no state passes from one student to the next; a fresh one is warmed in the background.

All the cold path's limits apply: the pool's containers are made with the same options, and a
pool serves only requests whose limits equal its own.
"""

from __future__ import annotations

import io
import queue
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.harness.runner import READY_LINE
from grader.sandbox.base import (
    DATA_MOUNT,
    HARNESS_ROOT,
    KILL_GRACE_S,
    CappedSink,
    CappedText,
    RunOutcome,
    SandboxRequest,
    SandboxUnavailable,
    grader_package_dir,
)
from grader.sandbox.docker import (
    LABEL,
    _kill,
    _remove,
    connect,
    container_options,
    default_image,
    engine_refusal,
    ensure_image,
)
from grader.spec import Limits

# In the container, the job and the submission are unpacked under /tmp (the root is read-only).
POOL_JOB = "/tmp/job"
POOL_SUBMISSION = "/tmp/submission"
READY_TIMEOUT_S = 120.0


@dataclass
class WarmContainer:
    container: Any
    socket: Any
    sink: CappedSink
    log: CappedText
    ready: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    created: float = field(default_factory=time.monotonic)


class WarmPool:
    """``WarmPool(limits=spec.limits, size=2)`` is a backend: ``grade(..., backend=pool)``."""

    name = "docker"

    def __init__(self, *, limits: Limits, size: int = 2, image: str | None = None, client: Any = None,
                 data_files: dict[str, Path] | None = None) -> None:
        self.limits = limits
        self.size = size
        self.image = image or default_image()
        self.client = client or connect()
        ensure_image(self.client, self.image)
        self.data_files = data_files or {}
        self._spool = Path(tempfile.mkdtemp(prefix="grader-pool-"))
        self._ready: queue.Queue[WarmContainer] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._all: list[WarmContainer] = []
        self._failure: str | None = None  # why the last warm-up failed, until one succeeds

    # ------------------------------------------------------------------ lifecycle
    def fill(self, wait: bool = True) -> None:
        """Start containers until ``size`` are warm (or warming)."""
        threads = [threading.Thread(target=self._add, daemon=True) for _ in range(self.size - self._ready.qsize())]
        for thread in threads:
            thread.start()
        if wait:
            for thread in threads:
                thread.join()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            warm, self._all = self._all, []
        for item in warm:
            _remove(item.container)

    def __enter__(self) -> WarmPool:
        self.fill()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ one job
    def run(self, request: SandboxRequest) -> RunOutcome:
        if request.limits != self.limits:
            raise SandboxUnavailable("this warm pool was made for other limits")
        t0 = time.monotonic()
        outcome = RunOutcome(backend=self.name, sandboxed=True)
        warm = self._take()
        outcome.timings["dequeue_to_warm_s"] = time.monotonic() - t0
        threading.Thread(target=self._add, daemon=True).start()  # refill in the background
        try:
            self._send(warm, request)
            outcome.timings["start_s"] = time.monotonic() - t0
            self._wait(warm, request, outcome, t0)
        finally:
            t_stop = time.monotonic()
            self._forget(warm)
            _remove(warm.container)
            outcome.timings["stop_s"] = time.monotonic() - t_stop
        outcome.wall_s = time.monotonic() - t0
        return outcome

    def _take(self) -> WarmContainer:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                warm = self._ready.get(timeout=0.5)
            except queue.Empty:
                if self._failure:
                    raise SandboxUnavailable(f"no warm container could be started: {self._failure}") from None
                if time.monotonic() > deadline:
                    raise SandboxUnavailable("no warm container became ready in time") from None
                continue
            if not warm.ended.is_set():
                return warm
            self._forget(warm)
            _remove(warm.container)  # died while waiting: never hand it a job

    def _send(self, warm: WarmContainer, request: SandboxRequest) -> None:
        payload = io.BytesIO()
        with tarfile.open(fileobj=payload, mode="w") as tar:
            tar.add(request.job_dir, arcname="job")
            tar.add(request.submission_dir, arcname="submission")
        data = payload.getvalue()
        raw = warm.socket._sock  # the attach socket's underlying socket: stdin of the harness
        raw.sendall(f"{len(data)}\n".encode() + data)

    def _wait(self, warm: WarmContainer, request: SandboxRequest, outcome: RunOutcome, t0: float) -> None:
        import requests

        deadline = t0 + request.limits.wall_seconds + KILL_GRACE_S
        try:
            warm.container.wait(timeout=max(1.0, deadline - time.monotonic()))
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            outcome.timed_out = True
            _kill(warm.container)
        outcome.timings["run_s"] = time.monotonic() - t0
        warm.ended.wait(timeout=10)
        warm.sink.close()
        tar_path = request.work_dir / "out.tar"
        warm.sink.path.replace(tar_path)
        warm.container.reload()
        state = warm.container.attrs.get("State", {})
        outcome.exit_code = state.get("ExitCode")
        outcome.oom_killed = bool(state.get("OOMKilled"))
        outcome.output_truncated = warm.sink.truncated
        outcome.tar_path = tar_path
        outcome.log = warm.log.text()

    # ------------------------------------------------------------------ warming
    def _add(self) -> None:
        if self._closed:
            return
        from docker.errors import APIError

        try:
            warm = self._create()
        except APIError as exc:  # a failed warm-up leaves the pool smaller, never broken
            self._failure = engine_refusal(exc, self.limits)
            return
        except Exception as exc:  # noqa: BLE001
            self._failure = f"{type(exc).__name__}: {exc}"
            return
        self._failure = None
        if warm.ready.wait(timeout=READY_TIMEOUT_S) and not self._closed:
            self._ready.put(warm)
        else:
            self._forget(warm)
            _remove(warm.container)

    def _create(self) -> WarmContainer:
        from docker.types import Mount

        probe = SandboxRequest(job_dir=Path(), submission_dir=Path(), data_files=self.data_files,
                               limits=self.limits, work_dir=self._spool)
        options = container_options(probe, stdin=True)
        options["labels"] = {LABEL: "pool"}
        package = grader_package_dir()
        mounts = [
            Mount(target=f"{HARNESS_ROOT}/grader/__init__.py", source=str(package / "__init__.py"), type="bind", read_only=True),
            Mount(target=f"{HARNESS_ROOT}/grader/harness", source=str(package / "harness"), type="bind", read_only=True),
            *[Mount(target=f"{DATA_MOUNT}/{name}", source=str(src.resolve()), type="bind", read_only=True)
              for name, src in self.data_files.items()],
        ]
        command = ["python3", "-m", "grader.harness", "--job", POOL_JOB, "--submission", POOL_SUBMISSION,
                   "--out", "/out", "--data", DATA_MOUNT, "--emit-tar", "--job-stdin"]
        container = self.client.containers.create(self.image, command=command, mounts=mounts, **options)
        socket = self.client.api.attach_socket(container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        sink = CappedSink(Path(tempfile.mkstemp(dir=self._spool, suffix=".tar")[1]),
                          probe.output_cap, on_overflow=lambda: _kill(container))
        warm = WarmContainer(container=container, socket=socket, sink=sink, log=CappedText(probe.log_cap))
        with self._lock:
            self._all.append(warm)
        threading.Thread(target=_read_frames, args=(warm,), daemon=True).start()
        container.start()
        return warm

    def _forget(self, warm: WarmContainer) -> None:
        with self._lock:
            if warm in self._all:
                self._all.remove(warm)


def _read_frames(warm: WarmContainer) -> None:
    """Demultiplex the attach stream: stdout -> the tar sink, stderr -> the log (+ readiness)."""
    from docker.utils.socket import STDERR, STDOUT, frames_iter

    seen = b""
    try:
        for stream, data in frames_iter(warm.socket, tty=False):
            if stream == STDOUT:
                warm.sink.write(data)
            elif stream == STDERR:
                if not warm.ready.is_set():
                    seen += data
                    if READY_LINE.encode() in seen:
                        warm.ready.set()
                        data = seen.replace(READY_LINE.encode(), b"").lstrip(b"\n")
                        seen = b""
                    else:
                        continue
                warm.log.write(data)
    except Exception as exc:  # noqa: BLE001 - the socket closes when the container is removed
        warm.log.write(f"\n[attach stream ended: {exc}]".encode())
    finally:
        warm.ended.set()
