"""A cheap support check: is the answer made of words the sources contain?

Small models sometimes answer from memory (or invent) instead of from the context. An answer
term that appears neither in the sources nor in the question is unsupported. An unsupported
number or proper name condemns the answer outright (invented dates, quantities and names are
the most harmful errors); otherwise the answer is unsupported when most of its terms are.
"""

from __future__ import annotations

import re

from smallbatch.text import tokenize

_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]+")


def unsupported_terms(answer: str, question: str, sources: list[str]) -> list[str]:
    known = set(tokenize(" ".join(sources))) | set(tokenize(question))
    return [t for t in dict.fromkeys(tokenize(answer)) if t not in known]


def is_supported(answer: str, question: str, sources: list[str], max_share: float = 0.5) -> bool:
    terms = list(dict.fromkeys(tokenize(answer)))
    missing = set(unsupported_terms(answer, question, sources))
    if not terms:
        return True
    if any(any(ch.isdigit() for ch in t) for t in missing):
        return False
    names = {w.lower() for w in _NAME.findall(answer.strip())}
    if names & missing:
        return False
    return len(missing) / len(terms) <= max_share
