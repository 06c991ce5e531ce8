"""Augmentation: questions per unit, indexed for retrieval alongside it (``index_text``).

Users ask questions; units state facts. Matching a question against the questions a unit
answers closes that gap. The distillation already produced question-answer pairs per passage, so
each unit first receives, at no cost, the passage's questions whose answer it contains (a QA unit
carries its own question in its text). With ``generate`` on, units still without a question get
``per_unit`` questions from the teacher (one batched, cached call per unit); that is off by
default on CPU, where it would cost about as much as the distillation itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from ingest.steps import Drops, Step
from ingest.role_client import RoleClient
from smallbatch.prompting import TypedCallError, TypedPrompt
from smallbatch.records import Doc


class QuestionsIn(BaseModel):
    statement: str
    count: int


class QuestionsOut(BaseModel):
    questions: list[str]


QUESTIONS = TypedPrompt(
    name="questions",
    version="1",
    instruction=("Write questions that the statement answers, as different users would ask "
                 "them. Reply with JSON."),
    input_model=QuestionsIn,
    output_model=QuestionsOut,
    examples=[(QuestionsIn(statement="The Rhine Falls are 23 metres high.", count=2),
               QuestionsOut(questions=["How high are the Rhine Falls?",
                                       "What is the height of the Rhine Falls?"]))],
)


def attach_from_qa(unit: Doc) -> list[str]:
    """The passage's questions whose answer the unit states (all of them for a passage unit)."""
    kind, text = unit.metadata.get("kind"), unit.text.lower()
    if kind == "qa":
        return []
    return [q["question"] for q in unit.metadata.get("qa", [])
            if kind == "passage" or q["answer"].lower() in text]


class Augment(Step):
    name = "augment"

    def __init__(self, teacher: RoleClient | None = None, generate: bool = False,
                 per_unit: int = 2) -> None:
        if generate and teacher is None:
            raise ValueError("question generation needs a teacher")
        self.teacher, self.generate, self.per_unit = teacher, generate, per_unit
        self.prompt_keys = {QUESTIONS.key} if generate else set()

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        units = list(docs)
        for u in units:
            u.metadata["questions"] = list(dict.fromkeys(attach_from_qa(u)))
        bare = [u for u in units if not u.metadata["questions"] and u.metadata.get("kind") != "qa"]
        if self.generate and bare:
            outs = self.teacher.run(QUESTIONS, [QuestionsIn(statement=u.text, count=self.per_unit)
                                                for u in bare], max_tokens=120, desc="augment")
            for u, out in zip(bare, outs):
                if isinstance(out, TypedCallError):
                    drops.tally(self.name, "no questions: teacher output unusable")
                    continue
                u.metadata["questions"] = [q.strip() for q in out.questions
                                           if q.strip()][: self.per_unit]
        yield from units
