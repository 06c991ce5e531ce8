"""What a reader can be shown, against the articles' own text: answer-string recall and size of
each store of the benchmark corpora (no model needed).

    .venv/bin/python -m bench.store_recall [--stores bench/stores] [--pair CORPUS=KB,KB …]

For every store: the units a reader can be shown (a source-text store's keys are left out), their
whitespace words as a multiple of the corpus's own source paragraphs (``paragraphs.jsonl``, the
text without any injected noise — what ``noise.json`` counts as source), and the share of the
evaluation questions (``eval-questions.jsonl``) whose gold answer string is somewhere in that text.
Writes bench/results/store_recall.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import ROOT
from eval.scoring import normalize_answer
from smallbatch.snapshot import read_manifest, read_units

PAIRS = {"bench/corpus": ["bench-raw", "bench-clean", "bench-curated"],
         "bench/corpus-heavy": ["heavy-raw", "heavy-clean", "heavy-curated"]}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def measure(corpus: Path, snapshot: Path) -> dict:
    source = sum(len(p["text"].split()) for p in rows(corpus / "paragraphs.jsonl"))
    questions = rows(corpus / "eval-questions.jsonl")
    shown = [u for u in read_units(snapshot) if not u.metadata.get("key")]
    text = normalize_answer(" ".join(u.text for u in shown))
    words = sum(len(u.text.split()) for u in shown)
    found = sum(any(normalize_answer(a) in text for a in q["answers"]) for q in questions)
    return {"snapshot": snapshot.resolve().name, "profile": read_manifest(snapshot).get("steps"),
            "units_shown": len(shown), "words_shown": words, "source_words": source,
            "x_source": round(words / source, 3), "questions": len(questions),
            "answer_recall": round(found / len(questions), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stores", default=str(ROOT / "bench" / "stores"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "store_recall.json"))
    args = ap.parse_args()
    result = {}
    for corpus, kbs in PAIRS.items():
        for kb in kbs:
            snap = Path(args.stores) / kb / "current"
            if (snap / "manifest.json").exists():
                result[kb] = measure(ROOT / corpus, snap)
                r = result[kb]
                print(f"{kb:14} {r['words_shown']:6} words = {r['x_source']:.2f}x source, "
                      f"answer recall {r['answer_recall']:.3f}")
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
