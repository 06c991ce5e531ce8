"""How often follow-ups are rewritten to the right referent (eval/followups.jsonl).

Three rewrites per case, one model call: the deterministic resolver alone (rag/referent.py),
the model alone (its standalone question, or the follow-up with its named referent put in), and
what serving uses (rag/rewrite.py: the model's question when it agrees with the resolver). A
rewrite is right when it holds every ``expect`` word and no ``reject`` word (lower-cased).

    python -m eval.rewrite_accuracy --url http://127.0.0.1:8011/v1 --model qwen2.5-coder-0.5b-instruct
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from rag.referent import PRONOUN, resolve, substitute
from rag.rewrite import REWRITE, RewriteIn, Turn, choose, needs_rewrite, recent
from smallbatch.prompting import TypedCallError, call_typed

SUITE = Path(__file__).with_name("followups.jsonl")


def right(query: str, case: dict) -> bool:
    q = query.lower()
    return all(w in q for w in case["expect"]) and not any(w in q for w in case["reject"])


def model_only(question: str, out) -> str:
    if out is None:
        return question
    if out.question.strip().lower() != question.lower():
        return out.question
    return substitute(question, out.refers_to) if out.refers_to and PRONOUN.search(question) \
        else question


async def rewrites(client, model: str, case: dict) -> dict:
    """The three rewrites of one case (no model call for a standalone follow-up)."""
    history = recent([Turn(**t) for t in case["history"]])
    question, out, error = case["follow_up"], None, None
    if needs_rewrite(history, question):
        try:
            out = await call_typed(client, model, REWRITE,
                                   RewriteIn(history=history, follow_up=question),
                                   max_tokens=96, retries=1)
        except TypedCallError as exc:
            error = exc.reason
    served = choose(history, question, out, {}, error).query if needs_rewrite(
        history, question) else question
    resolved = resolve(history, question)
    return {"resolver": resolved[0] if resolved else question,
            "model": model_only(question, out), "served": served, "error": error}


async def evaluate(client, model: str, cases: list[dict]) -> dict:
    rows = [await rewrites(client, model, c) for c in cases]
    acc = {k: sum(right(r[k], c) for r, c in zip(rows, cases)) / len(cases)
           for k in ("resolver", "model", "served")}
    kinds = sorted({c["kind"] for c in cases})
    by_kind = {k: {m: sum(right(r[m], c) for r, c in zip(rows, cases) if c["kind"] == k)
                   for m in ("resolver", "model", "served")} | {
                       "n": sum(c["kind"] == k for c in cases)} for k in kinds}
    return {"model": model, "n": len(cases), "accuracy": acc, "by_kind": by_kind,
            "errors": sum(r["error"] is not None for r in rows),
            "cases": [{"follow_up": c["follow_up"], **r} for c, r in zip(cases, rows)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", type=Path, help="write the full result as JSON here")
    args = ap.parse_args()
    from openai import AsyncOpenAI

    cases = [json.loads(l) for l in SUITE.read_text().splitlines() if l.strip()]
    client = AsyncOpenAI(base_url=args.url, api_key="none", timeout=120, max_retries=1)
    result = asyncio.run(evaluate(client, args.model, cases))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: result[k] for k in ("model", "n", "accuracy", "by_kind", "errors")},
                     indent=1))


if __name__ == "__main__":
    main()
