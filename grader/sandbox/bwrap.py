"""``bwrap``: bubblewrap, for Linux machines without a Docker engine.

Every namespace is unshared (network included). The sandbox's root is an empty tmpfs into
which only these are mounted: the Python runtime and its site-packages (read-only), the
harness (read-only), the job and the submission (read-only), the training files (read-only),
a size-capped tmpfs for /tmp and one for /out. The harness runs as PID 1 of the new PID
namespace: when it exits, the kernel kills whatever the student left behind. Memory and
processes are bounded by a per-job cgroup when the worker may make one (see cgroup.py), and by
rlimits (RLIMIT_AS per process; RLIMIT_NPROC without a cgroup), set before bwrap executes.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

from grader.sandbox.base import (
    DATA_MOUNT,
    HARNESS_ROOT,
    JOB_MOUNT,
    OUT_MOUNT,
    SUBMISSION_MOUNT,
    RunOutcome,
    SandboxRequest,
    SandboxUnavailable,
    gpu_device_nodes,
    gpu_env,
    grader_package_dir,
    harness_command,
    minimal_env,
    run_process,
)
from grader.sandbox.cgroup import JobCgroup

SANDBOX_UID = 65534
TMP_MB = 256
SHM_MB = 64
# System folders the interpreter and torch's shared libraries need; /etc is NOT among them
# (no passwd, no shadow, no resolv.conf): only ld.so.cache is bound.
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")


class BwrapBackend:
    name = "bwrap"

    def __init__(self, bwrap: str | None = None, python: str | None = None, cgroups: bool = True) -> None:
        self.bwrap = bwrap or shutil.which("bwrap") or ""
        self.python = python or sys.executable
        self.cgroups = cgroups

    def run(self, request: SandboxRequest) -> RunOutcome:
        if not self.bwrap:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        if request.limits.gpu or request.device != "cpu":
            raise SandboxUnavailable("the bwrap sandbox passes no GPU through: grade GPU work with docker")
        command = [self.bwrap, *self.arguments(request), "--", *harness_command(self.python)]
        outcome = RunOutcome(backend=self.name, sandboxed=True)
        limits = request.limits
        cgroup = JobCgroup.create(limits.memory_mb << 20, limits.pids, limits.cpus) if self.cgroups else None
        if cgroup is None:
            if os.getuid() == 0:
                # RLIMIT_NPROC does not bind processes whose real uid is 0: without a cgroup
                # nothing would stop a fork bomb, so refuse rather than run unbounded.
                raise SandboxUnavailable("bwrap as root needs a writable cgroup (memory, pids) to bound the job")
            outcome.notes.append("bwrap: no cgroup could be made: memory and processes bounded by rlimits only")
        try:
            run_process(command, env=minimal_env(), request=request, outcome=outcome,
                        preexec=sandbox_preexec(request, cgroup))
            if cgroup is not None:
                outcome.oom_killed = cgroup.oom_kills() > 0
                outcome.peak_memory_bytes = cgroup.peak_memory()
        finally:
            if cgroup is not None:
                cgroup.remove()
        return outcome

    def arguments(self, request: SandboxRequest) -> list[str]:
        limits = request.limits
        args = [
            "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--die-with-parent", "--new-session", "--as-pid-1", "--disable-userns", "--cap-drop", "ALL",
            "--hostname", "sandbox", "--clearenv",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(SHM_MB << 20), "--tmpfs", "/dev/shm",
            "--size", str(TMP_MB << 20), "--tmpfs", "/tmp",
            "--size", str(limits.output_mb << 20), "--tmpfs", OUT_MOUNT,
        ]
        for folder in SYSTEM_DIRS:
            path = Path(folder)
            if path.is_symlink():
                args += ["--symlink", str(path.readlink()), folder]
            elif path.is_dir():
                args += ["--ro-bind", folder, folder]
        if Path("/etc/ld.so.cache").exists():
            args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        bound = runtime_dirs()
        for runtime in bound:
            args += ["--ro-bind", runtime, runtime]
        for hidden in request.hidden_dirs:
            target = str(hidden.resolve())
            if any(target == b or target.startswith(b.rstrip("/") + "/") for b in [*SYSTEM_DIRS, *bound]):
                args += ["--size", "4096", "--tmpfs", target]  # an empty folder over the real one
        package = grader_package_dir()
        args += [
            "--ro-bind", str(package / "__init__.py"), f"{HARNESS_ROOT}/grader/__init__.py",
            "--ro-bind", str(package / "harness"), f"{HARNESS_ROOT}/grader/harness",
            "--ro-bind", str(request.job_dir), JOB_MOUNT,
            "--ro-bind", str(request.submission_dir), SUBMISSION_MOUNT,
            "--dir", DATA_MOUNT,
        ]
        for name, source in request.data_files.items():
            args += ["--ro-bind", str(source.resolve()), f"{DATA_MOUNT}/{name}"]
        for node in gpu_device_nodes(request.device):
            args += ["--dev-bind", node, node]
        gpu = gpu_env(request.device)
        for folder in gpu.get("LD_LIBRARY_PATH", "").split(":"):
            if folder and Path(folder).is_dir() and not any(
                folder == b or folder.startswith(b.rstrip("/") + "/") for b in [*SYSTEM_DIRS, *bound]
            ):
                args += ["--ro-bind", folder, folder]
        env = minimal_env({"PYTHONPATH": HARNESS_ROOT, "HOME": "/tmp", "TMPDIR": "/tmp", **gpu})
        for key, value in env.items():
            args += ["--setenv", key, value]
        # Last: the root bwrap built (a tmpfs with the mount points) becomes read-only too.
        return [*args, "--remount-ro", "/", "--chdir", "/tmp"]


def runtime_dirs() -> list[str]:
    """The interpreter's prefixes (a venv and the Python it was made from), outside /usr."""
    candidates = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    dirs = sorted({str(Path(c).resolve()) for c in candidates} | {str(Path(c)) for c in candidates})
    kept: list[str] = []
    for folder in dirs:
        if any(folder == s or folder.startswith(s + "/") for s in SYSTEM_DIRS):
            continue
        if any(folder.startswith(k + "/") for k in kept):
            continue
        kept.append(folder)
    return kept


def sandbox_preexec(request: SandboxRequest, cgroup: JobCgroup | None) -> Callable[[], None]:
    limits = request.limits
    memory = limits.memory_mb << 20
    file_size = max(limits.output_mb, TMP_MB) << 20

    def apply() -> None:
        # Runs in the forked child before exec: these bind bwrap and everything under it.
        if cgroup is not None:
            cgroup.enter()
        else:
            # Counts every process of this user on the machine (and is ignored for root):
            # a weak bound, used only when no cgroup is at hand.
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.pids, limits.pids))
        # Per process, on top of the cgroup: a clean MemoryError instead of the OOM killer.
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    return apply
