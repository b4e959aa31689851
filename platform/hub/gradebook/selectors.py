"""Reads of the gradebook: every student's assignments, components, weighted total and letter.

`gradebook_for` runs a fixed number of queries whatever the size of the class (the benchmark in
bench/bench_gradebook.py and tests/gradebook/test_gradebook.py hold it to that): components,
assignments, students, grades, active submissions, accommodations, extensions, correction windows
and the letter cut, one query each, joined in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from hub.courses.models import Assignment, Course, GradeComponent, Membership
from hub.submissions.deadlines import deadlines_effective_for
from hub.submissions.models import Grade, Submission

from . import clusters
from .models import DEFAULT_CLUSTER_COUNT, LetterCut

HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# Letters offered for the clusters, best first; the page proposes the first k of DEFAULT_LETTERS.
LETTER_CHOICES = ["A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F"]
DEFAULT_LETTERS = {
    1: ["A"],
    2: ["A", "B"],
    3: ["A", "B", "C"],
    4: ["A", "B", "C", "F"],
    5: ["A", "B", "C", "D", "F"],
}


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class CellStatus:
    GRADED = "graded"  # a total exists (released or not)
    AWAITING = "awaiting"  # submitted, not graded yet: not counted
    MISSING = "missing"  # nothing submitted and the student's last deadline has passed: counts 0
    UPCOMING = "upcoming"  # not due yet for this student: not counted


CELL_TEXT = {"awaiting": "submitted", "missing": "missing", "upcoming": "—"}


def points_text(value: Decimal) -> str:
    """90 for 90.000, 83.50 for 83.5: whole numbers bare, others to the hundredth."""
    rounded = _round(value)
    return (
        str(rounded.to_integral_value()) if rounded == rounded.to_integral_value() else str(rounded)
    )


@dataclass
class Cell:
    assignment: Assignment
    status: str
    grade: Grade | None = None

    @property
    def points(self) -> Decimal | None:
        """Points that count toward the component: the total, 0 for missing work, else None."""
        if self.status == CellStatus.GRADED:
            return self.grade.total
        if self.status == CellStatus.MISSING:
            return Decimal(0)
        return None

    @property
    def released(self) -> bool:
        return bool(self.grade and self.grade.released_at)

    @property
    def late(self) -> bool:
        return bool(self.grade and self.grade.late_penalty)

    @property
    def text(self) -> str:
        """What the gradebook's cell says (formatted here: 3,600 cells are too many for template
        filters on a class of 300)."""
        if self.status == CellStatus.GRADED:
            return points_text(self.grade.total) + ("" if self.released else "*")
        return CELL_TEXT[self.status]


@dataclass
class ComponentScore:
    component: GradeComponent
    points: Decimal
    possible: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.possible:
            return None
        return _round(self.points / self.possible * HUNDRED)


@dataclass
class Row:
    student: object  # the user
    cells: list[Cell]
    components: list[ComponentScore]
    total: Decimal | None  # weighted, percent
    missing: int
    letter: str = ""
    cluster: int | None = None
    # Locked letters: the total recorded at lock time, when today's total differs from it.
    locked_total: Decimal | None = None
    changed_since_lock: bool = False

    @property
    def groups(self) -> list[tuple[ComponentScore, list[Cell]]]:
        """Cells by component, in the columns' order (for the template, which should not search)."""
        by_component: dict[int, list[Cell]] = {}
        for cell in self.cells:
            by_component.setdefault(cell.assignment.component_id, []).append(cell)
        return [(score, by_component.get(score.component.id, [])) for score in self.components]


@dataclass
class Gradebook:
    course: Course
    components: list[GradeComponent]
    assignments: list[Assignment]
    rows: list[Row]
    cut: LetterCut | None
    now: datetime
    columns_by_component: list[tuple[GradeComponent, list[Assignment]]] = field(
        default_factory=list
    )

    @property
    def totals(self) -> list[float]:
        return [float(r.total) for r in self.rows if r.total is not None]


def gradebook_for(*, course: Course, now: datetime | None = None) -> Gradebook:
    now = now or timezone.now()
    components = list(GradeComponent.objects.filter(course=course).order_by("id"))
    assignments = list(
        Assignment.objects.filter(course=course).select_related("course").order_by("due_at", "slug")
    )
    students = [
        m.user
        for m in Membership.objects.filter(course=course, role=Membership.Role.STUDENT)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]
    grades = {
        (g.student_id, g.assignment_id): g
        for g in Grade.objects.filter(assignment__course=course).only(
            "student_id",
            "assignment_id",
            "total",
            "late_penalty",
            "released_at",
            "autograde_points",
            "rubric_points",
        )
    }
    submitted = set(
        Submission.objects.filter(assignment__course=course, is_active=True).values_list(
            "student_id", "assignment_id"
        )
    )
    # Every student's own deadlines, by the one computation of the submissions app (3 queries).
    deadlines = deadlines_effective_for(assignments=assignments, students=students)
    cut = LetterCut.objects.filter(course=course).first()

    columns = [(c, [a for a in assignments if a.component_id == c.id]) for c in components]
    weight_of = {c.id: c.weight for c in components}
    rows = []
    for student in students:
        cells = []
        for a in assignments:
            grade = grades.get((student.id, a.id))
            if grade is not None and grade.total is not None:
                status = CellStatus.GRADED
            elif (student.id, a.id) in submitted:
                status = CellStatus.AWAITING
            elif now > deadlines[(student.id, a.id)].accepted_until:
                status = CellStatus.MISSING
            else:
                status = CellStatus.UPCOMING
            cells.append(Cell(assignment=a, status=status, grade=grade))
        scores = []
        for component, _ in columns:
            counted = [
                c
                for c in cells
                if c.assignment.component_id == component.id and c.points is not None
            ]
            scores.append(
                ComponentScore(
                    component=component,
                    points=sum((c.points for c in counted), Decimal(0)),
                    possible=sum((c.assignment.max_points for c in counted), Decimal(0)),
                )
            )
        rows.append(
            Row(
                student=student,
                cells=cells,
                components=scores,
                total=weighted_total(scores=scores, weight_of=weight_of),
                missing=sum(c.status == CellStatus.MISSING for c in cells),
            )
        )
    book = Gradebook(
        course=course,
        components=components,
        assignments=assignments,
        rows=rows,
        cut=cut,
        now=now,
        columns_by_component=columns,
    )
    if cut is not None and cut.thresholds and cut.letters:
        letters_apply(book=book, thresholds=cut.threshold_values, letters=cut.letters)
        if cut.is_locked:
            letters_from_lock(book=book, locked=cut.locked_letters)
    return book


def weighted_total(*, scores: list[ComponentScore], weight_of: dict) -> Decimal | None:
    """Σ weight × percent over the components with counted work, over the sum of their weights.

    At the end of the term every component has work and this is exactly the syllabus's
    30/20/20/30; earlier it is the total so far.
    """
    weighted = Decimal(0)
    weights = Decimal(0)
    for s in scores:
        if s.percent is None:
            continue
        w = weight_of[s.component.id]
        weighted += w * s.points / s.possible * HUNDRED
        weights += w
    if not weights:
        return None
    return _round(weighted / weights)


def letters_apply(*, book: Gradebook, thresholds: list[Decimal], letters: list[str]) -> None:
    """Put each row in its cluster (totals at or above a threshold go above it) and its letter."""
    rows = [r for r in book.rows if r.total is not None]
    assigned = clusters.clusters_assign(
        totals=[float(r.total) for r in rows], thresholds=[float(t) for t in thresholds]
    )
    for row, cluster in zip(rows, assigned, strict=True):
        row.cluster = cluster
        row.letter = letters[cluster] if cluster < len(letters) else ""


def letters_from_lock(*, book: Gradebook, locked: list[dict]) -> None:
    """Once locked, a student's letter is the one recorded at lock time, whatever happened to
    the totals since (a regrade); rows whose total changed say so, for the instructor to unlock
    and decide again. A student without a recorded letter keeps the computed one."""
    recorded = {entry["student_id"]: entry for entry in locked}
    for row in book.rows:
        entry = recorded.get(row.student.id)
        if entry is None:
            continue
        row.letter = entry["letter"]
        row.locked_total = Decimal(entry["total"]) if entry["total"] is not None else None
        row.changed_since_lock = row.locked_total != row.total

    book.changed_since_lock = [r for r in book.rows if r.changed_since_lock]


def default_letters(k: int) -> list[str]:
    """Letters for k clusters, lowest cluster first."""
    best_first = DEFAULT_LETTERS.get(k) or LETTER_CHOICES[:k]
    return list(reversed(best_first))


# --- The letter-grade page ---------------------------------------------------------------------


@dataclass
class Proposal:
    method: str
    label: str
    thresholds: list[clusters.Threshold]


@dataclass
class ClusterSummary:
    index: int  # 0 is the lowest
    low: float | None
    high: float | None
    size: int
    letter: str


def proposals_for(*, totals: list[float], k: int) -> list[Proposal]:
    return [
        Proposal(
            LetterCut.Method.WIDEST_GAPS,
            LetterCut.Method.WIDEST_GAPS.label,
            clusters.thresholds_by_widest_gaps(totals=totals, k=k),
        ),
        Proposal(
            LetterCut.Method.KMEANS,
            LetterCut.Method.KMEANS.label,
            clusters.thresholds_by_kmeans(totals=totals, k=k),
        ),
    ]


def cluster_summaries(
    *, totals: list[float], thresholds: list[float], letters: list[str]
) -> list[ClusterSummary]:
    """Per cluster, lowest first: range of totals, size and letter."""
    assigned = clusters.clusters_assign(totals=totals, thresholds=thresholds)
    out = []
    for index in range(len(thresholds) + 1):
        members = [t for t, c in zip(totals, assigned, strict=True) if c == index]
        out.append(
            ClusterSummary(
                index=index,
                low=min(members) if members else None,
                high=max(members) if members else None,
                size=len(members),
                letter=letters[index] if index < len(letters) else "",
            )
        )
    return out


def gaps_for(*, totals: list[float], limit: int = 12) -> list[clusters.Threshold]:
    """The widest gaps between neighbouring totals (where a threshold may go), widest first."""
    distinct = sorted(set(totals))
    gaps = [
        clusters.Threshold(value=(lo + hi) / 2, below=lo, above=hi)
        for lo, hi in zip(distinct, distinct[1:], strict=False)
    ]
    return sorted(gaps, key=lambda g: -g.gap)[:limit]


@dataclass
class Histogram:
    width: int
    height: int
    bars: list[dict]
    lines: list[dict]
    ticks: list[dict]
    low: float
    high: float


def histogram_for(
    *, totals: list[float], thresholds: list[float], width: int = 720, height: int = 220
) -> Histogram | None:
    """Bars of the totals (1-point bins, 2 beyond a 60-point range) and the thresholds, as SVG
    coordinates for the template: no plotting library, crisp at any zoom, readable by text tools."""
    if not totals:
        return None
    import math

    low = math.floor(min(totals + thresholds))
    high = math.ceil(max(totals + thresholds)) + 1
    bin_width = 1 if high - low <= 60 else 2
    n_bins = max(1, math.ceil((high - low) / bin_width))
    counts = [0] * n_bins
    for t in totals:
        counts[min(int((t - low) // bin_width), n_bins - 1)] += 1
    top = max(counts)
    pad_left, pad_bottom, pad_top = 30, 24, 10
    plot_w, plot_h = width - pad_left - 10, height - pad_bottom - pad_top

    def x_of(value: float) -> float:
        return pad_left + (value - low) / (n_bins * bin_width) * plot_w

    bars = []
    for i, count in enumerate(counts):
        if not count:
            continue
        h = count / top * plot_h
        start = low + i * bin_width
        bars.append(
            {
                "x": round(x_of(start), 1),
                "y": round(pad_top + plot_h - h, 1),
                "w": round(plot_w / n_bins - 1, 1),
                "h": round(h, 1),
                "count": count,
                "label": f"{start}–{start + bin_width}: {count}",
            }
        )
    lines = [
        {"x": round(x_of(t), 1), "value": t, "top": pad_top, "bottom": pad_top + plot_h}
        for t in thresholds
    ]
    step = 5 if (high - low) <= 60 else 10
    ticks = [
        {"x": round(x_of(v), 1), "value": v, "y": height - 6}
        for v in range(low - low % step + step, high + 1, step)
        if v <= high
    ]
    return Histogram(
        width=width, height=height, bars=bars, lines=lines, ticks=ticks, low=low, high=high
    )


def letter_cut_for(*, course: Course) -> LetterCut | None:
    return LetterCut.objects.filter(course=course).select_related("locked_by", "updated_by").first()


def letter_cut_history(*, cut: LetterCut | None, limit: int = 20) -> list:
    if cut is None or cut.pk is None:
        return []
    return list(cut.changes.select_related("by")[:limit])


def default_k() -> int:
    return DEFAULT_CLUSTER_COUNT
