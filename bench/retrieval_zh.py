"""Chinese and mixed-language retrieval: Debian's Chinese documentation plus English SQuAD units
in one store.

Units: debian-handbook (zh-CN HTML) and manpages-zh (zh_CN man pages), split as in
bench/retrieval_corpus.py, plus SQuAD paragraphs (English). Each unit's language comes from
smallbatch.lang.detect_lang, checked against where the unit came from.

Questions: the Chinese ones are *generated from the units*: a sentence of 15-80 Han characters
is picked (seeded) from a unit and its middle 60 % is the query; gold is every unit holding that
text (known-item search, no paraphrase: an easier task than real questions). The English ones
are SQuAD questions about the SQuAD units in the store.
Methods: BM25 with jieba and without (the old tokeniser: one token per run of Han characters),
vectors from multilingual-e5-small and from all-MiniLM-L6-v2 (English-only), and the hybrid.
"""

from __future__ import annotations

import random
import re

import numpy as np
from tqdm import tqdm

from rag.fusion import weighted_rrf
from smallbatch.bm25 import BM25Index
from smallbatch.lang import detect_lang
from smallbatch.records import Doc
from smallbatch.text import STOPWORDS, tokenize

K, N = 5, 20
_SENTENCE = re.compile(r"[^。！？；\n]+")


def old_tokenize(text: str) -> list[str]:
    """The tokeniser before jieba: every run of word characters is one token."""
    return [t for t in re.findall(r"\w+", text.lower()) if t not in STOPWORDS]


def zh_questions(units: list[Doc], n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out: list[dict] = []
    pool = [u for u in units if u.metadata["source"] != "squad"]
    rng.shuffle(pool)
    for u in pool:
        sents = [s.strip() for s in _SENTENCE.findall(u.text)
                 if 15 <= len(re.findall(r"[\u4e00-\u9fff]", s)) <= 80]
        if not sents:
            continue
        s = rng.choice(sents)
        cut = int(len(s) * 0.2)
        q = s[cut: len(s) - cut].strip()
        out.append({"question": q, "lang": "zh", "gold": {v.id for v in units if q in v.text}})
        if len(out) == n:
            break
    return out


def score(ranked: list[list[str]], gold: list[set]) -> dict:
    hits = rr = 0.0
    for ids, g in zip(ranked, gold):
        ranks = [r for r, i in enumerate(ids, start=1) if i in g]
        hits += bool(ranks) and ranks[0] <= K
        rr += 1 / ranks[0] if ranks else 0
    return {f"recall@{K}": round(hits / len(gold), 4), "mrr": round(rr / len(gold), 4), "n": len(gold)}


def vector_ranks(units: list[Doc], vecs: np.ndarray, qvecs: np.ndarray) -> list[list[str]]:
    sims = qvecs @ vecs.T  # exact search: a 1,000-unit store needs no index for this comparison
    return [[units[i].id for i in np.argsort(-row, kind="stable")[:N]] for row in sims]


def chinese(args) -> dict:
    import json

    from bench.retrieval_corpus import CHINESE, doc_units, squad_units
    from smallbatch.embed import get_embedder
    from smallbatch.snapshot import index_text

    zh_rows = doc_units(args.cache, CHINESE, han=True, limit=args.zh_units)
    en_rows, en_qs = squad_units(args.squad)
    en_rows = [en_rows[i] for i in random.Random(7).sample(range(len(en_rows)), args.zh_en_units)]
    units = [Doc(r["id"], r["text"], {"source": r["source"], "lang": detect_lang(r["text"])})
             for r in zh_rows + en_rows]
    expected = {u.id: "en" if u.metadata["source"] == "squad" else "zh" for u in units}
    lang_ok = sum(u.metadata["lang"] == expected[u.id] for u in units)

    en_ids = {r["id"] for r in en_rows}
    qs = zh_questions(units, args.zh_questions)
    qs += [{"question": q["question"], "lang": "en", "gold": {q["gold"]}}
           for q in en_qs if q["gold"] in en_ids][: args.zh_questions // 2]
    texts = [q["question"] for q in qs]

    ids = [u.id for u in units]
    rankings: dict[str, list[list[str]]] = {}
    for name, tok in (("bm25_jieba", tokenize), ("bm25_no_jieba", old_tokenize)):
        index = BM25Index.build(ids, [tok(index_text(u)) for u in units])
        rankings[name] = [[i for i, _ in index.search(tok(q), N)] for q in texts]
    for name in ("multilingual-e5-small", "all-MiniLM-L6-v2"):
        emb = get_embedder(name)
        path = args.cache / f"zh-{name}-{len(units)}.npy"
        if path.exists():
            vecs = np.load(path)
        else:
            vecs = emb.encode([index_text(u) for u in units], batch_size=16, progress=True)
            np.save(path, vecs)
        qv = np.vstack([emb.encode_query([t]) for t in tqdm(texts, desc=f"questions {name}")])
        rankings[f"vector_{name}"] = vector_ranks(units, vecs, qv)
    for vec in ("multilingual-e5-small", "all-MiniLM-L6-v2"):
        rankings[f"hybrid_bm25_jieba+{vec}"] = [
            [i for i, _ in weighted_rrf({"b": b, "v": v}, {"b": 1.0, "v": 1.0})]
            for b, v in zip(rankings["bm25_jieba"], rankings[f"vector_{vec}"])]

    out = {"units": {"zh": len(zh_rows), "en": len(en_rows)},
           "lang_detection_correct": f"{lang_ok}/{len(units)}",
           "questions": {"zh_generated_from_unit_sentences": sum(q["lang"] == "zh" for q in qs),
                         "en_squad": sum(q["lang"] == "en" for q in qs)},
           "example_zh_questions": [q["question"] for q in qs[:3]],
           "methods": {}}
    for name, ranked in rankings.items():
        out["methods"][name] = {lang: score([r for r, q in zip(ranked, qs) if q["lang"] == lang],
                                            [q["gold"] for q in qs if q["lang"] == lang])
                                for lang in ("zh", "en")}
    print(json.dumps(out["methods"], indent=1))
    return out
