"""``docker``: the production sandbox, through the Docker SDK for Python.

No network, read-only root, size-capped tmpfs for /tmp and /out, every capability dropped,
no-new-privileges, a non-root user, pids / memory (= memory + swap) / CPU limits, a GPU only
when the spec asks for one, no log driver (the harness's stdout is read live through attach,
so a 1 GB print never reaches the host's disk), and a wall-clock limit after which the
container is killed. The container is always removed. Nothing of the worker's environment
is passed in.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from grader.sandbox.base import (
    DATA_MOUNT,
    HARNESS_ROOT,
    JOB_MOUNT,
    KILL_GRACE_S,
    OUT_MOUNT,
    SUBMISSION_MOUNT,
    CappedSink,
    CappedText,
    RunOutcome,
    SandboxRequest,
    SandboxUnavailable,
    grader_package_dir,
    harness_command,
)
from grader.spec import Limits

DEFAULT_IMAGE = "grader-cpu:latest"
SANDBOX_USER = "10001:10001"
TMP_MB = 256
LABEL = "org.course-platform.grader"


def default_image() -> str:
    return os.environ.get("GRADER_IMAGE", DEFAULT_IMAGE)


class DockerBackend:
    name = "docker"

    def __init__(self, image: str | None = None, client: Any = None, gpu_device_ids: list[str] | None = None) -> None:
        self.image = image or default_image()
        self._client = client
        self.gpu_device_ids = gpu_device_ids

    def client(self) -> Any:
        if self._client is None:
            self._client = connect()
        return self._client

    def run(self, request: SandboxRequest) -> RunOutcome:
        client = self.client()
        ensure_image(client, self.image)
        outcome = RunOutcome(backend=self.name, sandboxed=True)
        t0 = time.monotonic()
        from docker.errors import APIError

        try:
            container = client.containers.create(
                self.image, command=harness_command("python3"), mounts=self.mounts(request),
                **container_options(request, gpu_device_ids=self.gpu_device_ids),
            )
        except APIError as exc:
            raise SandboxUnavailable(engine_refusal(exc, request.limits)) from None
        try:
            stream = client.api.attach(container.id, stdout=True, stderr=True, stream=True, logs=False, demux=True)
            try:
                container.start()
            except APIError as exc:
                raise SandboxUnavailable(engine_refusal(exc, request.limits)) from None
            outcome.timings["start_s"] = time.monotonic() - t0
            collect(container, stream, request, outcome, t0)
        finally:
            t_stop = time.monotonic()
            _remove(container)
            outcome.timings["stop_s"] = time.monotonic() - t_stop
        outcome.wall_s = time.monotonic() - t0
        return outcome

    def mounts(self, request: SandboxRequest) -> list[Any]:
        from docker.types import Mount

        package = grader_package_dir()
        binds = {
            f"{HARNESS_ROOT}/grader/__init__.py": package / "__init__.py",
            f"{HARNESS_ROOT}/grader/harness": package / "harness",
            JOB_MOUNT: request.job_dir,
            SUBMISSION_MOUNT: request.submission_dir,
        }
        binds.update({f"{DATA_MOUNT}/{name}": source.resolve() for name, source in request.data_files.items()})
        return [Mount(target=target, source=str(source), type="bind", read_only=True)
                for target, source in binds.items()]


def connect() -> Any:
    from docker.errors import DockerException

    import docker

    try:
        # mypy resolves "docker" to this module; at run time it is the Docker SDK.
        client = docker.from_env(timeout=60)  # type: ignore[attr-defined]
        client.ping()
    except DockerException as exc:
        raise SandboxUnavailable(f"no Docker engine: {exc}") from None
    return client


def ensure_image(client: Any, image: str) -> None:
    from docker.errors import ImageNotFound

    try:
        client.images.get(image)
    except ImageNotFound:
        raise SandboxUnavailable(f"the grader image {image} is missing: run `make grader-image`") from None


def engine_refusal(exc: Exception, limits: Limits) -> str:
    """Why the engine would not create or start a sandbox, for the (infrastructure) report."""
    why = str(getattr(exc, "explanation", None) or exc)
    if limits.gpu and ("device driver" in why or "gpu" in why.lower()):
        return (f"this Docker host cannot give a sandbox a GPU (no NVIDIA container runtime?); "
                f"GPU work belongs on a worker of the gpu queue: {why}")
    return f"the Docker engine refused to run the sandbox: {why}"


def container_options(request: SandboxRequest, *, gpu_device_ids: list[str] | None = None,
                      stdin: bool = False) -> dict[str, Any]:
    from docker.types import DeviceRequest, LogConfig, Ulimit

    limits = request.limits
    memory = limits.memory_mb << 20
    file_size = max(limits.output_mb, TMP_MB) << 20
    environment = {"TMPDIR": "/tmp", "HOME": "/tmp"}
    device_requests = []
    if limits.gpu:
        device_requests.append(DeviceRequest(device_ids=gpu_device_ids, capabilities=[["gpu"]])
                               if gpu_device_ids else DeviceRequest(count=-1, capabilities=[["gpu"]]))
        if request.gpu_memory_fraction:
            environment["GRADER_GPU_MEMORY_FRACTION"] = str(request.gpu_memory_fraction)
    return {
        "user": SANDBOX_USER,
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {
            "/tmp": f"rw,nosuid,nodev,size={TMP_MB}m,mode=1777",
            OUT_MOUNT: f"rw,nosuid,nodev,noexec,size={limits.output_mb}m,uid=10001,gid=10001",
        },
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": limits.pids,
        "mem_limit": memory,
        "memswap_limit": memory,  # = mem_limit: no swap
        "nano_cpus": int(limits.cpus * 1e9),
        "ipc_mode": "private",
        "ulimits": [Ulimit(name="core", soft=0, hard=0), Ulimit(name="nofile", soft=1024, hard=1024),
                    Ulimit(name="fsize", soft=file_size, hard=file_size)],
        "environment": environment,
        "device_requests": device_requests,
        "log_config": LogConfig(type="none"),
        "hostname": "sandbox",
        "labels": {LABEL: "job"},
        "working_dir": "/tmp",
        "stdin_open": stdin,
        "detach": True,
    }


def collect(container: Any, stream: Iterator[tuple[bytes | None, bytes | None]], request: SandboxRequest,
            outcome: RunOutcome, t0: float) -> None:
    """Read the harness's stdout (the tar) and stderr with caps until the container stops."""
    import requests

    tar_path = request.work_dir / "out.tar"
    sink = CappedSink(tar_path, request.output_cap, on_overflow=lambda: _kill(container))
    log = CappedText(request.log_cap)

    def pump() -> None:
        try:
            for out, err in stream:
                if out:
                    sink.write(out)
                if err:
                    log.write(err)
        except Exception as exc:  # noqa: BLE001 - the stream ends abruptly when we kill
            log.write(f"\n[attach stream ended: {exc}]".encode())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = t0 + request.limits.wall_seconds + KILL_GRACE_S
    try:
        container.wait(timeout=max(1.0, deadline - time.monotonic()))
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        outcome.timed_out = True
        _kill(container)
    outcome.timings["run_s"] = time.monotonic() - t0
    reader.join(timeout=10)
    sink.close()
    container.reload()
    state = container.attrs.get("State", {})
    outcome.exit_code = state.get("ExitCode")
    outcome.oom_killed = bool(state.get("OOMKilled"))
    outcome.output_truncated = sink.truncated
    outcome.tar_path = tar_path
    outcome.log = log.text()


def _kill(container: Any) -> None:
    from docker.errors import APIError, NotFound

    try:
        container.kill()
    except (APIError, NotFound):
        pass


def _remove(container: Any) -> None:
    from docker.errors import APIError, NotFound

    try:
        container.remove(force=True, v=True)
    except NotFound:
        pass
    except APIError:
        time.sleep(0.2)  # "removal already in progress": one retry
        try:
            container.remove(force=True, v=True)
        except (APIError, NotFound):
            pass


