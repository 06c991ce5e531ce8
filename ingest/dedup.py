"""Duplicate removal: exact copies by content hash; near copies with MinHash-LSH (Broder 1997;
datasketch's MinHash and MinHashLSH).

Exact dedup misses the copies that matter most in a scraped corpus: the same article with a
changed date, a fixed typo or a different footer. Each doc becomes a set of word n-gram shingles;
MinHash estimates the Jaccard similarity of two sets, and LSH finds the candidate pairs without
comparing every doc with every other. Seeds are fixed, so a rebuild drops the same docs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ingest.steps import Drops, Filter, Step
from smallbatch.records import Doc, content_hash

# A token is one CJK character or a run of other word characters: Chinese has no spaces, so
# "words" there are characters and n-gram shingles become character n-grams.
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

SEED = 1  # fixed: the permutations, hence every estimate, are the same on every run


class ExactDedup(Filter):
    """Drop a doc whose cleaned text is identical to one already seen; the kept copy records it."""

    name = "exact_dedup"
    per_record = False  # remembers every text it has seen

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        self.seen: dict[str, Doc] = {}  # content hash -> the doc kept
        return super().run(docs, drops)

    def keep(self, doc: Doc) -> bool | tuple:
        keeper = self.seen.setdefault(content_hash(doc.text), doc)
        if keeper is doc:
            return True
        keeper.metadata.setdefault("absorbed", []).append(doc.metadata.get("source_path"))
        return False, "exact duplicate", {"kept": keeper.id}


def shingles(text: str, size: int) -> set[str]:
    """The set of lower-cased word ``size``-grams of ``text``.

    A text with fewer than ``size`` words is one shingle (all of it), so very short docs are
    compared as a whole instead of producing an empty set that matches nothing.
    """
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < size:
        return {" ".join(tokens) or text.strip()}
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


class NearDedup(Step):
    """Drop docs whose estimated Jaccard similarity to a kept doc is at least ``threshold``.

    Of each group of near duplicates the longest text is kept (ties: the first seen), since the
    longer copy usually holds everything the shorter one does. That needs the whole group, so
    the step runs in two passes: sign and index every doc, then visit docs longest first; an
    unclaimed doc becomes a keeper and claims every unclaimed LSH candidate that is similar
    enough *to it*. Claiming by the keeper (not by chains of pairs) means every dropped doc is
    within ``threshold`` of the doc that replaced it. Kept docs come out in input order.
    """

    name = "near_dedup"

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, shingle_words: int = 5):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if num_perm < 16:
            raise ValueError(f"num_perm must be >= 16, got {num_perm}")
        if shingle_words < 1:
            raise ValueError(f"shingle_words must be >= 1, got {shingle_words}")
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words

    def signature(self, text: str):
        from datasketch import MinHash

        sig = MinHash(num_perm=self.num_perm, seed=SEED)
        sig.update_batch([s.encode("utf-8") for s in shingles(text, self.shingle_words)])
        return sig

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        from datasketch import MinHashLSH

        docs = list(docs)
        sigs = [self.signature(doc.text) for doc in docs]
        # Tuned for recall: every candidate is checked against the estimate below, so a false
        # positive costs one comparison while a false negative is a missed copy. (datasketch's
        # default 50/50 weights find a pair lying at 0.8 only 40 % of the time with 128 perms.)
        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm, weights=(0.05, 0.95))
        for i, sig in enumerate(sigs):
            lsh.insert(i, sig)

        keeper_of: dict[int, int] = {}  # doc index -> index of the doc kept in its place
        similarity: dict[int, float] = {}
        for i in sorted(range(len(docs)), key=lambda i: (-len(docs[i].text), i)):
            if i in keeper_of:
                continue
            keeper_of[i] = i
            for j in sorted(lsh.query(sigs[i])):
                if j in keeper_of:
                    continue
                jaccard = sigs[i].jaccard(sigs[j])
                if jaccard >= self.threshold:
                    keeper_of[j] = i
                    similarity[j] = jaccard

        for j, doc in enumerate(docs):  # input order, so each keeper lists its absorbed in order
            i = keeper_of[j]
            if i == j:
                continue
            absorbed = docs[i].metadata.setdefault("absorbed", [])
            absorbed.append(doc.metadata.get("source_path"))
            absorbed.extend(doc.metadata.get("absorbed", []))  # what this copy had absorbed itself
            drops.add(self.name, doc, "near duplicate", kept=docs[i].id,
                      similarity=round(similarity[j], 3))
        for j, doc in enumerate(docs):
            if keeper_of[j] == j:
                yield doc
