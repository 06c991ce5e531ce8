"""Batched, concurrent, cached typed calls to a model role (teacher or judge) during ingest.

``RoleClient`` asks one role; ``AnswerCache`` is the answer cache all roles of a knowledge base
share (ingest/roles.py builds both).

Results are cached by (prompt name@version, model, input) in an append-only JSONL file beside the
knowledge base's snapshots, so an unchanged rebuild makes zero calls, a changed source re-asks only
for its own chunks, and a crashed build resumes where it stopped (every answer is flushed as it
arrives). Malformed output that survives the retries is cached as a failure with its reason
(asking again would give the same answer at temperature 0); transport errors are not cached: a
role that still does not answer after the client's retries stops the run with ``RoleUnavailable``
(what failed, where, and that a rerun resumes from the cache), never a traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import openai
from pydantic import BaseModel
from tqdm import tqdm

from smallbatch.errors import UserError
from smallbatch.prompting import TypedCallError, TypedPrompt, call_typed


class RoleUnavailable(UserError):
    """The role's server did not answer (timeout, refused connection, 5xx) after the retries."""


class AnswerCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, dict] = {}
        if path.exists():
            with path.open(encoding="utf-8") as f:
                for line in f:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut by a crash: that call is simply asked again
                    self.rows[row["key"]] = row

    @staticmethod
    def key(prompt: TypedPrompt, model: str, inp: BaseModel) -> str:
        raw = "\x1f".join([prompt.key, model, inp.model_dump_json()])
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict | None:
        return self.rows.get(key)

    def put(self, row: dict) -> None:
        self.rows[row["key"]] = row
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


@dataclass
class Usage:
    """What the model cost in this run (cached answers cost nothing)."""

    calls: int = 0
    cached: int = 0
    cached_tokens: int = 0  # what the cached answers cost when they were first asked
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    by_prompt: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        tokens = self.prompt_tokens + self.completion_tokens
        return {"calls": self.calls, "cached": self.cached, "cached_tokens": self.cached_tokens,
                "failures": self.failures,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "tokens": tokens, "seconds": round(self.seconds, 2),
                "completion_tokens_per_s": round(self.completion_tokens / self.seconds, 2)
                if self.seconds else None, "by_prompt": self.by_prompt}


class RoleClient:
    """One model role used by ingest steps: ``run(prompt, inputs)`` -> outputs or errors."""

    def __init__(self, client, model: str, cache: AnswerCache, concurrency: int = 8,
                 role: str = "teacher") -> None:
        self.client, self.model, self.cache = client, model, cache
        self.concurrency, self.role = concurrency, role
        self.usage = Usage()
        self.seen: list[str] = []  # every input of this run, asked or cached (for audits)

    def run(self, prompt: TypedPrompt, inputs: list[BaseModel], max_tokens: int = 512,
            desc: str | None = None) -> list[BaseModel | TypedCallError]:
        keys = [AnswerCache.key(prompt, self.model, i) for i in inputs]
        self.seen.extend(i.model_dump_json() for i in inputs)
        results: list = [None] * len(inputs)
        todo = []
        for n, key in enumerate(keys):
            row = self.cache.get(key)
            if row is None:
                todo.append(n)
            else:
                self.usage.cached += 1
                for k in ("prompt_tokens", "completion_tokens"):
                    self.usage.cached_tokens += row.get("usage", {}).get(k, 0)
                results[n] = (prompt.output_model.model_validate(row["output"]) if row["ok"]
                              else TypedCallError(prompt.key, row["reason"]))
        if todo:
            asyncio.run(self._ask(prompt, inputs, keys, todo, results, max_tokens,
                                  desc or prompt.name))
        stats = self.usage.by_prompt.setdefault(prompt.key, {"inputs": 0, "calls": 0,
                                                             "failures": 0})
        stats["inputs"] += len(inputs)
        stats["calls"] += len(todo)
        stats["failures"] += sum(isinstance(r, TypedCallError) for r in results)
        return results

    async def _ask(self, prompt, inputs, keys, todo, results, max_tokens, desc) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        bar = tqdm(total=len(todo), desc=f"{desc} ({self.role})", unit="call", file=sys.stderr)
        t0 = time.perf_counter()

        async def one(n: int) -> None:
            async with gate:
                usage: dict = {}
                try:
                    out = await call_typed(self.client, self.model, prompt, inputs[n],
                                           max_tokens=max_tokens, usage=usage)
                    row = {"ok": True, "output": out.model_dump(), "usage": usage}
                    results[n] = out
                except TypedCallError as e:
                    row = {"ok": False, "reason": e.reason, "usage": usage}
                    results[n] = e
                    self.usage.failures += 1
                finally:
                    self.usage.calls += usage.get("calls", 0)
                    self.usage.prompt_tokens += usage.get("prompt_tokens", 0)
                    self.usage.completion_tokens += usage.get("completion_tokens", 0)
                self.cache.put({"key": keys[n], "prompt": prompt.key, "model": self.model, **row})
                bar.update(1)

        try:
            await asyncio.gather(*(one(n) for n in todo))
        except (openai.APIConnectionError, openai.InternalServerError,
                openai.RateLimitError) as e:  # APITimeoutError is an APIConnectionError
            done = sum(r is not None for r in results)
            raise RoleUnavailable(
                f"{self.role} ({self.model} at {getattr(self.client, 'base_url', '?')}) did not "
                f"answer a {prompt.key} request: {e} (after the client's retries). The answers "
                f"received so far ({done} of {len(results)} for this step) are cached in "
                f"{self.cache.path}; start the server (`smallbatch models serve {self.role}`) and "
                f"run the same command again to resume from them.") from e
        finally:
            self.usage.seconds += time.perf_counter() - t0
            bar.close()
