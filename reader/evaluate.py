"""Dev F1 of the base model vs the adapter on the batch's held-apart teacher questions (never
human evaluation questions): the same serving-format prompts, answered by the server under the
base model's name and under the adapter's, in the same run."""

from __future__ import annotations

import asyncio
import time

from eval.scoring import exact_match, f1
from rag.citations import is_abstention, strip_markers
from reader.generate import Example


async def answer_all(client, model: str, examples: list[Example], concurrency: int = 4,
                     max_tokens: int = 48) -> list[dict]:
    gate = asyncio.Semaphore(concurrency)

    async def one(e: Example) -> dict:
        async with gate:
            t0 = time.perf_counter()
            resp = await client.chat.completions.create(model=model, messages=e.messages,
                                                        max_tokens=max_tokens, temperature=0.0)
            text = resp.choices[0].message.content or ""
            return {"id": e.id, "text": text, "seconds": time.perf_counter() - t0,
                    "completion_tokens": resp.usage.completion_tokens if resp.usage else None}

    return await asyncio.gather(*(one(e) for e in examples))


def score(examples: list[Example], answers: list[dict]) -> dict:
    """F1 / EM on the answerable examples (markers stripped), how often the reader declined one
    of them (over-caution), abstention accuracy on the rest, mean latency."""
    f1s, ems, abst, declined = [], [], [], []
    for e, a in zip(examples, answers):
        if e.abstain:
            abst.append(float(is_abstention(a["text"])))
        else:
            declined.append(float(is_abstention(a["text"])))
            pred = strip_markers(a["text"])
            f1s.append(f1(pred, [e.answer]))
            ems.append(exact_match(pred, [e.answer]))
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None
    return {"n": len(f1s), "f1": mean(f1s), "em": mean(ems), "declined": mean(declined), "abstain_n": len(abst),
            "abstain_acc": mean(abst),
            "latency_s": mean([a["seconds"] for a in answers])}


def compare(client, base_model: str, adapter_model: str, dev: list[Example]) -> dict:
    """Base vs adapter on the same prompts, in one run; ``latency_ratio`` = adapter / base
    mean seconds per answer (vLLM's prefix cache is per adapter, so both start cold)."""
    async def both():
        return [await answer_all(client, m, dev) for m in (base_model, adapter_model)]

    runs = asyncio.run(both())
    out = {name: {"model": model, **score(dev, answers)} for name, model, answers in
           zip(("base", "adapter"), (base_model, adapter_model), runs)}
    b, a = out["base"]["latency_s"], out["adapter"]["latency_s"]
    out["latency_ratio"] = round(a / b, 3) if a and b else None
    return out
