"""Map the citation numbers in an answer back to units and their source spans."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rag.prompt import ABSTAIN
from rag.retrieve import Hit

# [1] [1, 2] [1][3] [Source 2] [source 1, 4]
CITE = re.compile(r"\[\s*(?:sources?\s*)?(\d+(?:\s*[,;]\s*(?:sources?\s*)?\d+)*)\s*\]", re.IGNORECASE)
_ABSTAIN_MARKS = ("i don't know", "i do not know", "not contain", "no information",
                  "cannot answer", "can't answer", "not mentioned", "not provided")
# The same in Chinese, for a model that translates the abstention sentence (the prompt asks for
# the English one verbatim). Looked for in the first sentence only, and one that cites a source
# is no abstention: 「如果不知道软件包的名字，可以用 apt-cache search [1]」 is advice.
_ABSTAIN_MARKS_ZH = ("不知道", "无法回答", "资料中没有", "未提及", "没有提到", "无法根据",
                     "没有提供", "未提供", "不清楚")
_FIRST_SENTENCE_ZH = re.compile(r"[^。！？!?\n]{0,60}")


@dataclass(slots=True)
class Citation:
    number: int
    unit_id: str
    source_id: str
    source_path: str
    span: list[int]
    kind: str
    text: str
    method: str  # "marker": the model wrote [n]; "support": the support check found the source

    def to_json(self) -> dict:
        return asdict(self)


def cited_numbers(answer: str) -> list[int]:
    """Citation numbers in order of first appearance."""
    seen: list[int] = []
    for m in CITE.finditer(answer):
        for n in re.findall(r"\d+", m.group(1)):
            if int(n) not in seen:
                seen.append(int(n))
    return seen


def is_abstention(answer: str) -> bool:
    low = answer.strip().lower().replace("\u2019", "'")
    if low.startswith(ABSTAIN.lower()[:12]) or any(m in low[:120] for m in _ABSTAIN_MARKS):
        return True
    first = _FIRST_SENTENCE_ZH.match(low).group()
    return not CITE.search(first) and any(m in first for m in _ABSTAIN_MARKS_ZH)


def _citation(n: int, hit: Hit, method: str) -> Citation:
    m = hit.unit.metadata
    return Citation(n, hit.unit.id, str(m.get("source_id", "")), str(m.get("source_path", "")),
                    list(m.get("span", [])), str(m.get("kind", "passage")), hit.unit.text, method)


def map_citations(answer: str, hits: list[Hit],
                  found: list[int] | None = None) -> tuple[list[Citation], list[int]]:
    """(citations, invalid numbers). Numbers outside 1..len(hits) are reported, not mapped.

    ``found``: the sources the support check (rag/faithful.py) found for claims the model did
    not cite; they are attached with method="support", so every claim has a source to check.
    """
    numbers = cited_numbers(answer)
    valid = [n for n in numbers if 1 <= n <= len(hits)]
    invalid = [n for n in numbers if n not in valid]
    cites = [_citation(n, hits[n - 1], "marker") for n in valid]
    if not is_abstention(answer):
        cites += [_citation(n, hits[n - 1], "support") for n in dict.fromkeys(found or [])
                  if 1 <= n <= len(hits) and n not in valid]
    return cites, invalid


def strip_markers(answer: str) -> str:
    """The answer without its markers; the space a marker leaves before a stop goes, but not the
    one before a dot that starts a word (".deb", ".bashrc")."""
    return re.sub(r"\s+([.,;:!?])(?=\s|$)", r"\1", CITE.sub("", answer)).strip()
