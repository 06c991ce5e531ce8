"""Where a question's time goes: py-spy samples of smallbatch's hybrid search and of LlamaIndex's
QueryFusionRetriever on a benchmark store (built by bench.retrieval).

    nice -n 10 .venv/bin/python -m bench.retrieval_profile [--store ~/.cache/smallbatch/bench/stores/n10000]

Each method runs in its own child process under `py-spy record --format raw`; only samples
inside the query loop count. Every sample is put in one bucket by the first matching frame
(query embedding, vector search, BM25, fusion, LlamaIndex's own code, other) and the shares are
written to bench/results/retrieval.json under "profile".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# bucket -> substrings of a frame; the first bucket with a matching frame wins
BUCKETS = [
    ("query embedding", ("encode_query", "_get_query_embedding", "sentence_transformers", "torch")),
    ("vector search (chroma)", ("vector_search", "chromadb", "vector_stores/chroma")),
    ("bm25", ("bm25",)),
    ("fusion", ("weighted_rrf", "_reciprocal_rerank_fusion")),
    ("llamaindex other", ("llama_index",)),
]


def bucket(stack: str) -> str:
    for name, needles in BUCKETS:
        if any(n in stack for n in needles):
            return name
    return "other"


def child(store: Path, mode: str, n: int) -> None:
    import numpy as np
    import torch

    from bench.retrieval import questions_for
    from rag.retrieve import Retriever
    from rag.open_snapshot import Snapshot
    from smallbatch.embed import get_embedder
    from smallbatch.settings import RetrievalSettings

    torch.set_num_threads(1)
    snap = Snapshot.open(store)
    embedder = get_embedder(snap.manifest["embedder"]["name"])
    units = list(snap.units.values())
    qs = [q["question"] for q in questions_for(ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json",
                                               {u.metadata.get("source_id") for u in units}, n, seed=11)]
    if mode == "hybrid":
        r = Retriever(snap, embedder, RetrievalSettings(query_cache_size=0))
        search = r.search
    else:
        from bench.retrieval_llamaindex import fusion_retriever

        got = snap._collection.get(ids=[u.id for u in units], include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        vecs = np.asarray([by_id[u.id] for u in units], dtype=np.float32)
        li = fusion_retriever(units, vecs, embedder, store.parent.parent / "llamaindex" / store.name, 20, 5)
        search = li.retrieve
    run_queries(search, qs)


def run_queries(search, qs: list[str]) -> None:
    t = time.perf_counter()
    for q in qs:
        search(q)
    print(json.dumps({"per_query_ms": round((time.perf_counter() - t) * 1000 / len(qs), 1)}))


def profile(store: Path, mode: str, n: int, out: Path) -> dict:
    cmd = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "200", "--output", str(out), "--",
           sys.executable, "-m", "bench.retrieval_profile", "--child", mode, "--store", str(store),
           "-n", str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    counts: Counter = Counter()
    for line in out.read_text().splitlines():
        stack, _, k = line.rpartition(" ")
        if "run_queries" in stack:
            counts[bucket(stack)] += int(k)
    total = sum(counts.values())
    timing = json.loads([s for s in done.stdout.splitlines() if s.startswith("{")][-1])
    return {**timing, "samples": total,
            "share": {k: round(v / total, 3) for k, v in counts.most_common()}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", type=Path,
                   default=Path.home() / ".cache" / "smallbatch" / "bench" / "stores" / "n10000")
    p.add_argument("-n", type=int, default=60)
    p.add_argument("--child", choices=["hybrid", "llamaindex"], help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "retrieval.json")
    args = p.parse_args()
    if args.child:
        child(args.store, args.child, args.n)
        return
    result = {"store": args.store.name, "questions": args.n, "tool": "py-spy 0.4.3, 200 Hz"}
    for mode in ("hybrid", "llamaindex"):
        result[mode] = profile(args.store, mode, args.n, Path(f"/tmp/retrieval-profile-{mode}.txt"))
    print(json.dumps(result, indent=1))
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    report["profile"] = result
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
