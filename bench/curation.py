"""Curation benchmark: raw vs curated (teacher-distilled) store of the noisy SQuAD corpus.

    .venv/bin/python -m bench.make_corpus --out bench/corpus --articles 2 --seed 7
    .venv/bin/smallbatch models serve large &      # teacher + judge on :8012
    .venv/bin/python -m bench.curation [--budget 0.25] [--fresh-cache]

Builds, in bench/stores: `bench-raw` (chunks only) and `bench-curated` (profile curated: clean,
dedup, PII, heuristic + judge quality, teacher distillation, grounding, semantic dedup, coverage
ranking), then the curated store cut to ``--budget`` x raw tokens by coverage sampling (published),
then rebuilds it unchanged (must make 0 teacher calls) and with one source edited (must re-ask only
that source's passages). Answer-string recall is measured at several budgets from the coverage
ranking (a smaller budget is a prefix of a larger one). Writes bench/results/curation.json and a
plot bench/results/curation.png.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import parser, rows
from ingest.pipeline import ingest
from smallbatch.gitinfo import git_commit
from smallbatch.settings import Settings
from smallbatch.snapshot import REJECTS_FILE, REPORT_FILE, iter_unit_rows, read_manifest

SCOPE = "encyclopedia articles about places, people, science and history"
BUDGETS = (0.15, 0.25, 0.35, 0.5, 0.75, 1.0)


def units(snapshot: Path) -> list[dict]:
    return list(iter_unit_rows(snapshot))


def store_bytes_text(snapshot: Path) -> str:
    """Every file of the snapshot as text (PII must be absent from all of them)."""
    return "\n".join(p.read_bytes().decode("latin-1") for p in snapshot.rglob("*") if p.is_file())


def answer_recall(questions: list[dict], texts: list[str]) -> float:
    text = "\n".join(texts)
    return sum(any(a in text for a in q["answers"]) for q in questions) / len(questions)


def answer_oracle(paragraphs: list[dict], questions: list[dict], count, target: float = 0.95,
                  ) -> dict:
    """What the recall target demands of any store that copies source sentences: the fewest
    sentence tokens (greedy set cover by answers per token, knowing the questions — a bound no
    question-blind curator can beat by selection) holding ``target`` of the answer strings."""
    sents = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p["text"]) if s]
    holds = [{i for i, q in enumerate(questions) if any(a in s for a in q["answers"])}
             for s in sents]
    cost = [max(1, count(s)) for s in sents]
    covered, spent = set(), 0
    while len(covered) < target * len(questions):
        j = max(range(len(sents)), key=lambda j: len(holds[j] - covered) / cost[j])
        if not holds[j] - covered:
            break
        covered |= holds[j]
        spent += cost[j]
    return {"sentences": len(sents), "sentences_holding_an_answer": sum(1 for h in holds if h),
            "source_tokens": sum(cost), "tokens_for_target": spent, "target": target,
            "recall": round(len(covered) / len(questions), 4)}


def visible(rows_: list[dict]) -> list[dict]:
    """The units a reader can be shown: not the retrieval keys that point at them."""
    return [u for u in rows_ if not u["metadata"].get("key")]


def recall_by_budget(questions, snapshot: Path, raw_tokens: int, count) -> list[dict]:
    """Answer-string recall of the reader-visible text when a budget keeps a prefix of the
    coverage order (keys cost no budget, as in ingest/coverage.py)."""
    us = sorted(visible(units(snapshot)), key=lambda u: u["metadata"].get("coverage_rank", 0))
    out = []
    for b in BUDGETS:
        limit, spent, kept = b * raw_tokens, 0, []
        for u in us:
            cost = count(u["text"])
            if spent + cost <= limit:
                spent += cost
                kept.append(u["text"])
        out.append({"budget": b, "store_tokens": spent,
                    "answer_string_recall": round(answer_recall(questions, kept), 4)})
    return out


def usage(result) -> dict:
    m = result.roles
    return {name: t.usage.as_dict() for name, t in m.clients.items()} if m else {}


def calls(result) -> int:
    return sum(u["calls"] for u in usage(result).values())


def plot(curve: list[dict], raw_recall: float, oracle: dict, path: Path,
         store: tuple[float, float] | None = None) -> None:
    """Recall by budget; ``store``: the published store's (tokens / raw, recall)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([c["budget"] for c in curve], [c["answer_string_recall"] for c in curve], "o-",
            label="curated, coverage-sampled")
    ax.axhline(raw_recall, color="grey", ls="--", label="raw store")
    ax.plot([oracle["over_raw"]], [oracle["recall"]], "k*", ms=10,
            label="oracle: answer sentences, questions known")
    if oracle.get("source_over_raw"):
        ax.axvline(1.1 * oracle["source_over_raw"], color="red", ls=":",
                   label="target: <= 1.1 x the articles' sentence tokens")
    if store:
        ax.plot([store[0]], [store[1]], "rs", ms=8, label="published store")
    ax.axhline(0.95, color="red", ls="-.", lw=0.8, label="95 % target")
    ax.set_xlabel("store tokens / raw tokens")
    ax.set_ylabel("questions whose answer string is in the store")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("Answer recall vs store budget (bench corpus)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    ap = parser(__doc__, "curation.json")
    ap.add_argument("--budget", type=float, default=0.25, help="store tokens / raw tokens")
    ap.add_argument("--budget-tokens", type=int, help="absolute budget (overrides --budget)")
    ap.add_argument("--fresh-cache", action="store_true", help="forget cached teacher answers")
    ap.add_argument("--name", default="bench", help="stores NAME-raw, NAME-curated(-full)")
    ap.add_argument("--seed-cache", help="start NAME-curated's teacher cache from this KB's "
                    "(pages the two corpora share are not asked again)")
    args = ap.parse_args()
    raw_kb, cur_kb = f"{args.name}-raw", f"{args.name}-curated"
    docs = args.corpus / "docs"
    base = Settings(stores=args.stores)
    if args.fresh_cache:
        shutil.rmtree(args.stores / cur_kb / "cache", ignore_errors=True)
    elif args.seed_cache and not (args.stores / cur_kb / "cache").exists():
        shutil.copytree(args.stores / args.seed_cache / "cache", args.stores / cur_kb / "cache")
    from smallbatch.embed import get_embedder

    count = get_embedder(base.embedder).count_tokens

    t0 = time.perf_counter()
    raw = ingest(docs, raw_kb, base.model_copy(update={"curation": base.curation.raw()}))
    t_raw = time.perf_counter() - t0
    # the denominator: the corpus as the loader reads it (HTML already reduced to its text);
    # the files' own tokens (markup included) are reported beside it
    raw_tokens = json.loads((raw.snapshot / REPORT_FILE).read_text())["raw"]["tokens"]
    raw_file_tokens = sum(count(d.read_text(errors="replace")) for d in docs.rglob("*")
                          if d.is_file())
    raw_unit_tokens = sum(count(u["text"]) for u in units(raw.snapshot))

    curated = base.curation.curated().model_copy(update={"scope": SCOPE})
    t0 = time.perf_counter()
    full = ingest(docs, cur_kb, base.model_copy(update={"curation": curated}),
                  publish=False)
    wall = time.perf_counter() - t0
    full_link = args.stores / f"{cur_kb}-full"  # the unbudgeted store, for eval/bench.toml
    full_link.unlink(missing_ok=True)
    full_link.symlink_to(full.snapshot.resolve())

    budget = args.budget_tokens or max(1, int(args.budget * raw_tokens))
    cut = base.model_copy(update={"curation": curated.model_copy(
        update={"budget_tokens": budget})})
    t0 = time.perf_counter()
    store = ingest(docs, cur_kb, cut)
    t_cut = time.perf_counter() - t0
    again = ingest(docs, cur_kb, cut, publish=False)

    with tempfile.TemporaryDirectory() as tmp:  # one source edited: only it is re-distilled
        changed = Path(tmp) / "docs"
        shutil.copytree(docs, changed)
        page = sorted(changed.glob("wiki/*/*.md"))[0]
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")  # a new edit every run, never cached
        page.write_text(page.read_text() + f"\n\nThe editors of the mirror checked the archive "
                        f"copy of this page on {stamp}.\n")
        edited = ingest(changed, cur_kb, cut, publish=False)

    files, pii = rows(args.corpus / "files.jsonl"), rows(args.corpus / "pii.jsonl")
    questions = rows(args.corpus / "questions.jsonl")
    stored = store_bytes_text(store.snapshot)
    sent = "\n".join(s for t in (store.roles.clients.values() if store.roles else [])
                     for s in t.seen)
    dropped = {r["source_path"] for r in rows(store.snapshot / REJECTS_FILE)
               if r["step"] in ("exact_dedup", "near_dedup")}
    pairs = [(f["file"], f["source"]) for f in files
             if f["role"] in ("exact_duplicate", "near_duplicate")]
    kept_paths = {u["metadata"].get("source_path") for u in units(store.snapshot)}
    noise = [f["file"] for f in files if f["role"] in ("distractor", "junk")]
    all_units = units(store.snapshot)
    store_units = visible(all_units)  # what the reader can be shown; keys reported apart
    store_tokens = sum(count(u["text"]) for u in store_units)
    key_tokens = sum(count(u["text"]) for u in all_units) - store_tokens
    u_full = usage(full)
    teacher_tokens = sum(u["tokens"] + u["cached_tokens"] for u in u_full.values())
    gen = sum(u["completion_tokens"] for u in u_full.values())
    secs = sum(u["seconds"] for u in u_full.values())
    curve = recall_by_budget(questions, full.snapshot, raw_tokens, count)
    raw_recall = answer_recall(questions, [u["text"] for u in units(raw.snapshot)])
    report = json.loads((store.snapshot / REPORT_FILE).read_text())
    oracle = answer_oracle(rows(args.corpus / "paragraphs.jsonl"), questions, count)
    oracle["over_raw"] = round(oracle["tokens_for_target"] / raw_tokens, 4)
    oracle["source_over_raw"] = round(oracle["source_tokens"] / raw_tokens, 4)
    result = {
        "pii_seeded": len({p["value"] for p in pii}),
        "pii_leaked": len({p["value"] for p in pii if p["value"] in stored}),
        "pii_sent_to_teacher": len({p["value"] for p in pii if p["value"] in sent}),
        "pii_leaked_raw_store": len({p["value"] for p in pii
                                     if p["value"] in store_bytes_text(raw.snapshot)}),
        "duplicates_injected": len(pairs),
        "duplicates_removed": sum(1 for a, b in pairs if a in dropped or b in dropped),
        "off_topic_injected": len(noise),
        "off_topic_removed": sum(1 for f in noise if f not in kept_paths),
        "raw_tokens": raw_tokens, "raw_file_tokens": raw_file_tokens,
        "raw_store_tokens": raw_unit_tokens, "budget_tokens": budget,
        "store_tokens": store_tokens, "store_over_raw": round(store_tokens / raw_tokens, 4),
        "store_over_source": round(store_tokens / oracle["source_tokens"], 4),
        "key_tokens": key_tokens, "keys": len(all_units) - len(store_units),
        "budget": args.budget,
        "answer_string_recall": round(answer_recall(questions,
                                                    [u["text"] for u in store_units]), 4),
        "answer_string_recall_raw": round(raw_recall, 4),
        "answer_string_recall_unbudgeted": round(answer_recall(
            questions, [u["text"] for u in visible(units(full.snapshot))]), 4),
        "recall_by_budget": curve,
        "answer_oracle": oracle,
        "questions": len(questions),
        "unchanged_rebuild_teacher_calls": calls(again),
        "one_source_changed_teacher_calls": calls(edited),
        "teacher_calls": sum(u["calls"] for u in u_full.values()),
        "teacher_cached_answers": sum(u["cached"] for u in u_full.values()),
        "teacher_tokens": teacher_tokens,
        "teacher_tokens_per_s": round(gen / secs, 2) if secs else None,
        "teacher_usage": u_full,
        "wall_s": round(wall, 1), "budget_cut_wall_s": round(t_cut, 1),
        "raw_wall_s": round(t_raw, 1),
        "snapshots": {"raw": raw.snapshot.name, "curated_full": full.snapshot.name,
                      "curated": store.snapshot.name},
        "store_units_by_kind": report["store"]["by_kind"],
        "flag": report["flag"], "drops": full.drops,
        "settings": read_manifest(store.snapshot)["settings"],
        "models": read_manifest(store.snapshot)["models"]["roles"],
        "corpus": json.loads((args.corpus / "noise.json").read_text()),
        "git_commit": git_commit(),
    }
    # #14's target: the reader-visible store holds >= 95 % of the answer strings at <= 1.1 x the
    # tokens of the articles' own sentences
    result["target_met"] = (result["answer_string_recall"] >= 0.95
                            and result["store_over_source"] <= 1.1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    plot(curve, raw_recall, oracle, args.out.with_suffix(".png"),
         (result["store_over_raw"], result["answer_string_recall"]))
    keys = ["pii_seeded", "pii_leaked", "pii_sent_to_teacher", "duplicates_injected",
            "duplicates_removed", "off_topic_injected", "off_topic_removed", "raw_tokens",
            "store_tokens", "store_over_raw", "store_over_source", "key_tokens",
            "answer_string_recall", "target_met",
            "answer_string_recall_unbudgeted", "unchanged_rebuild_teacher_calls",
            "one_source_changed_teacher_calls", "teacher_tokens", "teacher_tokens_per_s",
            "wall_s"]
    print("\n".join(f"{k:34} {result[k]}" for k in keys))
    print(f"oracle: {oracle['tokens_for_target']} sentence tokens "
          f"({oracle['over_raw']:.0%} of raw) hold {oracle['recall']:.0%} of the answers")
    print("recall by budget: " + ", ".join(f"{c['budget']}: {c['answer_string_recall']}"
                                           for c in curve))


if __name__ == "__main__":
    main()
