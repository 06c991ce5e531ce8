"""The judge role decides the claims the lexical check is unsure about.

One typed call per answer judges all its unsure claims at once (a batch: the CPU judge pays
the prompt once). Off unless a judge is configured: serving must not depend on a second model
being up, and a 1.5B judge on this CPU adds seconds. Verdicts are cached in memory by (prompt
version, model, claim, source) so a repeated question costs no call.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache

from pydantic import BaseModel, Field, create_model

from smallbatch.prompting import TypedCallError, TypedPrompt, call_typed

MAX_SOURCE_CHARS = 1500  # a claim's source is cut: the judge reads only what it needs


class Pair(BaseModel):
    claim: str
    source: str


class EntailIn(BaseModel):
    pairs: list[Pair]


class EntailOut(BaseModel):
    supported: list[bool] = Field(description="one verdict per pair, in order")


ENTAIL = TypedPrompt(
    name="entail",
    version="entail-v1",
    instruction=(
        "For each pair, decide whether the source states the claim. A claim is supported only "
        "if the source says it: the same numbers, dates and names, about the same subject. A "
        "claim that mixes a fact from the source with another subject is not supported.\n"
        'Reply with JSON: {"supported": [true|false, ...]}, one verdict per pair, in order.'),
    input_model=EntailIn,
    output_model=EntailOut,
    examples=[(EntailIn(pairs=[
        Pair(claim="Rollo died in 911.", source="The duchy began in 911 under Rollo."),
        Pair(claim="The duchy was founded in 911.", source="The duchy began in 911 under Rollo.")]),
        EntailOut(supported=[False, True]))],
)


@lru_cache(maxsize=64)
def verdicts_model(n: int) -> type[EntailOut]:
    """EntailOut whose schema demands exactly ``n`` verdicts: the server's guided decoding then
    cannot copy the example's two verdicts for one pair (the 0.5B did)."""
    return create_model(f"EntailOut{n}", __base__=EntailOut, supported=(
        list[bool], Field(min_length=n, max_length=n,
                          description="one verdict per pair, in order")))


class Entailer:
    """The judge client (an AsyncOpenAI-like object, injected) and its verdict cache."""

    def __init__(self, client, model: str, prompt: TypedPrompt = ENTAIL, max_cache: int = 4096):
        self.client, self.model, self.prompt, self.max_cache = client, model, prompt, max_cache
        self.cache: dict[str, bool] = {}
        self.usage: dict = {}

    def _key(self, pair: Pair) -> str:
        raw = f"{self.prompt.key}\0{self.model}\0{pair.claim}\0{pair.source}"
        return hashlib.sha256(raw.encode()).hexdigest()

    async def judge(self, pairs: list[tuple[str, str]]) -> list[bool]:
        """One verdict per (claim, source); raises TypedCallError when the judge fails."""
        items = [Pair(claim=c, source=s[:MAX_SOURCE_CHARS]) for c, s in pairs]
        todo = [p for p in items if self._key(p) not in self.cache]
        if todo:
            prompt = replace(self.prompt, output_model=verdicts_model(len(todo)))
            out = await call_typed(self.client, self.model, prompt, EntailIn(pairs=todo),
                                   max_tokens=16 + 8 * len(todo), retries=1, usage=self.usage)
            if len(out.supported) != len(todo):
                raise TypedCallError(self.prompt.key, f"{len(out.supported)} verdicts for "
                                     f"{len(todo)} pairs")
            if len(self.cache) + len(todo) > self.max_cache:
                self.cache.clear()
            self.cache.update({self._key(p): v for p, v in zip(todo, out.supported)})
        return [self.cache[self._key(p)] for p in items]
