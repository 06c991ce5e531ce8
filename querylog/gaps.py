"""What people ask that the store answers poorly, and the source passages that could fill it.

Topics: the logged (masked) questions, embedded by the snapshot's embedder, grouped by leader
clustering on cosine similarity — in log order, a question joins the topic whose centroid is most
similar if that similarity reaches the threshold, else starts a topic; a second pass moves every
question to its nearest final centroid. No seed: the same log gives the same topics. Cosine
scales differ by model (e5's unrelated questions sit near 0.8, MiniLM's near 0.2), so the
threshold is per embedder (``THRESHOLDS``, set on paraphrased and unrelated questions).

Per topic: questions, abstention rate (abstained or withdrawn), mean top cosine similarity of
retrieval as served, examples, and a gap score, questions × (abstention rate + 1 − mean
similarity) / 2: many questions, answered rarely and from far-off units, rank first.

Fill candidates: the snapshot's sources (its manifest's ``source``, or another folder), cleaned
and PII-masked as ingest does, cut into paragraphs packed to the chunk size, ranked by BM25
against the topic's questions. A passage whose word trigrams are mostly (``IN_STORE``) in the
store's units from the same source is already there and is skipped.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from querylog import log as querylog
from smallbatch import snapshot as snap
from smallbatch.pii import mask
from smallbatch.records import Doc
from smallbatch.store import KnowledgeBase
from smallbatch.text import ngrams, normalise, tokenize

# (path, problems) -> documents: ingest's loader, passed in by the caller (querylog sits below ingest)
Load = Callable[[Path, list], Iterable[Doc]]

# Cosine similarity to a topic's centroid to join it, per embedder; DEFAULT for others.
THRESHOLDS = {"all-MiniLM-L6-v2": 0.45, "multilingual-e5-small": 0.87}
DEFAULT_THRESHOLD = 0.5
IN_STORE = 0.5  # share of a passage's word trigrams found in the store's units of its source
_BLOCK = re.compile(r"\S(?:.|\n(?!\s*\n))*")  # a paragraph: up to a blank line
_WORD = re.compile(r"\S+")


@dataclass
class Passage:
    source_path: str
    span: tuple[int, int]  # [start, end) in the source's cleaned, masked text
    text: str
    score: float = 0.0


@dataclass
class Topic:
    label: str  # its most weighted terms
    questions: int
    abstention_rate: float
    mean_top_similarity: float | None
    gap: float
    examples: list[str]
    passages: list[Passage] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def cluster(vecs: np.ndarray, threshold: float) -> list[int]:
    """A topic number for each unit-length vector (numbered in order of first appearance)."""
    sums = np.zeros((len(vecs), vecs.shape[1] if vecs.ndim == 2 else 0), dtype=np.float64)
    n = 0  # topics so far
    for v in vecs:  # leader pass
        if n:
            sims = sums[:n] @ v / np.linalg.norm(sums[:n], axis=1)
            k = int(np.argmax(sims))
            if sims[k] >= threshold:
                sums[k] += v
                continue
        sums[n] = v
        n += 1
    centroids = sums[:n] / np.linalg.norm(sums[:n], axis=1, keepdims=True)
    labels = np.argmax(vecs @ centroids.T, axis=1) if n else []  # to the nearest final centroid
    renumber: dict[int, int] = {}
    return [renumber.setdefault(int(k), len(renumber)) for k in labels]


def _label(texts: list[str], n: int = 3) -> str:
    counts = Counter(g for t in texts for g in set(ngrams(t)))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], -kv[0].count(" "), kv[0]))
    words: list[str] = []
    for g, _ in top:
        if not any(set(g.split()) & set(w.split()) for w in words):  # no word twice
            words.append(g)
        if len(words) == n:
            break
    return " · ".join(words) or "(no words)"


Embed = Callable[[list[str]], np.ndarray]  # texts -> unit-length vectors, one row each


def topics(rows: list[dict], embed: Embed, threshold: float,
           examples: int = 3) -> list[tuple[Topic, list[str]]]:
    """The rows' topics, worst covered (highest gap score) first, each with its questions."""
    texts = [querylog.text_of(r) for r in rows]
    if not texts:
        return []
    groups: dict[int, list[int]] = defaultdict(list)
    for i, k in enumerate(cluster(np.asarray(embed(texts), dtype=np.float64), threshold)):
        groups[k].append(i)
    out = []
    for members in groups.values():
        rs = [rows[i] for i in members]
        abstain = sum(bool(r.get("abstained") or r.get("withdrawn")) for r in rs) / len(rs)
        sims = [r["top_similarity"] for r in rs
                if isinstance(r.get("top_similarity"), (int, float))]
        mean_sim = sum(sims) / len(sims) if sims else None
        gap = len(rs) * (abstain + 1.0 - (mean_sim or 0.0)) / 2
        asked = [texts[i] for i in members]
        topic = Topic(_label(asked), len(rs), round(abstain, 4),
                      None if mean_sim is None else round(mean_sim, 4), round(gap, 4),
                      list(dict.fromkeys(asked))[:examples])
        out.append((topic, asked))
    return sorted(out, key=lambda ta: (-ta[0].gap, -ta[0].questions, ta[0].label))


def paragraphs(text: str, max_words: int) -> list[tuple[int, int]]:
    """Spans of consecutive paragraphs packed up to ``max_words`` words; a longer paragraph is
    cut into windows of ``max_words`` words."""
    pieces: list[tuple[int, int, int]] = []  # start, end, words
    for m in _BLOCK.finditer(text):
        words = list(_WORD.finditer(m.group()))
        for w in range(0, len(words), max_words):
            part = words[w : w + max_words]
            pieces.append((m.start() + part[0].start(), m.start() + part[-1].end(), len(part)))
    spans: list[tuple[int, int]] = []
    start = end = count = None
    for s, e, n in pieces:
        if start is not None and count + n <= max_words:
            end, count = e, count + n
            continue
        if start is not None:
            spans.append((start, end))
        start, end, count = s, e, n
    if start is not None:
        spans.append((start, end))
    return spans


def source_passages(root: Path, max_words: int,
                    problems: list, load: Load) -> list[tuple[Doc, Passage]]:
    """(source doc, passage) for every passage of the sources under ``root``, cleaned and
    masked as ingest does."""
    out = []
    for doc in load(root, problems):
        text, _ = mask(normalise(doc.text))
        for s, e in paragraphs(text, max_words):
            out.append((doc, Passage(doc.metadata.get("source_path", doc.id), (s, e), text[s:e])))
    return out


def _shingles(text: str) -> set:
    toks = tokenize(text)
    return set(zip(toks, toks[1:], toks[2:])) if len(toks) >= 3 else {tuple(toks)}


class StoreText:
    """The store's word trigrams per source, built for a source when first asked."""

    def __init__(self, units: list[Doc]):
        self.by_source: dict[str, list[str]] = defaultdict(list)
        for u in units:
            self.by_source[str(u.metadata.get("source_id", ""))].append(u.text)
        self.memo: dict[str, set] = {}

    def holds(self, source_id: str, text: str) -> bool:
        if source_id not in self.memo:
            self.memo[source_id] = set().union(*map(_shingles, self.by_source.get(source_id, [])))
        sh = _shingles(text)
        return bool(sh) and len(sh & self.memo[source_id]) / len(sh) >= IN_STORE


def fill(found: list[tuple[Topic, list[str]]], candidates: list[tuple[Doc, Passage]],
         store: StoreText, per_topic: int = 3, look: int = 30) -> None:
    """Attach to each topic the best ``per_topic`` passages not in the store (BM25 on the
    topic's questions)."""
    if not candidates:
        return
    from smallbatch.bm25 import BM25Index

    index = BM25Index.build([str(i) for i in range(len(candidates))],
                            [tokenize(p.text) for _, p in candidates])
    for topic, asked in found:
        for i, score in index.search([tok for q in asked for tok in tokenize(q)], look):
            doc, p = candidates[int(i)]
            if store.holds(str(doc.metadata.get("source_id", doc.id)), p.text):
                continue
            topic.passages.append(Passage(p.source_path, p.span, p.text, round(score, 3)))
            if len(topic.passages) == per_topic:
                break


def find_gaps(rows: list[dict], units: list[Doc], source_root: Path | None, max_words: int,
              embed: Embed, threshold: float, top: int = 10,
              problems: list | None = None, load: Load | None = None) -> list[Topic]:
    """The ``top`` worst covered topics of the logged questions, with fill candidates from the
    sources under ``source_root`` (none when it is None)."""
    found = topics(rows, embed, threshold)[:top]
    if source_root is not None and found and load is not None:
        candidates = source_passages(source_root, max_words,
                                     problems if problems is not None else [], load)
        fill(found, candidates, StoreText(units))
    return [t for t, _ in found]


def report(stores: Path, kb: str, log: Path, sources: Path | None = None, top: int = 10,
           threshold: float | None = None, embedder: str = "all-MiniLM-L6-v2",
           load: Load | None = None) -> dict:
    """The gaps of ``kb``'s published snapshot from the questions of ``log`` that were asked of
    it; fill candidates from ``sources`` (default: the snapshot's own sources, when still there),
    read with ``load`` (ingest's loader; without it no fill candidates are proposed).
    Questions are embedded by the snapshot's embedder (``embedder`` if its manifest names none)."""
    from smallbatch.embed import get_embedder

    snapshot = KnowledgeBase(stores, kb).current()
    if snapshot is None:
        raise FileNotFoundError(f"kb {kb!r} has no published snapshot under {stores}")
    if not Path(log).is_file():
        raise FileNotFoundError(f"no query log at {log} (turn on SMALLBATCH_SERVE__QUERY_LOG)")
    rows, unreadable = querylog.read(log)
    asked = [r for r in rows if r.get("kb") in (None, kb)]
    manifest = snap.read_manifest(snapshot)
    units = snap.read_units(snapshot)
    given = sources or manifest.get("source")
    root = Path(given) if given and Path(given).exists() else None
    if sources and root is None:
        raise FileNotFoundError(f"sources {sources}: no such file or folder")
    problems: list = []
    max_words = manifest.get("settings", {}).get("chunk_tokens", 200)
    name = manifest.get("embedder", {}).get("name", embedder)
    threshold = THRESHOLDS.get(name, DEFAULT_THRESHOLD) if threshold is None else threshold
    found = find_gaps(asked, units, root, max_words,
                      lambda texts: get_embedder(name).encode_query(texts), threshold, top,
                      problems, load)
    return {"kb": kb, "snapshot": snapshot.name, "log": str(log), "questions": len(asked),
            "embedder": name, "threshold": threshold,
            "other_kbs": len(rows) - len(asked), "unreadable": unreadable,
            "sources": str(root) if root else None,
            "source_problems": [str(p) for p in problems],
            "topics": [t.to_json() for t in found]}


def render(report: dict, width: int = 100) -> str:
    """The report as a readable table, one block per topic."""
    head = (f"kb {report['kb']!r}, snapshot {report['snapshot']}: {report['questions']} logged "
            f"questions ({report['log']}); fill candidates from "
            f"{report['sources'] or 'nowhere: sources not found (--sources PATH)'}")
    if not report["topics"]:
        return head + "\nno questions in the log"
    lines = [head, "",
             f"{'#':>2}  {'gap':>6}  {'asked':>5}  {'abstained':>9}  {'top sim':>7}  topic"]
    for n, t in enumerate(report["topics"], start=1):
        sim = "-" if t["mean_top_similarity"] is None else f"{t['mean_top_similarity']:.2f}"
        lines.append(f"{n:>2}  {t['gap']:>6.2f}  {t['questions']:>5}  "
                     f"{t['abstention_rate']:>9.0%}  {sim:>7}  {t['label']}")
        for q in t["examples"]:
            lines.append(f"{'':>6}asked: {_clip(q, width - 13)}")
        for p in t["passages"]:
            lines.append(f"{'':>6}fill:  {p['source_path']} [{p['span'][0]}:{p['span'][1]}] "
                         f"(bm25 {p['score']:.1f})")
            lines.append(f"{'':>13}{_clip(p['text'], width - 13)}")
        if report["sources"] and not t["passages"]:
            lines.append(f"{'':>6}fill:  no source passage outside the store matches")
    return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
