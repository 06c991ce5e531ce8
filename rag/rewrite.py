"""Follow-up questions become standalone questions before retrieval.

"When did he die?" retrieves nothing useful on its own; with the conversation it becomes "When
did Rollo die?". The rewrite is one typed call to the answering model. Without earlier turns
the question is already standalone and no call is made (the cheap path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from rag.referent import ELLIPSIS, PRONOUN, allowed_words, resolve, substitute
from smallbatch.prompting import TypedCallError, TypedPrompt, call_typed
from smallbatch.text import tokenize

MAX_TURNS = 6  # earlier turns beyond these are not sent: follow-ups refer to recent ones
MAX_TURN_CHARS = 600  # a long answer is cut; its opening names what it is about


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class RewriteIn(BaseModel):
    history: list[Turn]
    follow_up: str


class RewriteOut(BaseModel):
    # Naming the referent first makes a small model substitute it instead of copying the
    # follow-up unchanged (measured with the 0.5B: without it every follow-up came back as is).
    refers_to: str = Field(max_length=200)
    question: str = Field(min_length=1, max_length=500)


REWRITE = TypedPrompt(
    name="rewrite",
    version="rewrite-v1",
    instruction=(
        "You turn the last question of a conversation into a standalone question.\n"
        "The input is JSON: `history` (earlier turns) and `follow_up` (the last question).\n"
        "First write in `refers_to` the full name, from the history, of the person, thing or "
        "event that the pronouns in `follow_up` (he, she, it, they, his, its, their, that, "
        "there) stand for. Then write `question`: `follow_up` with each such pronoun replaced "
        "by that name. Keep the question word and the meaning; do not answer it. If "
        "`follow_up` has no such pronoun, `refers_to` is empty and `question` is `follow_up` "
        "unchanged.\n"
        'Reply with JSON: {"refers_to": "...", "question": "..."}'
    ),
    input_model=RewriteIn,
    output_model=RewriteOut,
    examples=[
        (RewriteIn(history=[Turn(role="user", content="Who painted the Mona Lisa?"),
                            Turn(role="assistant", content="Leonardo da Vinci painted it [1].")],
                   follow_up="Where was he born?"),
         RewriteOut(refers_to="Leonardo da Vinci", question="Where was Leonardo da Vinci born?")),
        (RewriteIn(history=[Turn(role="user", content="Which river flows through Cairo?"),
                            Turn(role="assistant", content="The Nile flows through Cairo [1].")],
                   follow_up="How long is it?"),
         RewriteOut(refers_to="the Nile", question="How long is the Nile?")),
        (RewriteIn(history=[Turn(role="user", content="What is the capital of Kenya?"),
                            Turn(role="assistant", content="Nairobi is the capital [2].")],
                   follow_up="How tall is Mount Everest?"),
         RewriteOut(refers_to="", question="How tall is Mount Everest?")),
    ],
)


# A follow-up that uses none of these words (and is longer than a few words) is standalone:
# no model call. "that" is left out: it is mostly a relative pronoun in standalone questions.
REFERRING = {"he", "she", "it", "they", "him", "her", "them", "his", "hers", "its", "their",
             "theirs", "this", "these", "those", "there", "then"}
SHORT = 2  # "And Norway?", "Why?": words this few lean on the history


@dataclass
class Rewrite:
    """The query retrieval and the answer use, and how it was made: ``none`` (the question
    as typed), ``model`` (the model's standalone question), ``referent`` (the model named what
    the pronouns stand for; they were replaced by it), ``resolved`` (rag/referent.py named the
    subject the user asked about; it replaced the pronouns), ``history`` (the previous question
    was prepended). ``error`` says why a model call failed (the answer still comes)."""

    query: str
    method: str = "none"
    usage: dict = field(default_factory=dict)
    error: str | None = None

    def report(self) -> dict:
        return {"query": self.query, "method": self.method, "error": self.error}


def needs_rewrite(history: list[Turn], question: str) -> bool:
    words = re.findall(r"[a-z']+", question.lower())
    earlier = any(t.content.strip() for t in history)
    return earlier and (len(words) <= SHORT or any(w in REFERRING for w in words)
                        or bool(ELLIPSIS.match(question)))


def recent(history: list[Turn]) -> list[Turn]:
    return [Turn(role=t.role, content=t.content[:MAX_TURN_CHARS]) for t in history[-MAX_TURNS:]]


def _uses_only(query: str, question: str, source: str) -> bool:
    """Every word the rewrite adds to the follow-up comes from ``source``."""
    have = set(tokenize(question)) | set(tokenize(source))
    return all(t in have for t in tokenize(query))


class Rewriter:
    def __init__(self, client, model: str, prompt: TypedPrompt = REWRITE, max_tokens: int = 96):
        self.client, self.model, self.prompt, self.max_tokens = client, model, prompt, max_tokens

    async def rewrite(self, history: list[Turn], question: str) -> Rewrite:
        """The deterministic resolver (rag/referent.py) decides whom a pronoun means; the
        model's rewrite is used when it agrees (names that referent, adds no words from the
        assistant's wording), the resolver's otherwise."""
        if not needs_rewrite(history, question):
            return Rewrite(question)
        history, usage, error = recent(history), {}, None
        try:
            out = await call_typed(self.client, self.model, self.prompt,
                                   RewriteIn(history=history, follow_up=question),
                                   max_tokens=self.max_tokens, retries=1, usage=usage)
        except TypedCallError as exc:
            out, error = None, exc.reason
        return choose(history, question, out, usage, error)


def choose(history: list[Turn], question: str, out: RewriteOut | None, usage: dict,
           error: str | None) -> Rewrite:
    """The model's question if it agrees with the resolver, else the resolver's, else the
    model's named referent, else the previous user question prepended."""
    resolved, allowed = resolve(history, question), allowed_words(history)
    if out is not None:
        asked = " ".join(out.question.split())
        agrees = (all(w in asked.lower() for w in resolved[1].lower().split()) if resolved
                  else _uses_only(asked, question, allowed))
        if asked.lower() != question.lower() and not needs_rewrite(history, asked) and agrees:
            return Rewrite(asked, "model", usage)
    if resolved:
        return Rewrite(resolved[0], "resolved", usage, error)
    name = out.refers_to.strip() if out is not None else ""
    if name and _uses_only(name, "", allowed) and PRONOUN.search(question):
        return Rewrite(substitute(question, name), "referent", usage)
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    query = f"{previous.strip()} {question}".strip()
    return Rewrite(query, "history" if previous else "none", usage, error)
