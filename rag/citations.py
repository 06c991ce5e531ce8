"""Map the citation numbers in an answer back to units and their source spans."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rag.prompt import ABSTAIN
from rag.retrieve import Hit
from smallbatch.text import tokenize

# [1] [1, 2] [1][3] [Source 2] [source 1, 4]
_CITE = re.compile(r"\[\s*(?:sources?\s*)?(\d+(?:\s*[,;]\s*(?:sources?\s*)?\d+)*)\s*\]", re.IGNORECASE)
_ABSTAIN_MARKS = ("i don't know", "i do not know", "not contain", "no information",
                  "cannot answer", "can't answer", "not mentioned", "not provided")


@dataclass(slots=True)
class Citation:
    number: int
    unit_id: str
    source_id: str
    source_path: str
    span: list[int]
    kind: str
    text: str
    method: str  # "marker": the model wrote [n]; "overlap": inferred (the model cited nothing)

    def to_json(self) -> dict:
        return asdict(self)


def cited_numbers(answer: str) -> list[int]:
    """Citation numbers in order of first appearance."""
    seen: list[int] = []
    for m in _CITE.finditer(answer):
        for n in re.findall(r"\d+", m.group(1)):
            if int(n) not in seen:
                seen.append(int(n))
    return seen


def is_abstention(answer: str) -> bool:
    low = answer.strip().lower().replace("\u2019", "'")
    return low.startswith(ABSTAIN.lower()[:12]) or any(m in low[:120] for m in _ABSTAIN_MARKS)


def _citation(n: int, hit: Hit, method: str) -> Citation:
    m = hit.unit.metadata
    return Citation(n, hit.unit.id, str(m.get("source_id", "")), str(m.get("source_path", "")),
                    list(m.get("span", [])), str(m.get("kind", "passage")), hit.unit.text, method)


def best_overlap(answer: str, hits: list[Hit]) -> int | None:
    """1-based number of the source sharing most answer words (None if none shares any)."""
    words = set(tokenize(answer))
    if not words or not hits:
        return None
    scores = [len(words & set(tokenize(h.unit.text))) for h in hits]
    best = max(range(len(hits)), key=lambda i: (scores[i], -i))
    return best + 1 if scores[best] > 0 else None


def map_citations(answer: str, hits: list[Hit]) -> tuple[list[Citation], list[int]]:
    """(citations, invalid numbers). Numbers outside 1..len(hits) are reported, not mapped.

    If the answer cites nothing and is not an abstention, the source with the largest word
    overlap is attached with method="overlap", so a reader can still check the answer.
    """
    numbers = cited_numbers(answer)
    valid = [n for n in numbers if 1 <= n <= len(hits)]
    invalid = [n for n in numbers if n not in valid]
    cites = [_citation(n, hits[n - 1], "marker") for n in valid]
    if not cites and not is_abstention(answer):
        n = best_overlap(answer, hits)
        if n is not None:
            cites = [_citation(n, hits[n - 1], "overlap")]
    return cites, invalid


def strip_markers(answer: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", _CITE.sub("", answer)).strip()
