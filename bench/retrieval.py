"""Retrieval at scale: latency against the references, quality on SQuAD, Chinese, first query.

    nice -n 10 .venv/bin/python -m bench.retrieval   # writes bench/results/retrieval.json
        [--sizes 10000,100000] [--only en|zh] [--cache ~/.cache/smallbatch/bench]

Stores of N units: every SQuAD v1.1 dev paragraph (the units of stores/squad-raw, with their real
MiniLM vectors) plus Debian documentation units (bench/retrieval_corpus.py); vectors as
bench/retrieval_vectors.py explains. Per store, p50/p95 over the same SQuAD questions of: the
query embedding alone, BM25 alone (bm25s, and rank-bm25 as reference), vector search alone, the
hybrid Retriever.search (embedding included, query cache off), and LlamaIndex's
QueryFusionRetriever over the same units; recall@5 and MRR per method; BM25 parity (top-10 ids
and scores against rank-bm25). Weightings and the rerank stage are compared on a store whose
vectors are all real. Heavy and long (about an hour on 2 busy cores); not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rag.fusion import weighted_rrf
from rag.retrieve import Retriever
from rag.open_snapshot import Snapshot
from smallbatch.gitinfo import git_commit
from smallbatch.records import Doc
from smallbatch.settings import RetrievalSettings
from smallbatch.text import tokenize

ROOT = Path(__file__).resolve().parents[1]

N = 20  # candidates per ranking, as RetrievalSettings.candidates
K = 5  # recall@K
WEIGHTINGS = [(1, 0), (0, 1), (1, 1), (1, 2), (2, 1), (1, 3), (3, 1)]  # (bm25, vector)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--only", choices=["en", "zh"], help="run one part; the JSON keeps the other")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "smallbatch" / "bench")
    p.add_argument("--squad", type=Path, default=ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json")
    p.add_argument("--squad-store", type=Path, default=ROOT / "stores" / "squad-raw" / "current")
    p.add_argument("--queries", type=int, default=200, help="latency questions per store")
    p.add_argument("--slow-queries", type=int, default=30, help="for rank-bm25 and LlamaIndex")
    p.add_argument("--quality-queries", type=int, default=300)
    p.add_argument("--rerank-queries", type=int, default=20)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (1: two threads busy-wait when the cores are shared)")
    p.add_argument("--real-filler", type=int, default=200, help="Debian units embedded for real")
    p.add_argument("--zh-units", type=int, default=200, help="Chinese units in the mixed store")
    p.add_argument("--zh-en-units", type=int, default=100, help="English SQuAD units in it")
    p.add_argument("--zh-questions", type=int, default=80)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "retrieval.json")
    p.add_argument("--first-query", type=Path, help=argparse.SUPPRESS)  # child process mode
    p.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def pct(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"p50_ms": round(float(np.percentile(a, 50)), 3),
            "p95_ms": round(float(np.percentile(a, 95)), 3), "n": len(a)}


def timed(fn, items, desc: str) -> tuple[list, list[float]]:
    out, ms = [], []
    for item in tqdm(items, desc=desc, unit="q", leave=False):
        t = time.perf_counter()
        out.append(fn(item))
        ms.append((time.perf_counter() - t) * 1000)
    return out, ms


def hardware() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    import os

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}; "
            f"load average {os.getloadavg()[0]:.1f} at start (shared with the model servers)")


def build_store(folder: Path, units: list[Doc], vectors: np.ndarray, embedder: str) -> Snapshot:
    from smallbatch.snapshot import is_complete, write_snapshot

    if not is_complete(folder):
        folder.mkdir(parents=True, exist_ok=True)
        write_snapshot(folder, units, vectors, {"id": folder.name, "units": len(units),
                                                "embedder": {"name": embedder,
                                                             "dim": vectors.shape[1]}}, [])
    return Snapshot.open(folder)


def recall_mrr(ranked: list[list[str]], gold: list[str], source_of: dict) -> dict:
    hits, rr = 0, 0.0
    for ids, g in zip(ranked, gold):
        ranks = [r for r, i in enumerate(ids, start=1) if source_of.get(i) == g]
        hits += bool(ranks) and ranks[0] <= K
        rr += 1.0 / ranks[0] if ranks else 0.0
    return {f"recall@{K}": round(hits / len(gold), 4), "mrr": round(rr / len(gold), 4)}


def fuse(bm25: list, vec: list, wb: float, wv: float, k: int = 60) -> list[str]:
    return [i for i, _ in weighted_rrf({"bm25": [i for i, _ in bm25], "vector": [i for i, _ in vec]},
                                       {"bm25": wb, "vector": wv}, k=k)]


def questions_for(squad: Path, gold_sources: set[str], n: int, seed: int = 7) -> list[dict]:
    from bench.retrieval_corpus import squad_units

    _, qs = squad_units(squad)
    qs = [{"question": q["question"], "gold": q["gold"].removeprefix("squad:")} for q in qs]
    qs = [q for q in qs if q["gold"] in gold_sources]
    rng = np.random.default_rng(seed)
    return [qs[i] for i in rng.permutation(len(qs))[:n]]


def query_vectors(embedder, texts: list[str], path: Path) -> np.ndarray:
    import hashlib

    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
    f = path.with_name(f"{path.stem}-{key}.npy")
    if f.exists():
        return np.load(f)
    vecs = np.vstack([embedder.encode_query([t]) for t in tqdm(texts, desc="embed questions")])
    np.save(f, vecs)
    return vecs


def measure_store(name: str, snap: Snapshot, units, vectors, embedder, qs, qvecs, args) -> dict:
    """Latency of every method and recall per method on one store."""
    from rank_bm25 import BM25Okapi

    from bench.retrieval_llamaindex import fusion_retriever
    from smallbatch.snapshot import index_text

    texts = [q["question"] for q in qs]
    lat_q = texts[: args.queries]
    slow_q = texts[: args.slow_queries]
    source_of = {u.id: u.metadata.get("source_id") for u in units}
    gold = [q["gold"] for q in qs]
    res: dict = {"units": len(units), "latency": {}, "quality": {}}
    L = res["latency"]

    _, L["query_embedding"] = timed(lambda q: embedder.encode_query([q]), lat_q, "embed")
    bm25_lists, L["bm25_bm25s"] = timed(lambda q: snap.bm25_search(tokenize(q), N), texts, "bm25s")
    L["bm25_bm25s"] = L["bm25_bm25s"][: args.queries]
    vec_lists, ms = timed(lambda v: snap.vector_search(v, N), list(qvecs), "vector")
    L["vector"] = ms[: args.queries]
    cfg = RetrievalSettings(query_cache_size=0)
    retriever = Retriever(snap, embedder, cfg)
    _, L["hybrid"] = timed(lambda q: retriever.search(q), lat_q, "hybrid")

    t = time.perf_counter()
    okapi = BM25Okapi([tokenize(index_text(u)) or ["<empty>"] for u in tqdm(units, desc="rank-bm25 index")])
    res["rank_bm25_build_s"] = round(time.perf_counter() - t, 1)

    def reference(q):
        s = np.asarray(okapi.get_scores(tokenize(q)))
        top = np.argpartition(-s, N - 1)[:N]
        top = top[np.lexsort((top, -s[top]))]
        return [(units[i].id, float(s[i])) for i in top if s[i] > 0]

    ref_lists, L["bm25_rank_bm25"] = timed(reference, slow_q, "rank-bm25")
    res["bm25_parity"] = parity(bm25_lists[: len(ref_lists)], ref_lists)
    okapi = None  # free it before LlamaIndex builds

    t = time.perf_counter()
    li = fusion_retriever(units, vectors, embedder, args.cache / "llamaindex" / name, N, K)
    res["llamaindex_build_s"] = round(time.perf_counter() - t, 1)
    li_lists, L["llamaindex_fusion"] = timed(lambda q: [n.node.node_id for n in li.retrieve(q)],
                                             slow_q, "llamaindex")
    li = None

    Q = res["quality"]
    Q["bm25"] = recall_mrr([[i for i, _ in r] for r in bm25_lists], gold, source_of)
    Q["vector"] = recall_mrr([[i for i, _ in r] for r in vec_lists], gold, source_of)
    Q["hybrid_1_1"] = recall_mrr([fuse(b, v, 1, 1) for b, v in zip(bm25_lists, vec_lists)], gold, source_of)
    Q["llamaindex_fusion"] = recall_mrr(li_lists, gold[: len(li_lists)], source_of)
    Q["hybrid_1_1_same_questions_as_llamaindex"] = recall_mrr(
        [fuse(b, v, 1, 1) for b, v in zip(bm25_lists, vec_lists)][: len(li_lists)],
        gold[: len(li_lists)], source_of)
    res["latency"] = {k: pct(v) for k, v in L.items()}
    lat = res["latency"]
    res["ratios"] = {
        "hybrid_p50_over_embed_p50": round(lat["hybrid"]["p50_ms"] / lat["query_embedding"]["p50_ms"], 3),
        "llamaindex_fusion_p50_over_hybrid_p50": round(
            lat["llamaindex_fusion"]["p50_ms"] / lat["hybrid"]["p50_ms"], 2),
        "rank_bm25_p50_over_bm25_p50": round(
            lat["bm25_rank_bm25"]["p50_ms"] / lat["bm25_bm25s"]["p50_ms"], 1),
    }
    return res


def parity(fast: list[list], ref: list[list], tol: float = 1e-4) -> dict:
    same_ids = sum([i for i, _ in f[:10]] == [i for i, _ in r[:10]] for f, r in zip(fast, ref))
    diffs = [abs(a - b) / max(1.0, abs(b)) for f, r in zip(fast, ref)
             for (_, a), (_, b) in zip(f[:10], r[:10])]
    worst = max(diffs, default=0.0)
    return {"queries": len(ref), "top10_ids_identical": same_ids, "max_rel_score_diff": worst,
            "pass": same_ids == len(ref) and worst <= tol}


def weightings(snap: Snapshot, units, qs, qvecs, args) -> dict:
    """The weighting sweep and the rerank stage on a store whose vectors are all real."""
    from rag.rerank import EmbeddingReranker
    from rag.retrieve import Hit
    from smallbatch.embed import get_embedder

    source_of = {u.id: u.metadata.get("source_id") for u in units}
    gold = [q["gold"] for q in qs]
    bm25 = [snap.bm25_search(tokenize(q["question"]), N) for q in tqdm(qs, desc="bm25")]
    vec = [snap.vector_search(v, N) for v in tqdm(qvecs, desc="vector")]
    out = {"units": len(units), "questions": len(qs), "rankings": {}}
    for k in (20, 60):
        for wb, wv in WEIGHTINGS:
            ranked = [fuse(b, v, wb, wv, k) for b, v in zip(bm25, vec)]
            out["rankings"][f"bm25={wb} vector={wv} rrf_k={k}"] = recall_mrr(ranked, gold, source_of)
    m = args.rerank_queries
    fused = [fuse(b, v, 1, 1)[:10] for b, v in zip(bm25[:m], vec[:m])]
    reranker = EmbeddingReranker(get_embedder("multilingual-e5-small"))
    ranked, ms = timed(lambda p: [h.unit.id for h in reranker.rerank(
        qs[p[0]]["question"], [Hit(snap.units[i], 0, None, None, None) for i in p[1]])],
        list(enumerate(fused)), "rerank")
    out["rerank_e5_top10_of_bm25=1_vector=1"] = {
        **recall_mrr(ranked, gold[:m], source_of), **pct(ms),
        "without_rerank_same_questions": recall_mrr(fused, gold[:m], source_of)}
    return out


def first_query(store: Path, cold: bool) -> dict:
    """Child process: open a store, build the retriever, time the first and later searches."""
    from smallbatch.embed import get_embedder

    t0 = time.perf_counter()
    snap = Snapshot.open(store)
    opened = time.perf_counter() - t0
    embedder = get_embedder(snap.manifest["embedder"]["name"])
    embedder.encode_query(["load the model"])  # model loading is not retrieval's cost
    t = time.perf_counter()
    r = Retriever(snap, embedder, RetrievalSettings(query_cache_size=0), warm=not cold)
    built = time.perf_counter() - t
    qs = ["Which NFL team represented the AFC at Super Bowl 50?",
          "How do I create a new database in PostgreSQL?"] + [f"question number {i} about pages"
                                                             for i in range(20)]
    ms = []
    for q in qs:
        t = time.perf_counter()
        r.search(q)
        ms.append((time.perf_counter() - t) * 1000)
    return {"open_s": round(opened, 3), "retriever_init_s": round(built, 3),
            "first_query_ms": round(ms[0], 1), "steady_p50_ms": round(float(np.median(ms[2:])), 1)}


def run_first_query(store: Path, threads: int) -> dict:
    out = {}
    for mode in ("warm", "cold"):
        cmd = [sys.executable, "-m", "bench.retrieval", "--first-query", str(store),
               "--threads", str(threads)]
        cmd += ["--cold"] if mode == "cold" else []
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        out[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def english(args, report: dict) -> None:
    from bench.retrieval_corpus import load_or_build
    from bench.retrieval_vectors import fit_proxy, real_vectors, squad_store, token_means
    from smallbatch.embed import get_embedder

    embedder = get_embedder("all-MiniLM-L6-v2")
    squad_u, squad_v = squad_store(args.squad_store, args.cache)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, _ = load_or_build(args.cache, args.squad, max(sizes))
    filler = [Doc(r["id"], r["text"], {"source_id": r["id"], "source": r["source"]})
              for r in rows if r["source"] != "squad"][: max(sizes) - len(squad_u)]
    real_n = args.real_filler
    real_v = real_vectors(embedder, [u.text for u in filler[:real_n]],
                          args.cache / f"filler-real-{real_n}.npy")
    x_real = token_means(embedder, [u.text for u in squad_u + filler[:real_n]])
    proxy, stats = fit_proxy(x_real, np.vstack([squad_v, real_v]))
    proxy_v = proxy(token_means(embedder, [u.text for u in filler[real_n:]]))
    all_u, all_v = squad_u + filler, np.vstack([squad_v, real_v, proxy_v])
    report["vectors"] = {"squad_units_real": len(squad_u), "filler_real": real_n,
                         "filler_proxy": len(filler) - real_n, "proxy_fit": stats}

    gold_sources = {u.metadata["source_id"] for u in squad_u}
    qs = questions_for(args.squad, gold_sources, args.quality_queries)
    qvecs = query_vectors(embedder, [q["question"] for q in qs], args.cache / "qvecs.npy")

    real_store = build_store(args.cache / "stores" / f"real-{len(squad_u) + real_n}",
                             all_u[: len(squad_u) + real_n], all_v[: len(squad_u) + real_n],
                             embedder.name)
    report["weightings"] = weightings(real_store, all_u[: len(squad_u) + real_n], qs, qvecs, args)
    report["sizes"] = {}
    for size in sizes:
        name = f"n{size}"
        snap = build_store(args.cache / "stores" / name, all_u[:size], all_v[:size], embedder.name)
        report["sizes"][str(size)] = measure_store(name, snap, all_u[:size], all_v[:size], embedder,
                                                   qs, qvecs, args)
        if size == 100_000:
            report["first_query_100k"] = run_first_query(args.cache / "stores" / name, args.threads)
        save(report, args.out)


def save(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    s = report.get("sizes", {}).get("100000")
    if s:
        report["at_100k"] = {**s["ratios"], "bm25_parity": s["bm25_parity"],
                             "recall_at_5": {k: v[f"recall@{K}"] for k, v in s["quality"].items()}}
        w = report.get("weightings", {}).get("rankings")
        if w:  # the 100k store's vectors are mostly proxies (see "vectors")
            report["at_100k"]["recall_at_5_real_vector_store"] = {
                name: w[f"bm25={b} vector={v} rrf_k=60"][f"recall@{K}"]
                for name, (b, v) in {"bm25": (1, 0), "vector": (0, 1), "hybrid_1_1": (1, 1)}.items()}
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    from bench.retrieval_plot import plot

    if report.get("sizes"):
        plot(report, out.with_suffix(".png"))


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    if args.first_query:
        print(json.dumps(first_query(args.first_query, args.cold)))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    report = json.loads(args.out.read_text()) if args.out.exists() and args.only else {}
    report.update({"command": "nice -n 10 .venv/bin/python -m bench.retrieval",
                   "git_commit": git_commit(), "hardware": hardware(),
                   "date": time.strftime("%Y-%m-%d", time.gmtime()), "torch_threads": args.threads})
    if args.only != "zh":
        english(args, report)
    if args.only != "en":
        from bench.retrieval_zh import chinese

        report["chinese"] = chinese(args)
    save(report, args.out)
    print(json.dumps(report.get("at_100k", {}), indent=2))


if __name__ == "__main__":
    main()
