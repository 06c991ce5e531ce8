"""The abstention gate on a source-text (curated) store: which similarity tells answerable
questions from unanswerable ones. No model is called.

    .venv/bin/python -m bench.gate --plan eval/bench.toml --kb bench-curated

The plan's questions (its seeded sample of answerable ones and its unanswerable ones, as `eval
run` asks them) are searched with the default short-answer settings, top_k 1. For the shown
hit, three cosines to the question:
  - key: the best key (teacher fact, QA pair, keywords) that led to the passage (the gate before
    session 18);
  - passage: the passage's own stored vector (the gate now, as on clean stores);
  - shown: the shown stretch, embedded with its header (what the reader reads).
For each threshold: the share of answerable and of unanswerable questions that pass. A gate
should pass nearly every answerable question and few unanswerable ones. Writes
bench/results/gate.json (or --out) and a plot beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.common import parser
from eval.systems import load_plan, plan_questions
from rag.open_snapshot import Snapshot
from rag.prompt import source_text
from rag.retrieve import Retriever
from smallbatch.embed import get_embedder
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase

THRESHOLDS = [round(0.1 + 0.05 * i, 2) for i in range(9)]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b) / ((float(np.linalg.norm(a)) * float(np.linalg.norm(b))) or 1.0)


def similarities(retriever: Retriever, snapshot: Snapshot, embedder, question: str) -> dict:
    hits = retriever.search(question)
    if not hits:
        return {"key": None, "passage": None, "shown": None}
    hit = hits[0]
    q = np.asarray(retriever.query_vector(question), dtype=np.float32)
    pid = hit.unit.metadata.get("passage", hit.unit.id)
    keys = [cosine(v, q) for v in snapshot.vectors(
        [k for k, u in snapshot.units.items() if u.metadata.get("parent") == pid]).values()]
    shown = embedder.encode([source_text(hit.unit)])[0]
    return {"key": max(keys) if keys else None,
            "passage": hit.similarity,  # what the retriever gives the gate: the passage's own
            "shown": cosine(np.asarray(shown, dtype=np.float32), q)}


def passing(rows: list[dict], kind: str) -> dict:
    out = {}
    for t in THRESHOLDS:
        share = {}
        for answerable in (True, False):
            got = [r[kind] for r in rows if r["answerable"] is answerable]
            share["answerable" if answerable else "unanswerable"] = round(
                float(np.mean([(g if g is not None else -1.0) >= t for g in got])), 4) if got else None
        out[str(t)] = share
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for kind, table in result["passing"].items():
        xs = [v["unanswerable"] for v in table.values()]
        ys = [v["answerable"] for v in table.values()]
        ax.plot(xs, ys, marker="o", label=kind)
        for t, x, y in zip(table, xs, ys):
            ax.annotate(t, (x, y), fontsize=6, xytext=(2, -8), textcoords="offset points")
    ax.set_xlabel("unanswerable questions let through")
    ax.set_ylabel("answerable questions let through")
    ax.set_title(f"abstention gate on {result['kb']} (thresholds marked)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = parser(__doc__, "gate.json")
    ap.add_argument("--plan", type=Path, required=True, help="an eval plan (its questions)")
    ap.add_argument("--kb", required=True, help="a source-text knowledge base")
    args = ap.parse_args()
    settings = Settings(stores=args.stores)
    questions = plan_questions(load_plan(args.plan, settings))
    path = KnowledgeBase(settings.stores, args.kb).current()
    snapshot = Snapshot.open(path, settings.chroma_url)
    embedder = get_embedder(snapshot.manifest.get("embedder", {}).get("name", settings.embedder))
    cfg = settings.retrieval.model_copy(update={"top_k": 1}).for_style("short")
    retriever = Retriever(snapshot, embedder, cfg)
    rows = [{"id": q.id, "answerable": q.answerable,
             **similarities(retriever, snapshot, embedder, q.question)} for q in questions]
    snapshot.close()
    result = {"plan": str(args.plan), "kb": args.kb, "snapshot": path.name,
              "answerable": sum(r["answerable"] for r in rows),
              "unanswerable": sum(not r["answerable"] for r in rows),
              "min_similarity": settings.retrieval.min_similarity,
              "passing": {k: passing(rows, k) for k in ("key", "passage", "shown")},
              "per_question": rows}
    for kind, table in result["passing"].items():
        cells = "  ".join(f"{t}: {v['answerable']:.3f}/{v['unanswerable']:.3f}"
                          for t, v in table.items())
        print(f"{kind:>8} (answerable/unanswerable passing) {cells}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    plot(result, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
