"""Load and validate an assignment's ``spec.toml`` (see README.md for the format).

Errors name the file and the offending key, because the people who read them are homework
authors editing a TOML file, not the engine's maintainers.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,127}$")
# The datasets a spec may name, as "<dataset>:<split>". Only training splits may enter a
# sandbox: held-out data is for the trusted side.
DATASETS = {"fashion-mnist": ("train",)}


# Trusted-side files that may never be listed in sandbox_files.
_NEVER_IN_SANDBOX = {"checks.py", "spec.toml", "calibrate.py", "CALIBRATION.md"}


class SpecError(ValueError):
    """The assignment's spec.toml is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 90.0
    memory_mb: int = 2048
    cpus: float = 2.0
    pids: int = 128
    gpu: bool = False
    output_mb: int = 64
    log_kb: int = 256


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: str
    entry_points: tuple[str, ...] = ()
    timeout_seconds: float = 60.0


@dataclass(frozen=True)
class CheckSpec:
    name: str
    task: str
    function: str
    points: float
    visibility: str = "visible"
    description: str = ""


@dataclass(frozen=True)
class Leaderboard:
    """``[leaderboard]``: rank submissions by a metric that a check reports."""

    metric: str
    ascending: bool = True


@dataclass(frozen=True)
class Spec:
    slug: str
    title: str
    required_files: tuple[str, ...]
    limits: Limits
    tasks: tuple[TaskSpec, ...]
    checks: tuple[CheckSpec, ...]
    data: dict[str, str] = field(default_factory=dict)
    sandbox_files: tuple[str, ...] = ()  # extra files copied next to tasks.py (e.g. shipped weights)
    leaderboard: Leaderboard | None = None
    path: Path = Path()

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    def task(self, name: str) -> TaskSpec:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)


def load_spec(assignment_dir: str | Path) -> Spec:
    """Read ``<assignment_dir>/spec.toml`` and check it against tasks.py/checks.py names."""
    folder = Path(assignment_dir)
    path = folder / "spec.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no spec.toml in the assignment folder") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    spec = _parse(raw, str(path))
    for needed in ("tasks.py", "checks.py", *spec.sandbox_files):
        if not (folder / needed).is_file():
            raise SpecError(f"{path}: the assignment has no {needed}")
    return Spec(**{**spec.__dict__, "path": folder.resolve()})


def _parse(raw: dict[str, Any], where: str) -> Spec:
    # Other top-level tables belong to other readers of the file.
    assignment = _table(raw, "assignment", where, required=True)
    _only_keys(assignment, {"slug", "title", "required_files", "sandbox_files"}, f"{where} [assignment]")
    slug = _get(assignment, "slug", str, f"{where} [assignment]")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", slug):
        raise SpecError(f"{where} [assignment] slug {slug!r}: use lowercase letters, digits, - and _")
    required = _get(assignment, "required_files", list, f"{where} [assignment]", default=[])
    for name in required:
        if not isinstance(name, str) or not _FILE.match(name) or ".." in name.split("/"):
            raise SpecError(f"{where} [assignment] required_files: {name!r} is not a relative file name")
    sandbox_files = _get(assignment, "sandbox_files", list, f"{where} [assignment]", default=[])
    for name in sandbox_files:
        if not isinstance(name, str) or "/" in name or not _FILE.match(name) or name in _NEVER_IN_SANDBOX:
            raise SpecError(f"{where} [assignment] sandbox_files: {name!r} is not a file name that may enter the sandbox")
    limits = _parse_limits(_table(raw, "limits", where), f"{where} [limits]")
    data = _parse_data(_table(raw, "data", where), f"{where} [data]")
    tasks = tuple(_parse_task(t, f"{where} [[tasks]] #{i + 1}") for i, t in enumerate(_array(raw, "tasks", where)))
    checks = tuple(_parse_check(c, f"{where} [[checks]] #{i + 1}") for i, c in enumerate(_array(raw, "checks", where)))
    _check_names(tasks, checks, where)
    board = _table(raw, "leaderboard", where)
    return Spec(
        slug=slug,
        title=_get(assignment, "title", str, f"{where} [assignment]", default=slug),
        required_files=tuple(required),
        sandbox_files=tuple(sandbox_files),
        limits=limits,
        tasks=tasks,
        checks=checks,
        data=data,
        leaderboard=_parse_leaderboard(board, f"{where} [leaderboard]") if "leaderboard" in raw else None,
    )


def _parse_leaderboard(table: dict[str, Any], where: str) -> Leaderboard:
    _only_keys(table, {"metric", "order"}, where)
    metric = _get(table, "metric", str, where)
    order = _get(table, "order", str, where, default="asc")
    if not metric or order not in ("asc", "desc"):
        raise SpecError(f"{where}: metric must be a name and order 'asc' or 'desc' (got {metric!r}, {order!r})")
    return Leaderboard(metric=metric, ascending=order == "asc")


def _parse_limits(table: dict[str, Any], where: str) -> Limits:
    defaults = Limits()
    _only_keys(table, set(defaults.__dict__), where)
    values: dict[str, Any] = {}
    for key, default in defaults.__dict__.items():
        kind: type | tuple[type, ...] = bool if isinstance(default, bool) else (int, float)
        value = _get(table, key, kind, where, default=default)
        if not isinstance(default, bool):
            if isinstance(value, bool) or value <= 0:
                raise SpecError(f"{where} {key} = {value!r}: must be a positive number")
            value = type(default)(value)
        values[key] = value
    return Limits(**values)


def _parse_data(table: dict[str, Any], where: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or ":" not in value:
            raise SpecError(f"{where} {key}: expected \"<dataset>:<split>\", got {value!r}")
        dataset, split = value.split(":", 1)
        if split not in DATASETS.get(dataset, ()):
            allowed = ", ".join(f"{d}:{s}" for d, ss in DATASETS.items() for s in ss)
            raise SpecError(f"{where} {key} = {value!r}: the sandbox may only see {allowed}")
        data[key] = value
    return data


def _parse_task(table: Any, where: str) -> TaskSpec:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: expected a table")
    _only_keys(table, {"name", "function", "entry_points", "timeout_seconds"}, where)
    timeout = _get(table, "timeout_seconds", (int, float), where, default=60.0)
    if isinstance(timeout, bool) or timeout <= 0:
        raise SpecError(f"{where} timeout_seconds = {timeout!r}: must be a positive number")
    entry_points = _get(table, "entry_points", list, where, default=[])
    if not all(isinstance(e, str) for e in entry_points):
        raise SpecError(f"{where} entry_points: expected a list of strings")
    return TaskSpec(
        name=_identifier(table, "name", where),
        function=_identifier(table, "function", where),
        entry_points=tuple(entry_points),
        timeout_seconds=float(timeout),
    )


def _parse_check(table: Any, where: str) -> CheckSpec:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: expected a table")
    _only_keys(table, {"name", "task", "function", "points", "visibility", "description"}, where)
    points = _get(table, "points", (int, float), where)
    if isinstance(points, bool) or points < 0:
        raise SpecError(f"{where} points = {points!r}: must be a number >= 0")
    visibility = _get(table, "visibility", str, where, default="visible")
    if visibility not in VISIBILITIES:
        raise SpecError(f"{where} visibility = {visibility!r}: one of {', '.join(VISIBILITIES)}")
    return CheckSpec(
        name=_identifier(table, "name", where),
        task=_identifier(table, "task", where),
        function=_identifier(table, "function", where),
        points=float(points),
        visibility=visibility,
        description=_get(table, "description", str, where, default=""),
    )


def _check_names(tasks: tuple[TaskSpec, ...], checks: tuple[CheckSpec, ...], where: str) -> None:
    if not tasks:
        raise SpecError(f"{where}: no [[tasks]]")
    if not checks:
        raise SpecError(f"{where}: no [[checks]]")
    for kind, names in (("task", [t.name for t in tasks]), ("check", [c.name for c in checks])):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SpecError(f"{where}: duplicate {kind} names {duplicates}")
    task_names = {t.name for t in tasks}
    for check in checks:
        if check.task not in task_names:
            raise SpecError(f"{where}: check {check.name!r} reads task {check.task!r}, which is not a [[tasks]] name")


def _identifier(table: dict[str, Any], key: str, where: str) -> str:
    value = _get(table, key, str, where)
    if not _NAME.match(value):
        raise SpecError(f"{where} {key} = {value!r}: must be a Python identifier")
    return value


_MISSING = object()


def _get(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = _MISSING) -> Any:
    if key not in table:
        if default is _MISSING:
            raise SpecError(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SpecError(f"{where} {key} = {value!r}: expected {names}")
    return value


def _table(raw: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
    if key not in raw:
        if required:
            raise SpecError(f"{where}: missing [{key}] table")
        return {}
    if not isinstance(raw[key], dict):
        raise SpecError(f"{where}: [{key}] must be a table")
    return raw[key]


def _array(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise SpecError(f"{where}: {key} must be an array of tables ([[{key}]])")
    return value


def _only_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown keys {unknown} (allowed: {sorted(allowed)})")
