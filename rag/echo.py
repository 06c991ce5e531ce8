"""The echo guard: an answer made of the question's own words says nothing.

Asked "What do alternate machine models share with Turing machines?", the 0.5B often answers
"Alternate machine models share with Turing machines [1]" — a quarter of its misses with the
answer in its context look like this. Such an answer is re-asked once with the rule restated;
if the second answer echoes too, it is withdrawn.
"""

from __future__ import annotations

from rag.citations import strip_markers
from smallbatch.text import tokenize

MIN_SHARE = 0.7  # share of the answer's content tokens that come from the question
MIN_NEW = 2  # an answer adding fewer new content tokens than this says nothing new

RESTATE = ("Your answer only repeated the question. Answer with the fact from the sources that "
           "the question asks for (a name, number, place, date or phrase), citing its source "
           "as [n]. If the sources do not say, reply exactly: {abstain}")


def new_words(answer: str, question: str) -> list[str]:
    asked = set(tokenize(question))
    return [t for t in dict.fromkeys(tokenize(strip_markers(answer))) if t not in asked]


def is_echo(answer: str, question: str) -> bool:
    """At least MIN_SHARE of the answer's content tokens are the question's, and it adds fewer
    than MIN_NEW new ones. An empty answer is no echo (it is handled as an empty answer)."""
    words = list(dict.fromkeys(tokenize(strip_markers(answer))))
    if not words:
        return False
    new = new_words(answer, question)
    return (len(words) - len(new)) / len(words) >= MIN_SHARE and len(new) < MIN_NEW


def reask_messages(messages: list[dict], answer: str, abstain: str) -> list[dict]:
    """The first request's messages, its echoing answer, and the rule restated."""
    return messages + [{"role": "assistant", "content": answer},
                       {"role": "user", "content": RESTATE.format(abstain=abstain)}]
