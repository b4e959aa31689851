"""Per-job cgroups for the bwrap backend: a real bound on a job's memory and processes.

rlimits alone are weak: RLIMIT_AS is per process and RLIMIT_NPROC is ignored for processes
whose real uid is 0 (a worker running as root), so a fork bomb would not be bounded. When the
worker may create cgroups (root on cgroup v1, or a delegated v2 subtree) each job gets its own,
with ``memory`` (memory + swap), ``pids`` and ``cpu`` (quota) limits; otherwise the backend says it is running
with rlimits only.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
_CPU_PERIOD_US = 100_000


class JobCgroup:
    def __init__(self, dirs: dict[str, Path], version: int) -> None:
        self.dirs = dirs  # controller -> folder (v2: one folder for both)
        self.version = version

    @classmethod
    def create(cls, memory_bytes: int, pids: int, cpus: float) -> JobCgroup | None:
        """A fresh cgroup with the limits, or None when this process may not make one."""
        name = f"grader-{uuid.uuid4().hex[:12]}"
        try:
            if (ROOT / "memory").is_dir() and (ROOT / "pids").is_dir():
                controllers = ["memory", "pids"] + (["cpu"] if (ROOT / "cpu").is_dir() else [])
                group = cls({c: _own_v1(c) / name for c in controllers}, version=1)
            elif (ROOT / "cgroup.controllers").is_file():
                folder = _own_v2() / name
                group = cls({"memory": folder, "pids": folder, "cpu": folder}, version=2)
            else:
                return None
            group._make(memory_bytes, pids, cpus)
            return group
        except OSError:
            return None

    def _make(self, memory_bytes: int, pids: int, cpus: float) -> None:
        quota = max(1000, int(cpus * _CPU_PERIOD_US))
        try:
            for folder in set(self.dirs.values()):
                folder.mkdir()
            if self.version == 1:
                _write(self.dirs["memory"] / "memory.limit_in_bytes", memory_bytes)
                swap = self.dirs["memory"] / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    _write(swap, memory_bytes)
                _write(self.dirs["pids"] / "pids.max", pids)
                if "cpu" in self.dirs:
                    _write(self.dirs["cpu"] / "cpu.cfs_period_us", _CPU_PERIOD_US)
                    _write(self.dirs["cpu"] / "cpu.cfs_quota_us", quota)
            else:
                folder = self.dirs["memory"]
                _write(folder / "memory.max", memory_bytes)
                if (folder / "memory.swap.max").exists():
                    _write(folder / "memory.swap.max", 0)
                _write(folder / "pids.max", pids)
                if (folder / "cpu.max").exists():
                    (folder / "cpu.max").write_text(f"{quota} {_CPU_PERIOD_US}")
        except OSError:
            self.remove()
            raise

    def enter(self) -> None:
        """Move the calling process in (called in the sandbox's child before exec)."""
        for folder in set(self.dirs.values()):
            _write(folder / "cgroup.procs", os.getpid())

    def oom_kills(self) -> int:
        path = self.dirs["memory"] / ("memory.oom_control" if self.version == 1 else "memory.events")
        try:
            for line in path.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def peak_memory(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.dirs["memory"] / name).read_text())
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        """Kill whatever is left inside, then delete the cgroup."""
        deadline = time.monotonic() + 5.0
        for folder in set(self.dirs.values()):
            while folder.exists() and time.monotonic() < deadline:
                for pid in _procs(folder):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    folder.rmdir()
                except OSError:
                    time.sleep(0.02)  # processes are still exiting: poll until empty or deadline


def _own_v1(controller: str) -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return ROOT / controller / path.lstrip("/")
    return ROOT / controller


def _own_v2() -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return ROOT / line[3:].lstrip("/")
    return ROOT


def _procs(folder: Path) -> list[int]:
    try:
        return [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _write(path: Path, value: int) -> None:
    path.write_text(str(value))
