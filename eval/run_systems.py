"""Run every question through every system; one JSON record per (system, question).

Records are appended to ``records.jsonl`` as they finish, so an interrupted run resumes where it
stopped (pairs already recorded are skipped). Model or retrieval failures are recorded as errors
with their reason — counted in the summary, never scored as zero or dropped silently — and are
asked again by the next run of that system (a server that was down is not an answer).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from anyio import to_thread
from tqdm import tqdm

from eval import scoring
from eval.zh import answer_scores
from eval.questions import Question
from eval.systems import System
from rag.answer import Answer, Answerer
from rag.citations import strip_markers
from smallbatch.llm import ChatStream, async_client
from smallbatch.settings import Settings

CLOSED_BOOK = {
    "sentence": ("Answer the question in one short sentence from your own knowledge. "
                 "If you do not know, reply exactly: I don't know."),
    "short": ("Answer the question from your own knowledge with the shortest phrase that "
              "answers it. Do not write a sentence. If you do not know, reply exactly: I don't know."),
}
RECORDS = "records.jsonl"


async def _closed_book(client, model: str, question: str, max_tokens: int, style: str) -> dict:
    t0 = time.perf_counter()
    chat = ChatStream(client, model=model, temperature=0.0, max_tokens=max_tokens,
                      messages=[{"role": "system", "content": CLOSED_BOOK[style]},
                                {"role": "user", "content": question}])
    async for _ in chat:
        pass
    return {"answer": chat.text, "abstained": "i don't know" in chat.text.lower(), "retrieved": [],
            "cited": [], "usage": chat.usage, "ttft_s": chat.ttft_s,
            "total_s": time.perf_counter() - t0}


RETRIEVAL_DEPTH = 5  # retrieval is scored at 5 whatever top_k the model is shown


async def _rag(answerer: Answerer, question: str) -> dict:
    ans: Answer | None = None
    async for item in answerer.stream(question):
        if isinstance(item, Answer):
            ans = item
    assert ans is not None
    depth = max(RETRIEVAL_DEPTH, len(ans.hits))
    ranked = await to_thread.run_sync(answerer.retriever.search, question, depth)
    return {"answer": ans.text, "abstained": ans.abstained,  # a withdrawn answer scores as abstained
            "context": [h.unit.metadata.get("source_id") for h in ans.hits],
            "context_units": [h.unit.id for h in ans.hits],
            "context_text": [h.unit.text for h in ans.hits],  # what the model was shown (ragas)
            "retrieved": [h.unit.metadata.get("source_id") for h in ranked],
            "cited": [c.source_id for c in ans.citations], "usage": ans.usage,
            "ttft_s": ans.timings.get("ttft_s"), "total_s": ans.timings.get("total_s"),
            "withdrawn": ans.draft is not None}


def score(q: Question, out: dict) -> dict:
    """Answer, retrieval and citation metrics of one answer. An unanswerable question scores
    ``abstention_correct`` (1 when the system abstained) instead of EM/F1. A Chinese question
    (or Chinese gold) is scored on characters as CMRC does, English as SQuAD (eval/zh.py)."""
    if not q.answerable:
        return {"abstention_correct": float(out["abstained"])}
    answer = strip_markers(out["answer"]) if not out["abstained"] else ""
    rec = answer_scores(answer, q.answers, q.lang) if q.answers else {}
    if out["retrieved"] and q.source_ids:
        rec["recall_at_5"] = scoring.recall_at_k(out["retrieved"], q.source_ids, 5)
        rec["rr"] = scoring.reciprocal_rank(out["retrieved"], q.source_ids)
    if out["cited"] and q.source_ids:
        rec["citation_correct"] = float(bool(set(out["cited"]) & set(q.source_ids)))
    return rec


def done_pairs(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    pairs = set()
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            pairs.add((r["system"], r["qid"]))
    return pairs


def retry_errors(path: Path, system: str) -> int:
    """Take ``system``'s error records out of the file (atomically), so this run asks them
    again; returns how many."""
    return _take_out(path, lambda r: r["system"] == system and "error" in r)


def drop_stale(path: Path, system: str, snapshot: str) -> int:
    """Take out ``system``'s records made on another snapshot than ``snapshot`` (the store was
    rebuilt since), so this run asks them again; returns how many. Records from before
    snapshots were recorded carry none and are kept."""
    return _take_out(path, lambda r: r["system"] == system
                     and r.get("snapshot", snapshot) != snapshot)


def _take_out(path: Path, stale) -> int:
    if not path.exists():
        return 0
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    keep = [ln for ln in lines if not stale(json.loads(ln))]
    if len(keep) < len(lines):
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(f"{ln}\n" for ln in keep))
        tmp.replace(path)
    return len(lines) - len(keep)


async def run_system(system: System, questions: list[Question], settings: Settings, out: Path,
                     concurrency: int, style: str = "short") -> None:
    path = out / RECORDS
    retry_errors(path, system.name)
    snapshot = None if system.closed_book else Path(system.snapshot).resolve().name
    if snapshot:
        drop_stale(path, system.name, snapshot)
    todo = [q for q in questions if (system.name, q.id) not in done_pairs(path)]
    if not todo:
        return
    answerer = None
    if not system.closed_book:
        from rag.assemble import open_answerer

        answerer, _ = open_answerer(system.settings(settings), system.snapshot,
                                    system.endpoint, style)
    client = async_client(system.endpoint) if system.closed_book else None
    sem = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(todo), desc=system.name, unit="q", file=sys.stderr)

    async def one(q: Question) -> None:
        async with sem:
            rec = {"system": system.name, "qid": q.id, "question": q.question, "gold": q.answers,
                   "gold_sources": q.source_ids, "answerable": q.answerable}
            if snapshot:
                rec["snapshot"] = snapshot
            try:
                if system.closed_book:
                    res = await _closed_book(client, system.endpoint.model, q.question,
                                             settings.answer_max_tokens, style)
                else:
                    res = await _rag(answerer, q.question)
                rec.update(res, **score(q, res))
            except Exception as exc:  # recorded, counted, never scored
                rec["error"] = f"{type(exc).__name__}: {exc}"
            with path.open("a") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            bar.update(1)

    await asyncio.gather(*(one(q) for q in todo))
    bar.close()


def run(systems: list[System], questions: list[Question], settings: Settings, out: Path,
        concurrency: int = 2, style: str = "short") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for system in systems:
        asyncio.run(run_system(system, questions, settings, out, concurrency, style))
    return out / RECORDS
