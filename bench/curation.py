"""Curation benchmark: raw vs curated store of the noisy SQuAD corpus (bench/make_corpus.py).

    .venv/bin/python bench/make_corpus.py --out bench/corpus --articles 12 --seed 7
    .venv/bin/python bench/curation.py [--corpus bench/corpus] [--stores bench/stores]

Writes bench/results/curation.json. Teacher distillation is not built yet: its keys are null,
and the store is the heuristic pipeline's (clean, boilerplate, dedup, PII, quality) chunks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import ingest  # noqa: E402
from smallbatch.gitinfo import git_commit  # noqa: E402
from smallbatch.settings import Settings  # noqa: E402


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def store_text(snapshot: Path) -> str:
    parts = [(snapshot / "units.jsonl").read_text(), (snapshot / "bm25.pkl").read_bytes().decode("latin-1")]
    parts += [p.read_bytes().decode("latin-1") for p in (snapshot / "chroma").rglob("*") if p.is_file()]
    return "\n".join(parts)


def duplicates_removed(files: list[dict], rejects: list[dict]) -> tuple[int, int]:
    """(injected, removed): a duplicate counts as removed when either copy of the pair left."""
    dropped = {r["source_path"] for r in rejects if r["step"] in ("exact_dedup", "near_dedup")}
    pairs = [(f["file"], f["source"]) for f in files if f["role"] in ("exact_duplicate", "near_duplicate")]
    return len(pairs), sum(1 for a, b in pairs if a in dropped or b in dropped)


def off_topic_removed(files: list[dict], snapshot: Path) -> tuple[int, int]:
    kept = {json.loads(l)["metadata"]["source_path"] for l in (snapshot / "units.jsonl").open()}
    noise = [f["file"] for f in files if f["role"] in ("distractor", "junk")]
    return len(noise), sum(1 for f in noise if f not in kept)


def answer_recall(questions: list[dict], snapshot: Path) -> float:
    text = "\n".join(json.loads(l)["text"] for l in (snapshot / "units.jsonl").open())
    return sum(any(a in text for a in q["answers"]) for q in questions) / len(questions)


def unit_tokens(snapshot: Path) -> int:
    return json.loads((snapshot / "manifest.json").read_text())["counts"]["unit_tokens"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    ap.add_argument("--stores", type=Path, default=ROOT / "bench" / "stores")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "curation.json")
    args = ap.parse_args()
    docs = args.corpus / "docs"
    settings = Settings(stores=args.stores)
    t0 = time.perf_counter()
    raw = ingest(docs, "bench-raw", settings.model_copy(update={"curation": settings.curation.raw()}))
    t_raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    cur = ingest(docs, "bench-curated", settings)
    wall = time.perf_counter() - t0

    files, pii = rows(args.corpus / "files.jsonl"), rows(args.corpus / "pii.jsonl")
    questions = rows(args.corpus / "questions.jsonl")
    rejects = rows(cur.snapshot / "rejects.jsonl")
    text = store_text(cur.snapshot)
    injected, removed = duplicates_removed(files, rejects)
    noise, noise_removed = off_topic_removed(files, cur.snapshot)
    result = {
        "pii_seeded": len({p["value"] for p in pii}),
        "pii_leaked": len({p["value"] for p in pii if p["value"] in text}),
        "pii_leaked_raw_store": len({p["value"] for p in pii if p["value"] in store_text(raw.snapshot)}),
        "duplicates_injected": injected, "duplicates_removed": removed,
        "off_topic_injected": noise, "off_topic_removed": noise_removed,
        "raw_tokens": unit_tokens(raw.snapshot), "store_tokens": unit_tokens(cur.snapshot),
        "store_over_raw": round(unit_tokens(cur.snapshot) / unit_tokens(raw.snapshot), 4),
        "answer_string_recall": round(answer_recall(questions, cur.snapshot), 4),
        "answer_string_recall_raw": round(answer_recall(questions, raw.snapshot), 4),
        "questions": len(questions),
        "unchanged_rebuild_teacher_calls": None, "teacher_tokens": None,
        "teacher_tokens_per_s": None,  # teacher distillation not built yet
        "wall_s": round(wall, 1), "raw_wall_s": round(t_raw, 1),
        "drops": cur.drops, "settings": json.loads((cur.snapshot / "manifest.json").read_text())["settings"],
        "corpus": json.loads((args.corpus / "noise.json").read_text()),
        "git_commit": git_commit(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    keys = ["pii_seeded", "pii_leaked", "duplicates_injected", "duplicates_removed", "off_topic_injected",
            "off_topic_removed", "raw_tokens", "store_tokens", "store_over_raw", "answer_string_recall", "wall_s"]
    print("\n".join(f"{k:24} {result[k]}" for k in keys))
    print(f"drops: {json.dumps(cur.drops)}")


if __name__ == "__main__":
    main()
