"""Reads of the similarity app: the code of submissions and of the starter, as fingerprinted
documents; the latest run; one pair side by side."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from hub.courses.models import Assignment
from hub.submissions.models import Submission, SubmissionFile
from hub.submissions.store import blob_open

from . import fingerprints as fp
from .models import SimilarityRun

CODE_SUFFIXES = (".py", ".ipynb")
MAX_FILE_BYTES = 2 * 1024 * 1024  # larger "code" is data or generated; not compared


def starter_documents(*, assignment: Assignment) -> list[fp.Document]:
    """The starter files of the assignment: assignments/<autograder>/starter/**.py and .ipynb."""
    if not assignment.autograder:
        return []
    root = Path(settings.ASSIGNMENTS_DIR) / assignment.autograder / "starter"
    if not root.is_dir():
        return []
    return [
        fp.document(str(p.relative_to(root)), p.read_text(encoding="utf-8", errors="replace"))
        for p in sorted(root.rglob("*"))
        if p.suffix in CODE_SUFFIXES and p.is_file()
    ]


def _read(file: SubmissionFile) -> str:
    with blob_open(file.sha256) as f:
        return f.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")


def submission_documents(*, submissions: list[Submission]) -> dict[int, list[fp.Document]]:
    """Submission id -> its code files (by name), fingerprinted. One query for all the files."""
    files = (
        SubmissionFile.objects.filter(
            submission__in=submissions, kind=SubmissionFile.Kind.FILE, size__lte=MAX_FILE_BYTES
        )
        .filter(name__iregex=r"\.(py|ipynb)$")
        .order_by("submission_id", "name")
    )
    out: dict[int, list[fp.Document]] = {s.id: [] for s in submissions}
    for f in files:
        out[f.submission_id].append(fp.document(f.name, _read(f)))
    return out


def similarity_run_latest(*, assignment: Assignment) -> SimilarityRun | None:
    return SimilarityRun.objects.filter(assignment=assignment).select_related("created_by").first()


@dataclass
class PairRow:
    a: Submission
    b: Submission
    similarity: float
    a_share: float
    b_share: float
    shared: int

    @property
    def same_group(self) -> bool:
        return self.a.group_id is not None and self.a.group_id == self.b.group_id


def run_pairs(*, run: SimilarityRun, limit: int = 100) -> list[PairRow]:
    """The run's pairs with their submissions and students (one query)."""
    pairs = run.pairs[:limit]
    ids = {p["a"] for p in pairs} | {p["b"] for p in pairs}
    subs = Submission.objects.select_related("student").in_bulk(ids)
    return [
        PairRow(
            subs[p["a"]], subs[p["b"]], p["similarity"], p["a_share"], p["b_share"], p["shared"]
        )
        for p in pairs
        if p["a"] in subs and p["b"] in subs
    ]


@dataclass
class Line:
    number: int
    text: str
    match: int | None


@dataclass
class FileView:
    index: int
    name: str
    lines: list[Line]


def side_by_side(
    *, assignment: Assignment, a: Submission, b: Submission
) -> tuple[list[FileView], list[FileView], list]:
    """The code files of both submissions, line by line, each line tagged with the number of the
    matching region it is in (the same number on both sides); and the regions, paired."""
    docs = submission_documents(submissions=[a, b])
    starter = fp.fingerprint_set(starter_documents(assignment=assignment))
    a_regions, b_regions = fp.matching_regions(docs[a.id], docs[b.id], starter=starter)

    def views(documents, regions):
        out = []
        for i, d in enumerate(documents):
            marks: dict[int, int] = {}
            for r in regions:
                if r.document == i:
                    for n in range(r.first_line, r.last_line + 1):
                        marks.setdefault(n, r.match)
            out.append(
                FileView(
                    i,
                    d.name,
                    [
                        Line(n, text, marks.get(n))
                        for n, text in enumerate(d.source.splitlines(), 1)
                    ],
                )
            )
        return out

    a_docs, b_docs = docs[a.id], docs[b.id]
    pairs = [
        (
            ra.match,
            a_docs[ra.document].name,
            ra.first_line,
            ra.last_line,
            b_docs[rb.document].name,
            rb.first_line,
            rb.last_line,
        )
        for ra, rb in zip(a_regions, b_regions, strict=True)
    ]
    return views(a_docs, a_regions), views(b_docs, b_regions), pairs
