"""Writes of the similarity app: run the comparison of an assignment's submissions."""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from hub.courses.models import Assignment
from hub.submissions.models import Submission

from . import fingerprints as fp
from .models import SimilarityRun
from .selectors import starter_documents, submission_documents

PAIRS_KEPT = 200


@transaction.atomic
def similarity_run_create(*, assignment: Assignment, by) -> SimilarityRun:
    """Fingerprint every active submission (starter code subtracted), rank the pairs, keep the top.

    Runs in the request: a class of a few hundred takes seconds. (A Celery task calling this
    function is the way to go if classes grow.)
    """
    started = time.perf_counter()
    submissions = list(Submission.objects.filter(assignment=assignment, is_active=True))
    documents = submission_documents(submissions=submissions)
    starter_docs = starter_documents(assignment=assignment)
    starter = fp.fingerprint_set(starter_docs)
    prints = {sid: fp.fingerprint_set(docs) for sid, docs in documents.items()}
    ranked = fp.rank_pairs(prints, starter=starter, limit=PAIRS_KEPT)
    return SimilarityRun.objects.create(
        assignment=assignment,
        created_at=timezone.now(),
        created_by=by,
        k_gram=fp.K_GRAM,
        window=fp.WINDOW,
        submissions_compared=len(submissions),
        starter_files=[d.name for d in starter_docs],
        pairs=[
            {
                "a": p.a,
                "b": p.b,
                "similarity": round(p.similarity, 4),
                "a_share": round(p.a_share, 4),
                "b_share": round(p.b_share, 4),
                "shared": p.shared,
            }
            for p in ranked
        ],
        seconds=round(time.perf_counter() - started, 3),
    )
