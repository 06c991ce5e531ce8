"""Eval questions for the noisy benchmark corpus: each question's gold sources are the page that
holds its paragraph plus that page's exact and near-duplicate copies (a store that kept a copy
instead of the original still retrieved the right text).

    .venv/bin/python -m bench.eval_questions [--corpus bench/corpus]

Writes <corpus>/eval-questions.jsonl (id, question, answers, source_ids) for `smallbatch eval`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    args = ap.parse_args()
    copies = defaultdict(list)
    for line in (args.corpus / "files.jsonl").open():
        f = json.loads(line)
        if f["role"] in ("exact_duplicate", "near_duplicate"):
            copies[f["source"]].append(f["file"])
    out = args.corpus / "eval-questions.jsonl"
    n = 0
    with out.open("w") as w:
        for line in (args.corpus / "questions.jsonl").open():
            q = json.loads(line)
            w.write(json.dumps({"id": q["id"], "question": q["question"], "answers": q["answers"],
                                "source_ids": [q["doc"], *copies[q["doc"]]]}) + "\n")
            n += 1
    print(f"{n} questions -> {out}")


if __name__ == "__main__":
    main()
