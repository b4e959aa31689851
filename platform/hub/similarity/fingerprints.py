"""Token fingerprints of Python code with winnowing (Schleimer, Wilkerson & Aiken, 2003), the
method of MOSS. Pure functions; no Django.

1. Normalise: the `tokenize` module splits the source; comments, blank lines and indentation
   bookkeeping are dropped, every identifier becomes `N`, every number `0`, every string `S`;
   keywords and operators stay. Renaming variables or changing constants changes nothing.
2. Hash every k-gram of normalised tokens (a stable hash: the same in every process).
3. Winnow: in every window of w consecutive k-gram hashes keep the minimum (the rightmost one on
   ties). Any shared run of at least w + k - 1 tokens is guaranteed to share a fingerprint.
4. The starter code's fingerprints are removed from each submission's before comparing, so code
   every student was given does not count as similarity.
"""

from __future__ import annotations

import hashlib
import io
import json
import keyword
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field

K_GRAM = 12  # tokens per k-gram: a short statement or two
WINDOW = 8  # winnowing window: matches of K_GRAM + WINDOW - 1 = 19 tokens are always found

_SKIP = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}
# FSTRING_* exist from Python 3.12: f-strings are then split into parts; fold them into `S`.
_FSTRING = {
    getattr(tokenize, n)
    for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(tokenize, n)
}


@dataclass(frozen=True)
class Token:
    text: str  # normalised
    start: tuple[int, int]  # (line, column) in the original source, lines from 1
    end: tuple[int, int]


def normalize(source: str) -> list[Token]:
    """The normalised tokens of Python source; on a syntax error, the tokens before it."""
    out: list[Token] = []
    in_fstring = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIP:
                continue
            if tok.type in _FSTRING:
                if tok.type == getattr(tokenize, "FSTRING_START", None):
                    if in_fstring == 0:
                        out.append(Token("S", tok.start, tok.end))
                    in_fstring += 1
                elif tok.type == getattr(tokenize, "FSTRING_END", None):
                    in_fstring -= 1
                continue
            if in_fstring:
                continue  # the expressions inside an f-string belong to the string
            if tok.type == tokenize.NAME:
                text = tok.string if keyword.iskeyword(tok.string) else "N"
            elif tok.type == tokenize.NUMBER:
                text = "0"
            elif tok.type == tokenize.STRING:
                text = "S"
            else:
                text = tok.string
            out.append(Token(text, tok.start, tok.end))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # unfinished code still has fingerprints up to the error
    return out


def notebook_source(text: str) -> str:
    """The code cells of a Jupyter notebook, one after the other (markdown and outputs dropped)."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    parts = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else str(src))
    # IPython magics and shell lines are not Python.
    return "\n".join(
        line for p in parts for line in p.splitlines() if not line.lstrip().startswith(("%", "!"))
    )


def _hash(texts: list[str]) -> int:
    digest = hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def kgram_hashes(tokens: list[Token], k: int = K_GRAM) -> list[int]:
    texts = [t.text for t in tokens]
    return [_hash(texts[i : i + k]) for i in range(len(texts) - k + 1)]


def winnow(hashes: list[int], w: int = WINDOW) -> list[tuple[int, int]]:
    """(hash, position) of the fingerprints: the minimum of each window, rightmost on ties, each
    position once. A document shorter than one window keeps its single minimum."""
    if not hashes:
        return []
    if len(hashes) <= w:
        i = min(range(len(hashes)), key=lambda j: (hashes[j], -j))
        return [(hashes[i], i)]
    picked: list[tuple[int, int]] = []
    last = -1
    for start in range(len(hashes) - w + 1):
        window = range(start, start + w)
        i = min(window, key=lambda j: (hashes[j], -j))
        if i != last:
            picked.append((hashes[i], i))
            last = i
    return picked


@dataclass
class Document:
    """One file: its source, tokens and fingerprints {hash: [token positions]}."""

    name: str
    source: str
    tokens: list[Token]
    fingerprints: dict[int, list[int]] = field(default_factory=dict)


def document(name: str, source: str, *, k: int = K_GRAM, w: int = WINDOW) -> Document:
    if name.endswith(".ipynb"):
        source = notebook_source(source)
    tokens = normalize(source)
    prints: dict[int, list[int]] = defaultdict(list)
    for h, pos in winnow(kgram_hashes(tokens, k), w):
        prints[h].append(pos)
    return Document(name=name, source=source, tokens=tokens, fingerprints=dict(prints))


def fingerprint_set(documents: list[Document]) -> set[int]:
    return {h for d in documents for h in d.fingerprints}


@dataclass(frozen=True)
class PairScore:
    a: object  # the key of the first submission
    b: object
    shared: int
    similarity: float  # |A ∩ B| / |A ∪ B|
    a_share: float  # |A ∩ B| / |A|: how much of A is also in B
    b_share: float


def rank_pairs(
    prints: dict[object, set[int]],
    *,
    starter: set[int] = frozenset(),
    max_share: float = 0.5,
    min_shared: int = 1,
    limit: int | None = None,
) -> list[PairScore]:
    """Every pair of submissions that shares fingerprints, most similar first.

    The starter's fingerprints are removed first. A fingerprint found in more than `max_share` of
    the submissions (and at least 3) is common idiom, not collaboration, and is ignored too (as
    MOSS's -m option does). An inverted index keeps this near-linear for unrelated submissions.
    """
    cleaned = {key: fp - starter for key, fp in prints.items()}
    index: dict[int, list[object]] = defaultdict(list)
    for key, fp in cleaned.items():
        for h in fp:
            index[h].append(key)
    too_common = max(3, int(max_share * len(cleaned)))
    shared: dict[tuple, int] = defaultdict(int)
    ignored = set()
    for h, keys in index.items():
        if len(keys) > too_common:
            ignored.add(h)
            continue
        keys = sorted(keys, key=str)
        for i, ka in enumerate(keys):
            for kb in keys[i + 1 :]:
                shared[(ka, kb)] += 1
    sizes = {key: len(fp - ignored) for key, fp in cleaned.items()}
    out = []
    for (ka, kb), n in shared.items():
        if n < min_shared:
            continue
        union = sizes[ka] + sizes[kb] - n
        out.append(
            PairScore(
                a=ka,
                b=kb,
                shared=n,
                similarity=n / union if union else 0.0,
                a_share=n / sizes[ka] if sizes[ka] else 0.0,
                b_share=n / sizes[kb] if sizes[kb] else 0.0,
            )
        )
    out.sort(key=lambda p: (-p.similarity, -p.shared, str(p.a), str(p.b)))
    return out[:limit] if limit else out


@dataclass(frozen=True)
class Region:
    """A matching region: lines first_line..last_line (1-based, inclusive) of one file."""

    document: int  # index of the file in the submission
    first_line: int
    last_line: int
    match: int  # the same number on both sides of a pair


def matching_regions(
    a_docs: list[Document],
    b_docs: list[Document],
    *,
    starter: set[int] = frozenset(),
    k: int = K_GRAM,
) -> tuple[list[Region], list[Region]]:
    """Regions of A and B covered by shared fingerprints (starter code excluded), paired by number.

    Each shared fingerprint marks the k tokens of its k-gram on both sides; consecutive marks in
    the same two files merge into one region per side, with one match number.
    """
    b_where: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bi, d in enumerate(b_docs):
        for h, positions in d.fingerprints.items():
            if h not in starter:
                b_where[h].extend((bi, p) for p in positions)
    hits = []  # (a_doc, a_pos, b_doc, b_pos)
    for ai, d in enumerate(a_docs):
        for h, positions in d.fingerprints.items():
            if h in starter or h not in b_where:
                continue
            for ap in positions:
                for bi, bp in b_where[h]:
                    hits.append((ai, ap, bi, bp))
    hits.sort()
    # Merge hits that continue a block along the same diagonal (same shift between A and B) into
    # blocks of token ranges: [a_doc, a_start, a_end, b_doc, b_start, b_end].
    blocks: list[list[int]] = []
    for ai, ap, bi, bp in hits:
        for block in reversed(blocks[-16:]):
            same_shift = abs((bp - ap) - (block[4] - block[1])) <= k
            if block[0] == ai and block[3] == bi and ap <= block[2] + 1 and same_shift:
                block[2] = max(block[2], ap + k - 1)
                block[4] = min(block[4], bp)
                block[5] = max(block[5], bp + k - 1)
                break
        else:
            blocks.append([ai, ap, ap + k - 1, bi, bp, bp + k - 1])

    # Repeated code pairs each copy with each: drop a block whose two sides both lie inside
    # other, longer blocks.
    def inside(doc, lo, hi, other_doc, other_lo, other_hi):
        return doc == other_doc and other_lo <= lo and hi <= other_hi

    kept = []
    for i, blk in enumerate(blocks):
        size = blk[2] - blk[1]
        others = [
            o
            for j, o in enumerate(blocks)
            if (o[2] - o[1]) > size or ((o[2] - o[1]) == size and j < i)
        ]
        a_covered = any(inside(blk[0], blk[1], blk[2], o[0], o[1], o[2]) for o in others)
        b_covered = any(inside(blk[3], blk[4], blk[5], o[3], o[4], o[5]) for o in others)
        if not (a_covered and b_covered):
            kept.append(blk)
    blocks = kept
    a_regions, b_regions = [], []
    for number, (ai, a0, a1, bi, b0, b1) in enumerate(blocks, start=1):
        at, bt = a_docs[ai].tokens, b_docs[bi].tokens
        a1, b1 = min(a1, len(at) - 1), min(b1, len(bt) - 1)
        a_regions.append(Region(ai, at[a0].start[0], at[a1].end[0], number))
        b_regions.append(Region(bi, bt[b0].start[0], bt[b1].end[0], number))
    return a_regions, b_regions
