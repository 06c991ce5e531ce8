"""How well the judge's off-scope votes find off-topic text, taken one passage at a time or
pooled over each passage's nearest neighbours (ingest/scope_vote.py).

    .venv/bin/smallbatch models serve large &     # the judge (answers cached in --cache)
    .venv/bin/python -m bench.scope_vote [--corpus bench/corpus-heavy]

Runs the curated profile's steps up to the judge on the corpus, asks the judge (the same prompt
and cache as ingest, so a corpus already curated costs no call), and scores every setting of
(neighbours, share) against the corpus's own labels (``files.jsonl``: a distractor or junk page,
or a copy of one, is off topic). Reports off-topic words kept and on-topic words dropped; writes
bench/results/scope_vote.json and a plot.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.common import parser, rows
from bench.curation import SCOPE
from ingest.pipeline import steps
from ingest.quality_judge import JUDGE_QUALITY, JudgeIn, JudgeQuality, off_votes
from ingest.roles import Roles
from ingest.runner import make_runner
from ingest.scope_vote import pooled_votes
from ingest.steps import Drops
from ingest.vectors import VectorMemo
from smallbatch.embed import get_embedder
from smallbatch.settings import Settings

GRID = [(0, 1.0)] + [(k, s) for k in (3, 5, 8, 12) for s in (0.25, 1 / 3, 0.5)]


def off_topic(corpus: Path) -> dict[str, bool]:
    """File -> whether it is off topic: a distractor or junk page, or a copy of one."""
    files = rows(corpus / "files.jsonl")
    off_pages = {f["file"] for f in files if f["role"] in ("distractor", "junk")}
    return {f["file"]: f["role"] in ("distractor", "junk") or f.get("source") in off_pages
            for f in files}


def main() -> None:
    ap = parser(__doc__, "scope_vote.json")
    ap.set_defaults(corpus=Path("bench/corpus-heavy"))
    ap.add_argument("--cache", type=Path, default=Path("bench/stores/heavy-curated/cache"))
    args = ap.parse_args()
    base = Settings(stores=args.stores)
    s = base.model_copy(update={"curation": base.curation.curated().model_copy(
        update={"scope": SCOPE})})
    embedder, roles = get_embedder(s.embedder), Roles(s, args.cache)
    pipe = steps(s, embedder, roles)
    before_judge = pipe[:next(i for i, st in enumerate(pipe) if isinstance(st, JudgeQuality))]
    runner = make_runner(s)
    docs = list(runner.run(runner.load(args.corpus / "docs", []), before_judge, Drops()))
    outs = roles.judge().run(JUDGE_QUALITY, [JudgeIn(scope=SCOPE, passage=d.text) for d in docs],
                             max_tokens=80)
    votes = off_votes(outs)
    labels = off_topic(args.corpus)
    off = np.array([labels[d.metadata["source_path"]] for d in docs])
    words = np.array([len(d.text.split()) for d in docs])
    vectors = VectorMemo(embedder).of(docs)
    results = []
    for k, share in GRID:
        drop = pooled_votes(vectors, votes, k) >= share - 1e-9
        results.append({"neighbours": k, "share": round(share, 4),
                        "off_passages_dropped": int((drop & off).sum()),
                        "on_passages_dropped": int((drop & ~off).sum()),
                        "off_words_kept": int(words[~drop & off].sum()),
                        "on_words_dropped": int(words[drop & ~off].sum())})
        print(results[-1])
    out = {"corpus": str(args.corpus), "scope": SCOPE, "passages": len(docs),
           "off_passages": int(off.sum()), "off_words": int(words[off].sum()),
           "on_words": int(words[~off].sum()), "votes_off": int(votes.sum()), "grid": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    plot(out, args.out.with_suffix(".png"))


def plot(out: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in out["grid"]:
        alone = r["neighbours"] == 0
        ax.scatter(r["off_words_kept"], r["on_words_dropped"], color="red" if alone else "C0")
        ax.annotate("alone" if alone else f"k={r['neighbours']}, {r['share']:.2f}",
                    (r["off_words_kept"], r["on_words_dropped"]), fontsize=7)
    ax.set_xlabel(f"off-topic words kept (of {out['off_words']})")
    ax.set_ylabel(f"on-topic words dropped (of {out['on_words']})")
    ax.set_title("Judge's scope votes: one passage alone vs pooled over neighbours")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
