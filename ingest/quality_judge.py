"""The LLM judge's view of quality, combined with the heuristic score.

The judge (the ``judge`` role) rates each passage 1-5 on informativeness, self-containedness and
cleanliness (5 = no noise), and — when the knowledge base declares a scope — how well it fits the
scope, so off-topic pages that are perfectly good prose still go (an on_scope rating of 1-2 is an
off-scope vote; with the passages' vectors the votes are pooled over each passage's nearest
neighbours, ingest/scope_vote.py, and a passage whose neighbourhood votes off is dropped whatever
the other views say: scope is the curator's policy). The combined score is a
weighted mean of the heuristic score and the judge's mean rating mapped to [0, 1]; a passage
below the threshold is dropped with the judge's worst view as its reason. A passage the judge could not
rate (malformed output after retries) keeps its heuristic score and the failure is counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np
from pydantic import BaseModel

from ingest.steps import Drops, Step
from ingest.role_client import RoleClient
from ingest.scope_vote import pooled_votes
from ingest.vectors import VectorMemo
from smallbatch.prompting import TypedCallError, TypedPrompt
from smallbatch.records import Doc

Rating = Literal[1, 2, 3, 4, 5]  # an enum: cheap for the server's JSON grammar


class JudgeIn(BaseModel):
    scope: str
    passage: str


class JudgeOut(BaseModel):
    informative: Rating
    self_contained: Rating
    clean: Rating
    on_scope: Rating


JUDGE_QUALITY = TypedPrompt(
    name="judge_quality",
    version="1",
    instruction=(
        "You grade passages for a reference knowledge base. Rate each from 1 (worst) to 5 "
        "(best). Reply with JSON only.\n"
        "informative: does it state facts a reader could ask about?\n"
        "self_contained: can it be understood without the surrounding page?\n"
        "clean: is it free of menus, code, markup, ads, personal data and garbled text?\n"
        "on_scope: does it belong to the knowledge base's scope? (5 if no scope is given)"
    ),
    input_model=JudgeIn,
    output_model=JudgeOut,
    examples=[
        (JudgeIn(scope="encyclopedia articles about places, people, science and history",
                 passage="Lake Baikal in Siberia is the deepest lake in the world, reaching "
                         "1,642 metres, and holds about a fifth of the world's fresh surface "
                         "water."),
         JudgeOut(informative=5, self_contained=5, clean=5, on_scope=5)),
        (JudgeIn(scope="encyclopedia articles about places, people, science and history",
                 passage="Home | Products | Login >> Click here to subscribe!!! def f(x): "
                         "return x  © 2019 all rights reserved"),
         JudgeOut(informative=1, self_contained=1, clean=1, on_scope=1)),
        (JudgeIn(scope="encyclopedia articles about places, people, science and history",
                 passage="The --verbose option prints each file as it is copied; combine it "
                         "with --dry-run to see what would happen without copying."),
         JudgeOut(informative=4, self_contained=4, clean=5, on_scope=1)),
    ],
)

VIEWS = ("informative", "self_contained", "clean", "on_scope")
OFF_SCOPE = 2  # an on_scope rating at or below this is an off-scope vote


def off_votes(outs: list) -> np.ndarray:
    """1.0 where the judge rated a passage off scope, 0.0 elsewhere (a failed call included)."""
    return np.array([0.0 if isinstance(o, TypedCallError) or o.on_scope > OFF_SCOPE else 1.0
                     for o in outs])


def judge_score(out: JudgeOut) -> tuple[float, str]:
    """Mean of the quality ratings mapped to [0, 1] (1 -> 0, 5 -> 1), the worst view counted
    twice so one failing view is not averaged away; and the worst view's name."""
    ratings = {v: getattr(out, v) for v in VIEWS if v != "on_scope"}
    worst = min(ratings, key=ratings.get)
    mean = (sum(ratings.values()) + ratings[worst]) / (len(ratings) + 1)
    return (mean - 1) / 4, worst


class JudgeQuality(Step):
    name = "judge_quality"

    def __init__(self, judge: RoleClient, scope: str = "", threshold: float = 0.5,
                 heuristic_weight: float = 1.0, judge_weight: float = 1.0,
                 vectors: VectorMemo | None = None, scope_neighbours: int = 8,
                 scope_share: float = 1 / 3) -> None:
        """``vectors``: pool the off-scope votes over ``scope_neighbours`` nearest passages and
        drop where at least ``scope_share`` of them vote off (None or 0 neighbours: the
        passage's own vote decides)."""
        if heuristic_weight < 0 or judge_weight <= 0:
            raise ValueError("quality weights: heuristic >= 0 and judge > 0")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        if scope_neighbours < 0 or not 0.0 < scope_share <= 1.0:
            raise ValueError("scope pooling: neighbours >= 0 and share in (0, 1]")
        self.vectors, self.neighbours, self.share = vectors, scope_neighbours, scope_share
        self.judge, self.scope, self.threshold = judge, scope.strip(), threshold
        self.wh, self.wj = heuristic_weight, judge_weight
        self.prompt_keys = {JUDGE_QUALITY.key}

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        docs = list(docs)
        outs = self.judge.run(JUDGE_QUALITY, [JudgeIn(scope=self.scope or "(none)", passage=d.text)
                                              for d in docs], max_tokens=80, desc="judge quality")
        off = self._off_scope(docs, outs)
        for doc, out, share in zip(docs, outs, off):
            q = doc.metadata.setdefault("quality", {"score": 1.0, "views": {}})
            if isinstance(out, TypedCallError):
                q["judge_error"] = out.reason
                drops.tally(self.name, "judge failed (kept on heuristics)")
                yield doc
                continue
            if self.scope:
                q["scope_vote"] = round(float(share), 4)
                if share >= self.share - 1e-9:  # scope is policy, not a quality
                    q["judge"] = out.model_dump()
                    drops.add(self.name, doc, "judge: off scope", on_scope=out.on_scope,
                              scope_vote=q["scope_vote"])
                    continue
            js, worst = judge_score(out)
            wh = self.wh if q.get("views") else 0.0  # heuristic step off: the judge alone
            combined = (wh * q["score"] + self.wj * js) / (wh + self.wj)
            q.update(judge=out.model_dump(), judge_score=round(js, 4), score=round(combined, 4))
            if combined < self.threshold:
                drops.add(self.name, doc, f"judge: low {worst}", score=round(combined, 4))
                continue
            yield doc

    def _off_scope(self, docs: list[Doc], outs: list) -> np.ndarray:
        """Each passage's off-scope share: its own vote, or its neighbourhood's (a passage the
        judge could not rate votes on scope)."""
        votes = off_votes(outs)
        if not self.scope or self.vectors is None or not docs:
            return votes
        return pooled_votes(self.vectors.of(docs), votes, self.neighbours)
