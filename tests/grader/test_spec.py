"""spec.toml loading: the real assignments load; mistakes are named with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.spec import SpecError, load_spec

from .conftest import TOY

VALID = (TOY / "spec.toml").read_text()


def _assignment(tmp_path: Path, spec: str) -> Path:
    (tmp_path / "spec.toml").write_text(spec)
    (tmp_path / "tasks.py").write_text("")
    (tmp_path / "checks.py").write_text("")
    return tmp_path


def test_toy_spec_loads_with_limits_tasks_and_checks() -> None:
    spec = load_spec(TOY)
    assert spec.slug == "toy"
    assert [t.name for t in spec.tasks] == ["affine", "image", "stats"]
    assert spec.max_score == 5.0
    assert spec.limits.memory_mb == 1024 and spec.limits.gpu is False
    assert spec.task("affine").timeout_seconds == 4.0


@pytest.mark.parametrize("slug", ["hw1", "hw2"])
def test_course_assignments_load(slug: str) -> None:
    folder = Path(__file__).resolve().parents[2] / "assignments" / slug
    if not (folder / "spec.toml").exists():
        pytest.skip(f"assignments/{slug} is not written yet")
    assert load_spec(folder).max_score > 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("points = 2", "points = -1"), "points = -1"),
        (('visibility = "hidden"', 'visibility = "secret"'), "visibility = 'secret'"),
        (('task = "image"', 'task = "imagine"'), "reads task 'imagine'"),
        (("wall_seconds = 30", "wall_seconds = 0"), "wall_seconds = 0"),
        (('train = "fashion-mnist:train"', 'train = "fashion-mnist:test"'), "may only see"),
        (("cpus = 1", "cpus = 1\nswap = 3"), "unknown keys ['swap']"),
        (('function = "task_stats"', 'function = "task-stats"'), "Python identifier"),
        (('name = "stats"', 'name = "image"'), "duplicate task names"),
    ],
)
def test_mistakes_are_reported_with_the_key(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    old, new = edit
    assert old in VALID
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_spec(_assignment(tmp_path, VALID.replace(old, new, 1)))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"spec\.toml: not valid TOML"):
        load_spec(_assignment(tmp_path, "[assignment\n"))


def test_missing_checks_py_is_an_error(tmp_path: Path) -> None:
    folder = _assignment(tmp_path, VALID)
    (folder / "checks.py").unlink()
    with pytest.raises(SpecError, match="no checks.py"):
        load_spec(folder)


def test_checks_py_can_never_be_shipped_into_the_sandbox(tmp_path: Path) -> None:
    spec = VALID.replace('required_files = ["solution.py"]', 'required_files = ["solution.py"]\nsandbox_files = ["checks.py"]')
    with pytest.raises(SpecError, match="sandbox_files"):
        load_spec(_assignment(tmp_path, spec))


def test_a_leaderboard_is_read_with_its_order(tmp_path: Path) -> None:
    assert load_spec(TOY).leaderboard is None
    hw2 = load_spec(Path(__file__).resolve().parents[2] / "assignments" / "hw2")
    assert hw2.leaderboard is not None and (hw2.leaderboard.metric, hw2.leaderboard.ascending) == ("fid", True)
    board = load_spec(_assignment(tmp_path, VALID + '\n[leaderboard]\nmetric = "kid"\norder = "desc"\n')).leaderboard
    assert board is not None and (board.metric, board.ascending) == ("kid", False)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("", "missing key 'metric'"),
        ('metric = "fid"\norder = "up"', "order 'asc' or 'desc'"),
        ('metric = ""', "metric must be a name"),
        ('metric = "fid"\nshow = true', "unknown keys"),
    ],
)
def test_a_malformed_leaderboard_is_an_error(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(_assignment(tmp_path, VALID + f"\n[leaderboard]\n{table}\n"))
