"""The echo guard: an answer made of the question's own words says nothing.

Asked "What do alternate machine models share with Turing machines?", the 0.5B often answers
"Alternate machine models share with Turing machines [1]" — a quarter of its misses with the
answer in its context look like this. Such an answer is re-asked once with the rule restated;
if the second answer echoes too, it is withdrawn.

Chinese is measured in characters, not jieba words: a Chinese answer keeps the question's frame
and puts the answer where the question word was (「dpkg 是做什么的？」 -> 「dpkg 是处理 .deb 文件的
命令」), and jieba cuts the two differently, so words would call a new term old or an old one new.
An answer's Han content (stopwords dropped) counts as its characters; a new Han character counts
one, a new word of another script two (a Chinese word is about two characters).
"""

from __future__ import annotations

from rag.citations import strip_markers
from smallbatch.text import HAN, tokenize

MIN_SHARE = 0.7  # share of the answer's content tokens that come from the question
MIN_NEW = 2  # an answer adding fewer new content tokens than this says nothing new
# (in Chinese: fewer than two new Han characters and no new word of another script)

RESTATE = ("Your answer only repeated the question. Answer with the fact from the sources that "
           "the question asks for (a name, number, place, date or phrase), citing its source "
           "as [n]. If the sources do not say, reply exactly: {abstain}")


def units(text: str) -> list[str]:
    """Content tokens; Han ones cut into their characters (see the module docstring)."""
    out: list[str] = []
    for t in tokenize(strip_markers(text)):
        out += list(t) if HAN.fullmatch(t) else [t]
    return list(dict.fromkeys(out))


def new_words(answer: str, question: str) -> list[str]:
    if not HAN.search(answer + question):
        asked = set(tokenize(question))
        return [t for t in dict.fromkeys(tokenize(strip_markers(answer))) if t not in asked]
    asked = set(units(question)) | set("".join(HAN.findall(question)))
    return [t for t in units(answer) if t not in asked]


def weight(tokens: list[str]) -> int:
    """In Chinese text a Han character weighs one, a word of another script two."""
    return sum(1 if HAN.fullmatch(t) else 2 for t in tokens)


def is_echo(answer: str, question: str) -> bool:
    """At least MIN_SHARE of the answer's content tokens are the question's, and it adds fewer
    than MIN_NEW new ones (weighed as above). An empty answer is no echo (it is handled as an
    empty answer)."""
    han = bool(HAN.search(answer + question))
    words = units(answer) if han else list(dict.fromkeys(tokenize(strip_markers(answer))))
    if not words:
        return False
    new = new_words(answer, question)
    if any(t.isdigit() for t in new):  # "… oxygen is 8": a new number is the answer itself
        return False
    share = (len(words) - len(new)) / len(words)
    return share >= MIN_SHARE and (weight(new) if han else len(new)) < MIN_NEW


def reask_messages(messages: list[dict], answer: str, abstain: str) -> list[dict]:
    """The first request's messages, its echoing answer, and the rule restated."""
    return messages + [{"role": "assistant", "content": answer},
                       {"role": "user", "content": RESTATE.format(abstain=abstain)}]
