"""Word tokenisation shared by the BM25 index (built in ingest) and the query side (rag)."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)

# Function words that carry no topic; a question's "what/which/when" would otherwise dominate.
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i in
    is it its of on or she that the their them they this to was were what when where which who
    whom whose why will with you your""".split()
)


def tokenize(text: str) -> list[str]:
    return [t for t in _WORD.findall(text.lower()) if t not in STOPWORDS]
