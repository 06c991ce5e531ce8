"""The claim checker (rag/faithful.py) against hand labels (eval/labels/claims.jsonl).

Unsupported is the positive class: precision is the share of the answers the checker flags that
are unsupported, recall the share of unsupported answers it flags. An answer is flagged when a
claim fails (it is then dropped, or the whole answer withdrawn when none is left). The cost of
faithfulness is counted too: correct answers (F1 >= 0.5) the checker would withdraw.

    python -m eval.claim_labels
    python -m eval.claim_labels --judge http://127.0.0.1:8012/v1 [--model NAME]

``--judge`` also scores the one-call faithfulness judge (eval/faithful_one_call.py) on the same
labels: an answer is flagged when the judge finds any of its claims unsupported.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rag.faithful import check_answer

LABELS = Path(__file__).parent / "labels" / "claims.jsonl"


def load(path: Path = LABELS) -> list[dict]:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


async def verdicts(rows: list[dict], unsure: str) -> list[dict]:
    out = []
    for r in rows:
        s = await check_answer(r["answer"], r["question"], r["context_text"], unsure=unsure)
        out.append({"flagged": bool(s.failed), "withdrawn": not s.kept})
    return out


def scores(rows: list[dict], flagged: list[bool], withdrawn: list[bool]) -> dict:
    bad = [not r["supported"] for r in rows]
    tp = sum(f and b for f, b in zip(flagged, bad))
    correct = [(r.get("f1") or 0) >= 0.5 for r in rows]
    return {"n": len(rows), "unsupported": sum(bad), "flagged": sum(flagged),
            "precision": round(tp / sum(flagged), 3) if any(flagged) else None,
            "recall": round(tp / sum(bad), 3) if any(bad) else None,
            "correct_withdrawn": sum(c and w for c, w in zip(correct, withdrawn)),
            "correct": sum(correct)}


def evaluate(rows: list[dict]) -> dict:
    """The checker with each unsure policy, and the old check the bench ran with."""
    out = {}
    for policy in ("keep", "drop"):
        v = asyncio.run(verdicts(rows, policy))
        out[f"claims, unsure {policy}"] = scores(rows, [x["flagged"] for x in v],
                                                 [x["withdrawn"] for x in v])
    old = [r["withdrawn_in_bench"] for r in rows]
    out["old word check (bench)"] = scores(rows, old, old)
    return out


async def judged(rows: list[dict], scorer, concurrency: int = 4) -> list[float | None]:
    """The one-call judge's faithfulness per answer (None where it failed)."""
    from smallbatch.prompting import TypedCallError

    sem = asyncio.Semaphore(concurrency)

    async def one(r):
        async with sem:
            try:
                res = await scorer.ascore(r["question"], r["answer"], r["context_text"])
            except (TypedCallError, ValueError):
                return None
            return res.value
    return list(await asyncio.gather(*(one(r) for r in rows)))


def judge_scores(rows: list[dict], values: list[float | None]) -> dict:
    """Precision/recall of the judge on the answers it scored, its failures counted."""
    ok = [(r, v) for r, v in zip(rows, values) if v is not None]
    flagged = [v < 1.0 for _, v in ok]
    out = scores([r for r, _ in ok], flagged, flagged)
    out["failed"] = len(rows) - len(ok)
    return out


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--judge", help="base URL of the judge model (OpenAI-compatible)")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    args = ap.parse_args()
    rows = load()
    out = evaluate(rows)
    if args.judge:
        from eval.faithful_one_call import OneCallFaithfulness
        from smallbatch.llm import Endpoint, async_client

        ep = Endpoint("judge", args.judge, args.model, "EMPTY", 600, 1)
        values = asyncio.run(judged(rows, OneCallFaithfulness(async_client(ep), ep.model)))
        out[f"one-call judge ({args.model})"] = judge_scores(rows, values)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
