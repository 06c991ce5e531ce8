"""How often the reader is shown the answer: retrieval settings compared without a model.

    .venv/bin/python -m bench.shown --kb bench-clean --kb bench-raw \\
        --variant recentred=recentre:meaning,recentre_pool:1,recentre_share:1.0 \\
        --variant merge1=recentre:off,merge_neighbours:1

For every answerable eval question of the corpus, each store is searched with each variant of
the retrieval settings (top_k as in the eval, 1 by default) and what the reader would see (the
units' headers and texts, as rag/prompt.py shows them) is checked for a gold answer string
(eval.scoring.contains). Also reports the words shown, since showing more words buys answers,
and what a search costs (a second, warm pass) against "passages" (recentring off), measured in
the same run. "as-is" is the default settings for short answers (the eval's style).
No model is called, so a variant costs seconds: tune here, then confirm with `smallbatch eval`.
Writes bench/results/shown.json (or --out).
"""

from __future__ import annotations

import json
import statistics
import time

from bench.common import parser
from eval.questions import load_questions
from eval.scoring import contains
from rag.open_snapshot import Snapshot
from rag.prompt import source_text
from rag.retrieve import Retriever
from smallbatch.embed import get_embedder
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase


def value(text: str):
    """A setting's value from the command line: JSON where it parses, else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def variant(spec: str) -> tuple[str, dict]:
    """``name=key:value,key:value`` (``name=`` alone: the settings as they are)."""
    name, _, rest = spec.partition("=")
    pairs = [p.split(":", 1) for p in rest.split(",") if p]
    return name, {k: value(v) for k, v in pairs}


def measure(snapshot: Snapshot, embedder, settings: Settings, update: dict, questions,
            top_k: int) -> dict:
    cfg = settings.retrieval.model_copy(update={"top_k": top_k, **update}).for_style("short")
    retriever = Retriever(snapshot, embedder, cfg)
    hits, words = [], []
    for q in questions:
        seen = "\n".join(source_text(h.unit) for h in retriever.search(q.question, top_k))
        hits.append(contains(seen, q.answers))
        words.append(len(seen.split()))
    t = time.perf_counter()  # a second, warm pass: what a search costs once caches are full
    for q in questions:
        retriever.search(q.question, top_k)
    ms = 1000 * (time.perf_counter() - t) / max(1, len(questions))
    return {"shown": round(statistics.mean(hits), 4), "words": round(statistics.mean(words), 1),
            "ms_per_search": round(ms, 2),
            "per_question": {q.id: h for q, h in zip(questions, hits)}}


def main() -> None:
    ap = parser(__doc__, "shown.json")
    ap.add_argument("--kb", action="append", required=True, help="knowledge base (repeatable)")
    ap.add_argument("--variant", action="append", default=[], help="name=key:value,...")
    ap.add_argument("--top-k", type=int, default=1)
    args = ap.parse_args()
    settings = Settings(stores=args.stores)
    questions = [q for q in load_questions(args.corpus / "eval-questions.jsonl") if q.answerable]
    # "passages" first: the reference every variant's search time is reported against
    variants = dict(variant(v) for v in ["passages=recentre:off", "as-is=", *args.variant])
    out: dict = {"corpus": str(args.corpus), "questions": len(questions), "top_k": args.top_k,
                 "variants": variants, "stores": {}}
    for kb in args.kb:
        path = KnowledgeBase(settings.stores, kb).current()
        snapshot = Snapshot.open(path, settings.chroma_url)
        embedder = get_embedder(snapshot.manifest.get("embedder", {}).get("name", settings.embedder))
        out["stores"][kb] = {"snapshot": path.name}
        for name, update in variants.items():
            t = time.perf_counter()
            got = measure(snapshot, embedder, settings, update, questions, args.top_k)
            out["stores"][kb][name] = got
            base = out["stores"][kb]["passages"]
            got["search_cost_vs_passages"] = round(got["ms_per_search"] / base["ms_per_search"], 2)
            print(f"{kb:>14} {name:>12}: answer shown {got['shown']:.3f}, "
                  f"{got['words']:.0f} words, {got['ms_per_search']:.1f} ms a search "
                  f"({got['search_cost_vs_passages']:.2f}x passages; {time.perf_counter() - t:.0f} s)",
                  flush=True)
        snapshot.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
