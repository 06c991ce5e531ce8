"""The teacher's typed prompts for reading examples (smallbatch/prompting.py): write a question
whose answer is a verbatim span of a unit; answer a question from one passage (the round trip);
and the judge's second opinion when the two answers disagree."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from smallbatch.prompting import TypedPrompt


class Passage(BaseModel):
    passage: str


class ReadingQA(BaseModel):
    question: str = Field(description="a question a reader of the passage could ask")
    answer: str = Field(description="the shortest phrase copied exactly from the passage")
    sentence: str = Field(description="one short sentence answering it, containing the answer")


class ReadingQAs(BaseModel):
    items: list[ReadingQA] = Field(max_length=2)


WRITE_QA = TypedPrompt(
    name="reader_write_qa",
    version="1",
    instruction=(
        "You write reading-comprehension questions about a passage.\n"
        "Write one or two questions that the passage answers, each about a different fact. "
        "A question must make sense on its own, without seeing the passage (name the subject; "
        "no 'the passage', no 'he' without a name). Do not copy a sentence of the passage into "
        "the question.\n"
        "For each question give: 'answer', the shortest phrase copied exactly, character for "
        "character, from the passage (a name, number, date, place or short phrase; never a whole "
        "sentence); and 'sentence', one short sentence that answers the question and contains "
        "the answer phrase.\nReply with JSON only."),
    input_model=Passage,
    output_model=ReadingQAs,
    examples=[(
        Passage(passage="The Eiffel Tower was completed in 1889 for the World's Fair. It is "
                        "330 metres tall and was designed by the engineering firm of Gustave "
                        "Eiffel."),
        ReadingQAs(items=[
            ReadingQA(question="In what year was the Eiffel Tower completed?", answer="1889",
                      sentence="The Eiffel Tower was completed in 1889."),
            ReadingQA(question="Whose engineering firm designed the Eiffel Tower?",
                      answer="Gustave Eiffel",
                      sentence="It was designed by the engineering firm of Gustave Eiffel.")]))],
)


class PassageQuestion(BaseModel):
    passage: str
    question: str


class ShortAnswer(BaseModel):
    answer: str = Field(description="shortest exact phrase of the passage; empty if none")


ANSWER_FROM_PASSAGE = TypedPrompt(
    name="reader_round_trip",
    version="1",
    instruction=(
        "Answer the question using only the passage. Reply with the shortest phrase copied "
        "exactly from the passage that answers it (not a sentence). If the passage does not "
        "answer it, reply with an empty answer.\nReply with JSON only."),
    input_model=PassageQuestion,
    output_model=ShortAnswer,
    examples=[(
        PassageQuestion(passage="The Eiffel Tower was completed in 1889 for the World's Fair.",
                        question="When was the Eiffel Tower completed?"),
        ShortAnswer(answer="1889"))],
)


class TwoAnswers(BaseModel):
    passage: str
    question: str
    answer_a: str
    answer_b: str


class Verdict(BaseModel):
    correct: Literal["a", "b", "both", "neither"]


SECOND_OPINION = TypedPrompt(
    name="reader_second_opinion",
    version="1",
    instruction=(
        "Two answers were given to a question about a passage. Using only the passage, say "
        "which answers are correct: 'a', 'b', 'both' (they mean the same correct thing) or "
        "'neither'.\nReply with JSON only."),
    input_model=TwoAnswers,
    output_model=Verdict,
    examples=[(
        TwoAnswers(passage="The Eiffel Tower was completed in 1889 for the World's Fair.",
                   question="When was the Eiffel Tower completed?", answer_a="1889",
                   answer_b="the World's Fair"),
        Verdict(correct="a"))],
)

PROMPT_KEYS = [p.key for p in (WRITE_QA, ANSWER_FROM_PASSAGE, SECOND_OPINION)]
