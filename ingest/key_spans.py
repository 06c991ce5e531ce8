"""Point every retrieval key at the sentences of its passage that it came from.

The teacher knows which passage a fact, QA pair, summary or keyword list came from, not where in
it. Each key's span is found lexically at build time: a QA key's answer copied word for word
marks its sentence outright (the occurrence in the sentence sharing most words with the
question); otherwise the sentence sharing the largest share of the key's content words, plus an
adjacent sentence when it holds at least two, and a quarter, of the key's words the best one
lacks (a fact that joins two sentences). Retrieval shows a window of whole sentences around that span
(rag/windows.py).

A summary or keyword list describes the whole passage, not a place in it: it gets no span, and
retrieval lets the question pick the sentence, as for a hit on the passage itself. A QA key whose
answer is not in its passage word for word is dropped ("answer not in passage"): that is the
check a QA key gets instead of the grounding step's (its question's words are rightly not the
passage's, so the lexical check would drop good pairs; ingest/distill.py leaves its
``parent_text`` out).

The step also settles keys whose passage is gone: a passage that semantic dedup merged into a
near-identical one hands its keys to the one kept; a key whose passage was dropped for any other
reason is dropped ("passage dropped") — a key that points nowhere would retrieve nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.ground import _stem, content_words
from smallbatch.sentences import sentences
from ingest.steps import Drops, Step
from smallbatch.records import Doc
from smallbatch.snapshot import is_key


WHOLE_PASSAGE = ("summary", "keywords")  # keys about the passage as a whole: no span


def _words(text: str) -> set[str]:
    return {_stem(w) for w in content_words(text)}


def sentence_spans(passage: Doc) -> list[tuple[int, int]]:
    """The passage's sentence spans (set by the section chunker, else split here and kept)."""
    spans = passage.metadata.get("sentences")
    if not spans:
        spans = [list(s) for s in sentences(passage.text)] or [[0, len(passage.text)]]
        passage.metadata["sentences"] = spans
    return [(int(a), int(b)) for a, b in spans]


def _best(text: str, spans: list[tuple[int, int]], words: set[str]) -> int:
    scores = [len(words & _words(text[a:b])) for a, b in spans]
    return max(range(len(spans)), key=lambda i: (scores[i], -i))


def locate_key(text: str, spans: list[tuple[int, int]], key: str,
               answer: str = "") -> tuple[int, int]:
    """[start, end) in ``text`` of the sentence(s) ``key`` points at."""
    words = _words(key)
    low = text.casefold()
    if answer and answer.casefold() in low:
        holding = [i for i, (a, b) in enumerate(spans) if answer.casefold() in low[a:b]]
        if holding:
            i = max(holding, key=lambda j: (len(words & _words(text[spans[j][0]:spans[j][1]])),
                                            -j))
            return spans[i]
    i = _best(text, spans, words)
    lo, hi = i, i
    missing = words - _words(text[spans[i][0]:spans[i][1]])
    for j in (i - 1, i + 1):
        if missing and 0 <= j < len(spans):
            gained = missing & _words(text[spans[j][0]:spans[j][1]])
            if len(gained) >= max(2, len(words) / 4):
                lo, hi = min(lo, j), max(hi, j)
    return spans[lo][0], spans[hi][1]


class LinkKeys(Step):
    name = "link_keys"

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        units = list(docs)
        passages = {u.id: u for u in units if not is_key(u)}
        merged_into = {old: p.id for p in passages.values()
                       for old in p.metadata.get("absorbed", [])}
        for u in units:
            if not is_key(u):
                sentence_spans(u)
                yield u
                continue
            pid = u.metadata.get("parent")
            pid = pid if pid in passages else merged_into.get(pid)
            if pid is None:
                drops.add(self.name, u, "passage dropped", parent=u.metadata.get("parent"))
                continue
            p = passages[pid]
            for field in ("source_id", "source_path", "span", "header", "headings"):
                if field in p.metadata:
                    u.metadata[field] = p.metadata[field]
            u.metadata["parent"] = pid
            kind, answer = u.metadata.get("kind"), str(u.metadata.get("answer", ""))
            if kind == "qa" and answer.casefold() not in p.text.casefold():
                drops.add(self.name, u, "answer not in passage", answer=answer)
                continue
            if kind not in WHOLE_PASSAGE:
                u.metadata["key_span"] = list(locate_key(p.text, sentence_spans(p), u.text,
                                                         answer))
            yield u
