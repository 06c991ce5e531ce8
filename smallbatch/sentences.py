"""Sentence and paragraph bounds, as character spans of the text they come from: the one
sentence splitter of the product, English and Chinese (ingest cuts passages on it).

Clean passages are cut on these bounds (no chunk starts or ends inside a sentence), and the
snapshot stores each passage's sentence spans, so retrieval can show a window of whole
sentences around the place a key points at (rag/windows.py) without splitting at query time.

A rule-based splitter, deterministic and fast: a sentence ends at ``.``, ``!`` or ``?`` (closing
quotes and brackets included) followed by white space and a capital (Latin, Greek, Cyrillic), a
digit, a Han character or an opening quote; at a Chinese stop (。！？；…, with the closing quotes
and brackets after it, unless a comma follows them: then the stop was inside a bracket in the
middle of the sentence); or at a paragraph break.
Common abbreviations ("e.g.", "Dr.", "U.S.") and single initials do not end a sentence.
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"\n\s*\n")
_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9À-ÞΑ-ΩА-Я\u3400-\u9fff])"""
                  r"""|(?>(?:[。！？；]+|…+)["”’)」』）]*)(?![，、：；])""")
_ABBREV = frozenset("""e.g i.e etc vs cf al dr mr mrs ms prof st jr sr no fig eq approx ca
                       inc ltd co corp dept est gen gov jan feb mar apr jun jul aug sep sept oct
                       nov dec u.s u.k""".split())


def _is_abbreviation(text: str, dot: int) -> bool:
    """Does the "." at ``dot`` close an abbreviation or an initial rather than a sentence?"""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    return word in _ABBREV or (len(word) == 1 and word.isalpha())


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of the blank-line separated paragraphs of ``text`` (white space trimmed)."""
    spans, pos = [], 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m else len(text)
        span = _trim(text, pos, end)
        if span:
            spans.append(span)
        pos = m.end() if m else len(text)
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]`` (offsets into ``text``), never crossing a
    paragraph break."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    for p0, p1 in paragraphs(text[start:end]):
        p0, p1, pos = p0 + start, p1 + start, p0 + start
        for m in _END.finditer(text, p0, p1):
            if _is_abbreviation(text, m.start()):
                continue
            span = _trim(text, pos, m.end())
            if span:
                out.append(span)
            pos = m.end()
        span = _trim(text, pos, p1)
        if span:
            out.append(span)
    return out


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3001-\u303f\uff01-\uff60\u2018-\u201d\u2026"
_GAP = re.compile(rf" |(?<=[{_CJK}])(?=[{_CJK}])")


def breaks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where a run-on sentence in ``text[start:end]`` may be cut, as (end of the piece before,
    start of the next): at each space (which goes), and, because Chinese has no spaces, between
    two CJK characters (a cut after 、or ，lands there too)."""
    return [(m.start(), m.end()) for m in _GAP.finditer(text, start, end) if m.start() > start]
