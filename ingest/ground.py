"""Grounding check: a distilled unit must be supported by the passage it came from.

Two stages. A cheap lexical pre-check compares the unit's content words with its passage: every
number must appear in the passage, and the share of content words found there decides — below
``reject_below`` the unit is dropped outright, at or above ``accept_at`` it passes. Only the
uncertain middle goes to the judge as an entailment question, batched per passage (one call checks
all the passage's uncertain units). The judge's "not supported" is a drop with its reason; a
batch whose answer is unusable (bad JSON, wrong number of verdicts) is asked again one claim at
a time; a claim the judge still fails on is dropped (unverified is not kept), counted separately.
Passage units (the source text itself) are grounded by construction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from pydantic import BaseModel

from ingest.steps import Drops, Step
from ingest.role_client import RoleClient
from smallbatch.prompting import TypedCallError, TypedPrompt
from smallbatch.records import Doc
from smallbatch.text import STOPWORDS

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in STOPWORDS}


def _stem(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") else w


def lexical_support(unit: str, passage: str) -> float:
    """Share of the unit's content words (crudely de-pluralised) found in the passage; 0 when a
    number in the unit is not in the passage."""
    numbers = set(_NUMBER.findall(unit))
    if numbers - set(_NUMBER.findall(passage)):
        return 0.0
    words = {_stem(w) for w in content_words(unit)}
    if not words:
        return 1.0
    return len(words & {_stem(w) for w in content_words(passage)}) / len(words)


class EntailIn(BaseModel):
    passage: str
    claims: list[str]


class EntailOut(BaseModel):
    supported: list[bool]


ENTAIL = TypedPrompt(
    name="entail",
    version="1",
    instruction=(
        "For each claim, answer true if the passage states or directly implies it, false if "
        "the passage does not say it or says otherwise. Use only the passage. Reply with JSON: "
        "one boolean per claim, in order."
    ),
    input_model=EntailIn,
    output_model=EntailOut,
    examples=[(
        EntailIn(passage="The bridge opened in 1932 and carries eight lanes of traffic.",
                 claims=["The bridge opened in 1932.", "The bridge has ten lanes.",
                         "The bridge was designed by a Scottish engineer."]),
        EntailOut(supported=[True, False, False]),
    )],
)


class Ground(Step):
    name = "ground"

    def __init__(self, judge: RoleClient | None, reject_below: float = 0.5,
                 accept_at: float = 0.85) -> None:
        if not 0.0 <= reject_below <= accept_at <= 1.0:
            raise ValueError("need 0 <= reject_below <= accept_at <= 1")
        self.judge, self.reject_below, self.accept_at = judge, reject_below, accept_at
        self.prompt_keys = {ENTAIL.key} if judge else set()

    def _judge(self, units: list[Doc], groups: list[list[int]],
               verdict: dict[int, bool | str]) -> list[int]:
        """Ask the judge about each group of one passage's claims; returns the units of groups
        whose answer was unusable (their verdict says why)."""
        if not groups:
            return []
        inputs = [EntailIn(passage=units[g[0]].metadata["parent_text"],
                           claims=[units[i].text for i in g]) for g in groups]
        outs = self.judge.run(ENTAIL, inputs, max_tokens=16 + 8 * max(map(len, groups)),
                              desc="ground")
        failed = []
        for g, out in zip(groups, outs):
            if isinstance(out, TypedCallError) or len(out.supported) != len(g):
                why = out.reason if isinstance(out, TypedCallError) else "verdict count"
                for i in g:
                    verdict[i] = f"unverified: judge failed ({why})"
                failed.extend(g)
                continue
            for i, ok in zip(g, out.supported):
                verdict[i] = True if ok else "judge: not supported by source"
        return failed

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        units = list(docs)
        verdict: dict[int, bool | str] = {}
        uncertain: dict[str, list[int]] = defaultdict(list)
        for i, u in enumerate(units):
            if u.metadata.get("kind") == "passage" or "parent_text" not in u.metadata:
                verdict[i] = True
                continue
            s = lexical_support(u.text, u.metadata["parent_text"])
            u.metadata["support"] = round(s, 3)
            if s >= self.accept_at:
                verdict[i] = True
            elif s < self.reject_below or self.judge is None:
                verdict[i] = "lexical: words not in source"
            else:
                uncertain[u.metadata["parent"]].append(i)
        if uncertain:
            retry = self._judge(units, list(uncertain.values()), verdict)
            # a batch the judge fumbled (wrong verdict count, bad JSON) is asked again one claim
            # at a time: a malformed list must not cost the batch's good units
            self._judge(units, [[i] for i in retry], verdict)
        for i, u in enumerate(units):
            if verdict[i] is True:
                yield u
            else:
                drops.add(self.name, u, str(verdict[i]).split(" (")[0], text=u.text,
                          detail=verdict[i])
