"""What a check sees: the job's seed and device, loaders for the artifacts, task statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.verify import artifacts
from grader.verify.artifacts import ArtifactRejected, CheckFailed


@dataclass
class CheckResult:
    """``score`` is the fraction of the check's points earned, in [0, 1]."""

    score: float = 1.0
    output: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskStatus:
    status: str  # ok | crashed | timeout | oom | not_run
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class CheckContext:
    def __init__(self, *, check: str, task: str, seed: int, device: str, out_root: Path,
                 statuses: dict[str, TaskStatus], rejected: dict[str, str] | None = None) -> None:
        self.check = check
        self.task = task
        self.seed = seed
        self.device = device
        self.out_root = out_root
        self._statuses = statuses
        self._rejected = rejected or {}
        self.attached: list[tuple[str, Path]] = []

    # Loaders take (task, name) or just (name) for the check's own task.
    def load_tensors(self, *where: str) -> dict[str, Any]:
        return artifacts.load_tensors(self._path(where, "safetensors", artifacts.MAX_TENSOR_FILE_BYTES))

    def load_json(self, *where: str) -> Any:
        return artifacts.load_json(self._path(where, "json", artifacts.MAX_JSON_BYTES))

    def load_png(self, *where: str) -> Any:
        return artifacts.load_png(self._path(where, "png", artifacts.MAX_PNG_BYTES))

    def artifact_path(self, *where: str) -> Path:
        """Path of an artifact given (task, file name with suffix) or (file name)."""
        task, filename = (self.task, where[0]) if len(where) == 1 else where
        return self._checked(task, filename, artifacts.MAX_TENSOR_FILE_BYTES)

    def task_status(self, name: str) -> TaskStatus:
        return self._statuses.get(name, TaskStatus("not_run", f"task {name!r} did not run"))

    def held_out(self) -> tuple[Any, Any]:
        """The test split (images uint8 [N, 28, 28], labels [N]) as tensors: trusted side only."""
        import torch

        from course_models.data import load_fashion_mnist

        images, labels = load_fashion_mnist("test")
        return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())

    def add_artifact(self, name: str, path: Path) -> None:
        """Attach a PNG (e.g. a grid of the student's samples) to the report."""
        path = Path(path)
        if not artifacts.sniff_png(path):
            raise ArtifactRejected(f"{path.name}: only PNG images can be attached to the report")
        self.attached.append((name, path))

    def _path(self, where: tuple[str, ...], suffix: str, cap: int) -> Path:
        if len(where) not in (1, 2):
            raise TypeError("pass (task, name) or (name,)")
        task, name = (self.task, where[0]) if len(where) == 1 else where
        return self._checked(task, f"{name}.{suffix}", cap)

    def _checked(self, task: str, filename: str, cap: int) -> Path:
        reason = self._rejected.get(f"{task}/{filename}")
        if reason:
            raise ArtifactRejected(reason)
        return artifacts.artifact_file(self.out_root, task, filename, cap)


__all__ = ["CheckContext", "CheckFailed", "CheckResult", "TaskStatus"]
