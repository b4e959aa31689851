"""Optional leaderboards: an assignment whose spec declares `[leaderboard] metric, order` ranks
the active submissions' reports by that metric, under pseudonyms the students choose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from grader.spec import Leaderboard, SpecError, load_spec

from .models import LeaderboardAlias, LeaderboardSetting, Report


@dataclass(frozen=True)
class Entry:
    rank: int
    alias: str
    value: float
    is_you: bool


def leaderboard_spec(*, assignment) -> Leaderboard | None:
    """The `[leaderboard]` of the assignment's grader spec, or None (no autograder, no table)."""
    if not assignment.autograder:
        return None
    try:
        return load_spec(Path(settings.ASSIGNMENTS_DIR) / assignment.autograder).leaderboard
    except SpecError:
        return None


def _metric(results: dict, name: str) -> float | None:
    for values in (results.get("metrics") or {}).values():
        if isinstance(values, dict) and isinstance(values.get(name), int | float):
            return float(values[name])
    return None


def leaderboard_entries(*, assignment, viewer) -> list[Entry]:
    spec = leaderboard_spec(assignment=assignment)
    if spec is None:
        return []
    aliases = dict(
        LeaderboardAlias.objects.filter(course=assignment.course).values_list("user_id", "alias")
    )
    reports = (
        Report.objects.filter(submission__assignment=assignment, submission__is_active=True, gradable=True)
        .select_related("submission")
        .order_by("submission__student_id", "-created_at")
    )
    best: dict[int, float] = {}
    for report in reports:
        student = report.submission.student_id
        if student in best or student not in aliases:
            continue  # the newest report of the active submission; only students who chose an alias
        value = _metric(report.results, spec.metric)
        if value is not None:
            best[student] = value
    ordered = sorted(best.items(), key=lambda kv: kv[1] if spec.ascending else -kv[1])
    return [
        Entry(rank=i, alias=aliases[student], value=value, is_you=student == viewer.pk)
        for i, (student, value) in enumerate(ordered, start=1)
    ]


def leaderboard_hidden(*, assignment) -> bool:
    setting = LeaderboardSetting.objects.filter(assignment=assignment).first()
    return bool(setting and setting.hidden)


class AliasTaken(ValueError):
    pass


def leaderboard_alias_set(*, course, user, alias: str) -> LeaderboardAlias:
    alias = " ".join(alias.split())
    if not (2 <= len(alias) <= 40):
        raise ValueError("A pseudonym has 2 to 40 characters.")
    try:
        with transaction.atomic():
            record, _ = LeaderboardAlias.objects.update_or_create(course=course, user=user, defaults={"alias": alias})
    except IntegrityError:
        raise AliasTaken(f"The pseudonym {alias!r} is taken; choose another.") from None
    return record


def leaderboard_set_hidden(*, assignment, hidden: bool) -> LeaderboardSetting:
    setting, _ = LeaderboardSetting.objects.update_or_create(assignment=assignment, defaults={"hidden": hidden})
    return setting
