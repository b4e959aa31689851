"""results.json: Gradescope's keys plus ours, and what each viewer may see."""

from __future__ import annotations

import json

from grader.report import Attachment, Report, TestResult, results_for_viewer


def _report() -> Report:
    tests = [
        TestResult("visible_one", 2.0, 2.0, True, "ok", "visible", metrics={"err": 0.0}),
        TestResult("hidden_one", 0.0, 3.0, False, "secret inputs differ", "hidden", metrics={"leak": 1.0}),
        TestResult("after_due", 1.0, 1.0, True, "", "after_due_date"),
        TestResult("after_pub", 0.5, 1.0, False, "", "after_published"),
    ]
    report = Report(tests=tests, backend="docker", failure_kind="wrong",
                    tasks={"t": {"status": "ok", "message": "fine", "stderr": "harness detail"}})
    report.attachments.append(Attachment("hidden_one-grid.png", "hidden_one", "hidden", b"\x89PNG"))
    return report


def test_results_json_has_gradescope_and_platform_keys() -> None:
    results = _report().to_results_json()
    for key in ("score", "max_score", "execution_time", "output", "tests"):
        assert key in results
    for key in ("artifacts", "metrics", "resources", "stdout", "stderr", "phases", "failure_kind", "gradable"):
        assert key in results
    assert results["score"] == 3.5 and results["max_score"] == 7.0
    assert (results["tests"][1]["status"], results["tests"][1]["visibility"]) == ("failed", "hidden")
    assert set(results["tests"][0]) >= {"name", "score", "max_score", "status", "output", "visibility"}


def test_staff_see_everything() -> None:
    seen = _report().for_viewer(staff=True)
    assert [t["name"] for t in seen["tests"]] == ["visible_one", "hidden_one", "after_due", "after_pub"]
    assert seen["score"] == 3.5


def test_student_before_the_due_date_sees_visible_tests_and_their_points_only() -> None:
    seen = _report().for_viewer(staff=False, after_due=False, published=False)
    assert [t["name"] for t in seen["tests"]] == ["visible_one"]
    assert (seen["score"], seen["max_score"]) == (2.0, 2.0)
    assert "hidden_one" not in seen["metrics"] and seen["artifacts"] == []
    assert "stderr" not in seen["tasks"]["t"]


def test_student_after_due_date_and_after_publication() -> None:
    after_due = _report().for_viewer(after_due=True)
    assert [t["name"] for t in after_due["tests"]] == ["visible_one", "after_due"]
    published = _report().for_viewer(after_due=True, published=True)
    assert [t["name"] for t in published["tests"]] == ["visible_one", "after_due", "after_pub"]
    assert published["score"] == 3.5  # the whole grade, hidden points included, once published
    assert all(t["name"] != "hidden_one" for t in published["tests"])


def test_a_stored_results_json_is_filtered_the_same_way() -> None:
    """The platform stores results.json and filters it per request, without the Report object."""
    stored = json.loads(json.dumps(_report().to_results_json()))
    for viewer in ({"staff": True}, {"after_due": True}, {"after_due": True, "published": True}, {}):
        options = {"staff": False, "after_due": False, "published": False, **viewer}
        assert results_for_viewer(stored, **options) == _report().for_viewer(**options)
