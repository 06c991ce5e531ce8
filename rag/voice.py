"""What the answerer says in its own words, in the question's language: the abstention and the
notes on a withdrawn, trimmed or re-asked answer.

The model is always told to abstain with the exact English sentence (rag/prompt.py), because
the code detects that sentence; a Chinese question's reader gets the Chinese sentence instead,
both in the final answer and in the stream, where the model's English sentence is held back
while it could still be one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from rag.citations import is_abstention
from rag.prompt import ABSTAIN
from smallbatch.lang import detect_lang


@dataclass(frozen=True)
class Voice:
    abstain: str
    unsupported: str  # ends a streamed answer the support check withdrew
    dropped: str  # "{claims}": the claims removed as unsupported
    reasked: str  # between an echoing answer and the re-asked one


ENGLISH = Voice(ABSTAIN,
                "\n\n(Withdrawn: the sources do not support this answer.)",
                "\n\n(Withdrawn, not in the sources cited: {claims}.)",
                "\n\n(Asked again: the answer only repeated the question.)\n\n")
CHINESE = Voice("根据所提供的资料，我不知道答案。",
                "\n\n（已撤回：资料不支持这个回答。）",
                "\n\n（已撤回，所引资料中没有：{claims}。）",
                "\n\n（已重新回答：上一个回答只是重复了问题。）\n\n")


def voice_for(question: str) -> Voice:
    return CHINESE if detect_lang(question) == "zh" else ENGLISH


def _may_become_abstention(text: str) -> bool:
    low = text.lstrip().lower().replace("\u2019", "'")
    target = ABSTAIN.lower()
    return target.startswith(low) or low.startswith(target)


async def in_voice(deltas: AsyncIterator[str], voice: Voice) -> AsyncIterator[str]:
    """The stream as the reader should see it: in English unchanged; otherwise the model's
    English abstention is held back while the text could still be it, then replaced."""
    held, holding = "", voice is not ENGLISH
    async for delta in deltas:
        if not holding:
            yield delta
            continue
        held += delta
        if not _may_become_abstention(held):
            holding = False
            yield held
    if holding and held:
        yield voice.abstain if is_abstention(held) else held
