"""A shown passage recentred on the sentence the question matches best, and cut to it.

Clean passages are cut on sentence bounds and do not overlap (ingest/chunk.py), so the answer
to a question can sit just past the cut of the passage that retrieval ranked first: in the
second eval corpus raw's overlapping chunks showed the answer where clean's top passage did not
27 times, the reverse 13 times (eval/results-second/records.jsonl). Showing windows of sentences
ranked on their own catches them, but the 0.5B reads cut-out sentences badly (``show = "window"``,
eval/results: F1 0.26 vs 0.43). This keeps what the reader reads well, running source text of
its section, and moves it: the passage and its neighbours in the same section are one run of
sentences; the stretch shown is centred on the run's sentence that matches the question best
(the share of the question's word weight it holds, rarer words weighing more, plus its cosine
to the question when an encoder is given) and holds ``share`` of the passage's words.

Three settings (smallbatch/settings.py, retrieval.recentre*), measured on the bench and second
eval corpora, top_k 1, base 0.5B (eval/bench.toml, eval/second.toml):
  - recentre alone (share 1): answer shown 0.838 vs 0.802 as passages; F1 +0.033 over raw;
  - the best 5 hits first reordered by their best sentence (``by_best_sentence``): shown 0.883;
  - and a stretch of 30 % of the passage's words (~40) around that sentence: F1 0.510 vs raw
    0.408 (bench), 0.536 vs 0.414 (second corpus; never tuned on). The 0.5B reads a short,
    focused stretch much better than a 130-word passage.
Raw chunks carry no sentence spans and are left as retrieval returned them.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict

import numpy as np

from rag import neighbours
from smallbatch.records import Doc
from smallbatch.text import HAN, han_count, tokenize


class Sections:
    """A snapshot's sentence-cut passages, by (source, section), in source order, and how many
    passages each word occurs in (for weighting the question's words)."""

    KEEP = 200_000  # sentence vectors kept (~300 MB at 384 dimensions)

    def __init__(self, units: dict[str, Doc], encode=None):
        """``encode``: texts -> unit vectors (the store's embedder), to score sentences by
        meaning as well as by words; None = words only."""
        runs: dict[tuple, list[Doc]] = defaultdict(list)
        df: dict[str, int] = defaultdict(int)
        for u in units.values():
            p = neighbours.place(u)
            if p is None or not u.metadata.get("sentences"):
                continue
            runs[p[:2]].append(u)
            for w in set(tokenize(u.text)):
                df[w] += 1
        self.runs = {k: sorted(v, key=lambda u: int(u.metadata["span"][0])) for k, v in runs.items()}
        self.df = df
        self.n = sum(len(v) for v in self.runs.values())
        self.encode = encode
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors, embedded once per sentence text and kept."""
        with self._lock:
            if len(self._vectors) > self.KEEP:  # bounded: a big store's sentences, a few at a time
                self._vectors.clear()
            new = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if new:
                self._vectors.update(zip(new, self.encode(new)))
            return np.stack([self._vectors[t] for t in texts])

    def around(self, unit: Doc) -> list[Doc]:
        """The passage with the one before and the one after it, where they join it."""
        p = neighbours.place(unit)
        run = self.runs.get(p[:2]) if p else None
        if not run:
            return [unit]
        i = next((j for j, u in enumerate(run) if u.id == unit.id), None)
        if i is None:
            return [unit]
        out = [unit]
        if i > 0 and neighbours.adjacent(run[i - 1], unit):
            out.insert(0, run[i - 1])
        if i + 1 < len(run) and neighbours.adjacent(unit, run[i + 1]):
            out.append(run[i + 1])
        return out

    def weight(self, word: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(word, 0)))


def length(text: str) -> int:
    """Words, counting each Han character as one (Chinese has no spaces between words)."""
    return len(HAN.sub(" ", text).split()) + han_count(text)


def overlap(a: Doc, b: Doc) -> bool:
    """Whether two shown units, one of them a recentred stretch, share source text (two
    passages recentred onto the same sentence). Units as stored never count: raw chunks
    overlap by design."""
    if "passage" not in a.metadata and "passage" not in b.metadata:
        return False
    sa, sb = a.metadata.get("span"), b.metadata.get("span")
    if not sa or not sb or a.metadata.get("source_id") != b.metadata.get("source_id"):
        return False
    return int(sa[0]) < int(sb[1]) and int(sb[0]) < int(sa[1])


def _sentences(doc: Doc) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in doc.metadata.get("sentences") or [[0, len(doc.text)]]]


def scores(text: str, sents: list[tuple[int, int]], query: list[str], weight,
           similarity: np.ndarray | None = None) -> np.ndarray:
    """Per sentence: the share of the question's word weight it holds (rarer words weigh
    more), plus its cosine similarity to the question when given."""
    words = set(query)
    total = sum(weight(w) for w in words) or 1.0
    got = np.array([sum(weight(w) for w in words & set(tokenize(text[a:b]))) / total
                    for a, b in sents], dtype=np.float64)
    return got + similarity if similarity is not None else got


def best(text: str, sents: list[tuple[int, int]], query: list[str], weight,
         similarity: np.ndarray | None = None) -> int:
    """The sentence scoring highest (``scores``); ties go to the earliest."""
    got = scores(text, sents, query, weight, similarity)
    return max(range(len(sents)), key=lambda i: (got[i], -i))


def stretch(lengths: list[int], centre: int, budget: int) -> tuple[int, int]:
    """Sentence range [lo, hi] around ``centre`` whose word count stays within ``budget``,
    growing one sentence at a time on the shorter side (before first on a tie)."""
    lo = hi = centre
    total = lengths[centre]
    while True:
        grown = False
        for side in ((-1, 1) if centre - lo <= hi - centre else (1, -1)):
            j = lo - 1 if side < 0 else hi + 1
            if 0 <= j < len(lengths) and total + lengths[j] <= budget:
                lo, hi = (j, hi) if side < 0 else (lo, j)
                total += lengths[j]
                grown = True
                break
        if not grown:
            return lo, hi


def source_offset(run: list[Doc], pos: int) -> int:
    """Where position ``pos`` of the joined text of ``run`` (neighbours.joined: texts split by
    one newline) lies in the source document."""
    start = 0
    for u in run:
        end = start + len(u.text)
        if pos <= end:
            return int(u.metadata["span"][0]) + pos - start
        start = end + 1
    return int(run[-1].metadata["span"][1])


def similarity(doc: Doc, sents: list[tuple[int, int]], sections: Sections,
               qvec: np.ndarray | None) -> np.ndarray | None:
    if qvec is None or sections.encode is None:
        return None
    return sections.vectors([doc.text[a:z] for a, z in sents]) @ qvec


_CLOSERS = "\"'”’)]）」』 "


def is_question(sentence: str) -> bool:
    """Whether a sentence asks rather than states (ends in ``?`` or ``？``)."""
    return sentence.rstrip(_CLOSERS).endswith(("?", "？"))


def best_sentence_score(unit: Doc, sections: Sections, query: list[str],
                        qvec: np.ndarray | None = None) -> float:
    """How well the passage's best stated sentence matches the question (``scores``). A
    sentence that asks is not an answer: a page that repeats the question ("Question: Who
    introduced plague to Europe? Answer: ...") matches it best of all, and ranking on it
    lifted such a planted page to [1] (tests/integration/test_injection_real.py)."""
    sents = _sentences(unit)
    got = scores(unit.text, sents, query, sections.weight, similarity(unit, sents, sections, qvec))
    stated = [g for g, (a, z) in zip(got, sents) if not is_question(unit.text[a:z])]
    return float(max(stated, default=0.0))


def by_best_sentence(units: list[Doc], sections: Sections, query: str,
                     qvec: np.ndarray | None = None) -> list[int]:
    """Positions of ``units`` (best first by retrieval) reordered by their best sentence's
    score (questions in the text not counted); retrieval's order breaks ties. Units without
    sentence spans (raw chunks) leave the
    order as it is: a whole chunk scored as one sentence ranks worse than retrieval did
    (answer shown 0.75 vs 0.80 on bench-raw)."""
    if not all(u.metadata.get("sentences") for u in units):
        return list(range(len(units)))
    tokens = tokenize(query)
    got = [best_sentence_score(u, sections, tokens, qvec) for u in units]
    return sorted(range(len(units)), key=lambda i: (-got[i], i))


def recentre(unit: Doc, sections: Sections, query: str, qvec: np.ndarray | None = None,
             share: float = 1.0) -> Doc:
    """``unit`` as shown to the reader: a stretch of its section of ``share`` of its words,
    centred on the sentence the question matches best. At ``share`` 1 a passage that holds
    that sentence itself is shown as it is. Units without sentence spans stay as they are."""
    if not unit.metadata.get("sentences"):
        return unit
    run = sections.around(unit)
    whole = neighbours.joined(run)
    sents = _sentences(whole)
    b = best(whole.text, sents, tokenize(query), sections.weight,
             similarity(whole, sents, sections, qvec))
    own_lo = sum(len(u.text) + 1 for u in run[:run.index(unit)])
    own_hi = own_lo + len(unit.text)
    if share >= 1 and own_lo <= sents[b][0] and sents[b][1] <= own_hi:
        return unit
    lengths = [length(whole.text[a:z]) for a, z in sents]
    lo, hi = stretch(lengths, b, max(int(share * length(unit.text)), lengths[b]))
    if len(run) == 1 and (lo, hi) == (0, len(sents) - 1):
        return unit
    a, z = sents[lo][0], sents[hi][1]
    meta = {k: v for k, v in unit.metadata.items() if k not in ("sentences", "questions")}
    meta.update(span=[source_offset(run, a), source_offset(run, z)], passage=unit.id,
                recentred=[u.id for u in run])
    return Doc(id=f"{whole.id}@{lo}-{hi}", text=whole.text[a:z], metadata=meta)
