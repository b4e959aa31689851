"""Fingerprints: normalisation with tokenize, winnowing's guarantee, starter subtraction, ranking."""

import random

from hub.similarity.fingerprints import (
    K_GRAM,
    WINDOW,
    Token,
    document,
    fingerprint_set,
    kgram_hashes,
    matching_regions,
    normalize,
    notebook_source,
    rank_pairs,
    winnow,
)

from .samples import SOLUTION_A, SOLUTION_A_COPY, SOLUTION_B, STARTER


def _texts(source):
    return [t.text for t in normalize(source)]


def test_identifiers_literals_and_comments_do_not_matter():
    a = "def loss(x, y):\n    # mean squared\n    return ((x - y) ** 2).mean() * 0.5\n"
    b = "def objective(pred, target):\n    return ((pred - target) ** 3).mean() * 2  # scaled\n"
    assert _texts(a) == _texts(b)
    assert _texts(a)[:3] == ["def", "N", "("]
    assert "S" in _texts('x = "hello"\ny = f"{x}!"\n')


def test_tokens_keep_their_place_in_the_source():
    tokens = normalize("x = 1\n\n\ny = 2\n")
    assert tokens[0].start == (1, 0) and tokens[-1].start[0] == 4


def test_broken_code_still_gives_the_tokens_before_the_error():
    assert _texts("x = (1,\n")[:3] == ["N", "=", "("]


def test_notebooks_contribute_their_code_cells_only():
    nb = '{"cells": [{"cell_type": "markdown", "source": ["# Title"]}, {"cell_type": "code", "source": ["%matplotlib inline\\n", "z = 3\\n"]}]}'
    assert notebook_source(nb).strip() == "z = 3"
    assert document("a.ipynb", nb).tokens[0].text == "N"


def test_winnowing_finds_every_shared_run_of_w_plus_k_minus_1_tokens():
    # The guarantee is about token streams, so build them directly.
    rng = random.Random(7)
    vocab = [f"t{i}" for i in range(30)]

    def prints(words):
        tokens = [Token(w, (1, 0), (1, 1)) for w in words]
        return {h for h, _ in winnow(kgram_hashes(tokens))}

    for _ in range(50):
        shared = [rng.choice(vocab) for _ in range(WINDOW + K_GRAM - 1)]
        a = (
            [rng.choice(vocab) for _ in range(rng.randint(0, 40))]
            + shared
            + [rng.choice(vocab) for _ in range(20)]
        )
        b = [rng.choice(vocab) for _ in range(rng.randint(0, 40))] + shared
        assert prints(a) & prints(b)


def test_a_renamed_copy_is_the_most_similar_pair_and_starter_code_does_not_count():
    starter = fingerprint_set([document("gan.py", STARTER)])
    prints = {
        "copy-a": fingerprint_set([document("gan.py", SOLUTION_A)]),
        "copy-b": fingerprint_set([document("gan.py", SOLUTION_A_COPY)]),
        "starter-only": fingerprint_set([document("gan.py", STARTER)]),
        "other": fingerprint_set([document("gan.py", SOLUTION_B)]),
    }
    ranked = rank_pairs(prints, starter=starter)
    top = ranked[0]
    assert {top.a, top.b} == {"copy-a", "copy-b"} and top.similarity == 1.0
    assert all("starter-only" not in (p.a, p.b) for p in ranked)
    others = [p for p in ranked if {p.a, p.b} != {"copy-a", "copy-b"}]
    assert all(p.similarity < 0.1 for p in others)


def test_without_subtracting_the_starter_everyone_looks_alike():
    prints = {
        name: fingerprint_set([document("gan.py", src)])
        for name, src in (("a", SOLUTION_A), ("b", SOLUTION_B), ("s", STARTER))
    }
    ranked = rank_pairs(prints, max_share=1.0)
    assert {frozenset((p.a, p.b)) for p in ranked} == {
        frozenset("ab"),
        frozenset("as"),
        frozenset("bs"),
    }


def test_fingerprints_shared_by_most_of_the_class_are_ignored():
    common = "import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    own = [
        "def f(x):\n    return x + 1\n",
        "def g(a, b):\n    while a:\n        a -= b\n    return a\n",
        "for i in range(3):\n    print(i)\n",
        "with open(p) as fh:\n    data = fh.read().split()\n",
    ]
    prints = {
        i: fingerprint_set([document("m.py", common * 3 + src * 2)]) for i, src in enumerate(own)
    }
    ranked = rank_pairs(prints, max_share=0.5)
    assert ranked == []


def test_matching_regions_point_at_the_copied_lines_on_both_sides():
    shifted = "import os\nimport sys\n\n" + SOLUTION_A
    starter = fingerprint_set([document("gan.py", STARTER)])
    a_regions, b_regions = matching_regions(
        [document("gan.py", SOLUTION_A)], [document("gan.py", shifted)], starter=starter
    )
    assert a_regions and len(a_regions) == len(b_regions)
    for ra, rb in zip(a_regions, b_regions, strict=True):
        assert ra.match == rb.match
        assert (rb.first_line - ra.first_line, rb.last_line - ra.last_line) == (3, 3)
    covered = {n for r in a_regions for n in range(r.first_line, r.last_line + 1)}
    generator_body = (
        SOLUTION_A.splitlines().index("        self.fc = nn.Linear(latent_dim, 128 * 7 * 7)") + 1
    )
    assert generator_body in covered
    assert 1 not in covered  # the starter's docstring is not a match
