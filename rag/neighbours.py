"""Neighbouring passages found together are shown as one.

Clean passages do not overlap (ingest/chunk.py ``SectionChunker``), so an answer in the first
sentence of the next passage is not in the passage the question matched best; raw chunks repeat
30 tokens at each cut and catch some of these. When a hit just below the shown ones is the
passage right before or after a shown passage (same source, same section, nothing between
them), it joins that passage instead of being dropped: the reader sees one longer stretch of
the source text, ranked where its best part was, and it takes no extra slot of ``top_k``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from smallbatch.records import Doc

if TYPE_CHECKING:
    from rag.retrieve import Hit

MAX_GAP = 16  # characters between two passages cut from one run of sentences (whitespace)


def place(unit: Doc) -> tuple[str, tuple, int, int] | None:
    """(source, section, start, end) of a passage cut on sentence bounds; None for anything
    else (keys, raw chunks, which overlap, units without provenance)."""
    m = unit.metadata
    if m.get("kind") != "passage" or "headings" not in m or not m.get("span"):
        return None
    return (str(m.get("source_id")), tuple(m["headings"]), int(m["span"][0]), int(m["span"][1]))


def adjacent(a: Doc, b: Doc) -> bool:
    pa, pb = place(a), place(b)
    if pa is None or pb is None or pa[:2] != pb[:2]:
        return False
    first, second = sorted((pa, pb), key=lambda p: p[2])
    return 0 <= second[2] - first[3] <= MAX_GAP


def joined(parts: list[Doc]) -> Doc:
    """Passages of one section in source order as one unit: their texts, their sentence spans
    rebased, the first one's header and provenance, the span of the whole stretch."""
    if len(parts) == 1:
        return parts[0]
    parts = sorted(parts, key=lambda u: int(u.metadata["span"][0]))
    text, sents = "", []
    for u in parts:
        if text:
            text += "\n"
        base = len(text)
        sents += [[base + a, base + b] for a, b in u.metadata.get("sentences") or [[0, len(u.text)]]]
        text += u.text
    meta = dict(parts[0].metadata)
    meta.update(span=[parts[0].metadata["span"][0], parts[-1].metadata["span"][1]], sentences=sents,
                joined=[u.id for u in parts])
    return Doc(id="+".join(u.id for u in parts), text=text, metadata=meta)


def merge(hits: list[Hit], top_k: int, reach: int) -> list[Hit]:
    """The first ``top_k`` hits, each joined by the neighbours of its passage found among the
    next ``reach`` hits (a neighbour of a neighbour too). ``hits`` are best first."""
    if reach <= 0:
        return hits[:top_k]
    shown: list[list[Hit]] = []
    for h in hits[:top_k + reach]:
        home = next((g for g in shown if any(adjacent(h.unit, o.unit) for o in g)), None)
        if home is not None:
            home.append(h)
        elif len(shown) < top_k:
            shown.append([h])
    out = []
    for group in shown:
        best = group[0]
        sims = [x.similarity for x in group if x.similarity is not None]
        out.append(replace(best, unit=joined([x.unit for x in group]),
                           similarity=max(sims) if sims else None))
    return out
