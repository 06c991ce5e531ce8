"""Can the teacher compress passages without losing answers? A probe of abstractive compression.

    .venv/bin/python -m bench.compression_probe [--passages 12] [--seed 7]   # teacher on :8012

The curation target (store <= 25 % of raw tokens, >= 95 % of answer strings kept) asks for more
than selection can give on SQuAD: bench/curation.py's ``answer_oracle`` shows that even knowing
the questions, the source sentences holding 95 % of the answers cost more than 25 % of raw. Only a
teacher that rewrites text shorter while keeping every answer-bearing phrase could get there.
This probe asks the teacher to do exactly that with two instructions — terse notes, and
shortening by deletion only — on a seeded sample of the benchmark's source paragraphs, and
reports tokens out / tokens in and the share of those paragraphs' answer strings that survive.
Writes bench/results/compression_probe.json.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

from bench.common import parser, rows
from smallbatch.gitinfo import git_commit
from smallbatch.llm import async_client, endpoint
from smallbatch.settings import Settings

INSTRUCTIONS = {
    "notes": (
        "Compress the passage into terse reference notes, one note per line, starting each line "
        "with \"- \".\nKeep every name, number, date, place, title and technical term, copied "
        "exactly as the passage writes them.\nDrop filler words, repetition, hedges and "
        "explanations; keep who/what/when/where and how many.\nName the subject in each note "
        "instead of \"it\" or \"he\". No outside knowledge."),
    "deletion": (
        "Shorten the passage by deleting words, never by rewording. Copy every remaining word "
        "exactly as written.\nDelete: filler phrases, hedges, repeated mentions, examples that "
        "only restate a point, and clauses that carry no name, number, date, place or technical "
        "term.\nKeep: every name, number, date, place, title and technical term, and the words "
        "that say how they relate.\nReply with the shortened passage only."),
}


async def compress(client, model: str, instruction: str, texts: list[str]) -> list[str]:
    async def one(text: str) -> str:
        r = await client.chat.completions.create(
            model=model, temperature=0, max_tokens=400,
            messages=[{"role": "system", "content": instruction},
                      {"role": "user", "content": text}])
        return r.choices[0].message.content or ""
    return await asyncio.gather(*(one(t) for t in texts))


def main() -> None:
    ap = parser(__doc__, "compression_probe.json")
    ap.add_argument("--passages", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    s = Settings()
    from smallbatch.embed import get_embedder

    count = get_embedder(s.embedder).count_tokens
    paragraphs = rows(args.corpus / "paragraphs.jsonl")
    questions = rows(args.corpus / "questions.jsonl")
    sample = random.Random(args.seed).sample(paragraphs, min(args.passages, len(paragraphs)))
    role = endpoint(s, "teacher")
    tokens_in = sum(count(p["text"]) for p in sample)
    asked = [q for q in questions if any(p["id"] in q["source_ids"] for p in sample)]
    result = {"passages": len(sample), "questions": len(asked), "tokens_in": tokens_in,
              "teacher": role.model, "variants": {}}
    for name, instruction in INSTRUCTIONS.items():
        t0 = time.perf_counter()
        outs = asyncio.run(compress(async_client(role), role.model, instruction, [p["text"] for p in sample]))
        by_id = {p["id"]: o for p, o in zip(sample, outs)}
        kept = sum(any(a in by_id[sid] for a in q["answers"] for sid in q["source_ids"]
                       if sid in by_id) for q in asked)
        result["variants"][name] = {
            "instruction": instruction, "tokens_out": sum(count(o) for o in outs),
            "ratio": round(sum(count(o) for o in outs) / tokens_in, 3),
            "answer_recall": round(kept / len(asked), 3), "wall_s": round(time.perf_counter() - t0, 1),
            "example": {"in": sample[0]["text"], "out": outs[0]}}
        v = result["variants"][name]
        print(f"{name:9} tokens out/in {v['ratio']:.2f}  answers kept {v['answer_recall']:.0%}")
    result["git_commit"] = git_commit()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
