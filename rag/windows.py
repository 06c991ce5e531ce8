"""Small-to-big: from hits on keys and passages to windows of clean source sentences.

In a source-text store (smallbatch/snapshot.py) the teacher's facts, QA pairs, summaries and
keywords are only retrieval keys; the reader is shown the passage sentences they point at. This
module maps fused hits (best first) to passage windows: a key hit marks the sentences of its
``key_span``; a passage hit marks the sentence sharing most words with the query; each mark is
widened by ``n`` sentences on each side. Several hits in one passage give one window (their
sentences united, contiguous runs merged, gaps shown as " … "), ranked where its best hit was.
The window is a ``Doc`` with the passage's provenance and its own span in the source, so the
prompt, the citations and the support check read it like any unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smallbatch.records import Doc
from smallbatch.snapshot import is_key
from smallbatch.text import tokenize

GAP = " … "


@dataclass(slots=True)
class Marks:
    """The sentences of one passage that hits point at, and the hits that did."""

    passage: Doc
    first: int  # position of its best hit in the fused list
    sentences: set[int] = field(default_factory=set)
    ids: list[str] = field(default_factory=list)


def spans(passage: Doc) -> list[tuple[int, int]]:
    got = passage.metadata.get("sentences") or [[0, len(passage.text)]]
    return [(int(a), int(b)) for a, b in got]


def overlapping(sents: list[tuple[int, int]], span: list[int]) -> set[int]:
    """Sentences overlapping ``span`` (at least the one nearest to its start)."""
    a, b = int(span[0]), int(span[1])
    hit = {i for i, (s0, s1) in enumerate(sents) if s0 < b and a < s1}
    return hit or {min(range(len(sents)), key=lambda i: abs(sents[i][0] - a))}


def best_sentence(passage: Doc, sents: list[tuple[int, int]], query: list[str]) -> int:
    words = set(query)
    scores = [len(words & set(tokenize(passage.text[a:b]))) for a, b in sents]
    return max(range(len(sents)), key=lambda i: (scores[i], -i))


def mark(units: dict[str, Doc], fused: list[str], query: str,
         limit: int | None = None) -> list[Marks]:
    """One ``Marks`` per passage the hits reach, in order of each passage's best hit. With
    ``limit``, reading stops where a hit would open passage ``limit + 1``: a passage's window
    holds the sentences of its hits ranked above every passage left out, not of every weak
    candidate that happens to point into it."""
    found: dict[str, Marks] = {}
    qtokens = tokenize(query)
    for pos, uid in enumerate(fused):
        unit = units.get(uid)
        if unit is None:
            continue
        pid = unit.metadata.get("parent") if is_key(unit) else uid
        passage = units.get(pid)
        if passage is None:  # a key whose passage is not in the store: nothing to show
            continue
        if pid not in found and limit is not None and len(found) >= limit:
            break
        sents = spans(passage)
        if is_key(unit) and unit.metadata.get("key_span"):
            idx = overlapping(sents, unit.metadata["key_span"])
        else:
            idx = {best_sentence(passage, sents, qtokens)}
        m = found.setdefault(pid, Marks(passage, pos))
        m.sentences |= idx
        m.ids.append(uid)
    return sorted(found.values(), key=lambda m: m.first)


def widen(idx: set[int], n: int, total: int) -> list[int]:
    return sorted({j for i in idx for j in range(max(0, i - n), min(total, i + n + 1))})


def runs(idx: list[int]) -> list[list[int]]:
    """Sorted indices as contiguous runs: [1, 2, 3, 6] -> [[1, 2, 3], [6]]."""
    out: list[list[int]] = []
    for i in idx:
        if out and i == out[-1][-1] + 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def window(m: Marks, n: int) -> Doc:
    """The passage's marked sentences, widened by ``n``, as a unit the reader is shown."""
    p, sents = m.passage, spans(m.passage)
    parts = runs(widen(m.sentences, n, len(sents)))
    text = GAP.join(p.text[sents[r[0]][0]:sents[r[-1]][1]] for r in parts)
    lo, hi = sents[parts[0][0]][0], sents[parts[-1][-1]][1]
    base = int((p.metadata.get("span") or [0])[0])
    meta = {k: v for k, v in p.metadata.items() if k not in ("sentences", "questions")}
    meta.update(kind="passage", passage=p.id, span=[base + lo, base + hi],
                window=[parts[0][0], parts[-1][-1]], keys=[i for i in m.ids if i != p.id])
    return Doc(id=f"{p.id}@{parts[0][0]}-{parts[-1][-1]}", text=text, metadata=meta)
