"""Strip boilerplate: lines that repeat across many documents of the corpus.

Headers, footers, navigation bars and cookie notices ("Skip to main content", "Home | About |
Contact", "Copyright © 2024 Example Corp. All rights reserved.") are the same few lines on every
page of a site. They carry no knowledge, pollute retrieval, and make unrelated pages look alike
to near-duplicate detection, so they go before dedup. A line is boilerplate when its normalised
form occurs in at least ``min_docs`` documents *and* in at least ``min_share`` of them:
``min_docs`` guards small corpora (two docs that happen to share a line prove nothing),
``min_share`` guards large ones (a quotation in 3 of 100,000 pages is content, not a footer).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from ingest.headers import heading
from ingest.steps import Drops, Step
from smallbatch.records import Doc

_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
_BLANKS = re.compile(r"\n\s*\n+")


def line_key(line: str) -> str:
    """A line's normalised form: case-folded, digit runs as 0, punctuation and spacing dropped.

    So "Copyright © 2023 Example Corp." and "COPYRIGHT 2024 Example Corp" count as one line, and
    "Page 3 of 10" matches "Page 4 of 12". A line with no letters or digits has the key "".
    """
    key = _DIGITS.sub("0", line.casefold())
    return _NON_WORD.sub(" ", key).strip()


def kept_lines(lines: list[str], repeated: set[str]) -> list[str]:
    """The lines that are not boilerplate. A repeated heading line is judged by what it heads:
    it stays when its section (up to the next heading of the same or a higher rank) keeps any
    text, so a page title repeated across copies and parts ("# Fresno (part 2)" folds to the
    same key as "(part 3)") survives, while a site header dressed as a heading ("# WikiMirror"
    over "## Navigation" and its links) goes with the lines it heads. Headings are judged
    innermost first, so a kept subheading counts as text for the heading above it."""
    keep = [line_key(line) not in repeated for line in lines]
    heads = [(i, h[0]) for i, line in enumerate(lines) if (h := heading(line))]
    for n in range(len(heads) - 1, -1, -1):
        i, level = heads[n]
        if keep[i]:
            continue  # not repeated: content
        end = next((j for j, lv in heads[n + 1:] if lv <= level), len(lines))
        keep[i] = any(keep[j] and lines[j].strip() for j in range(i + 1, end))
    return [line for line, k in zip(lines, keep) if k]


class StripBoilerplate(Step):
    """Remove corpus-wide repeated lines; drop a doc that was nothing but boilerplate.

    Defaults: ``min_docs=3``, ``min_share=0.02`` — a footer of any source that contributes at
    least one document in fifty is caught, while a line shared by fewer documents than that is
    treated as content. ``max_words=30``: longer lines are never boilerplate — a repeated
    paragraph means the documents are near duplicates, which is the dedup step's call, not ours.
    Lines with an empty key (rules, lone bullets) are left alone: they are layout, not text.
    Two passes: the first counts in how many docs each key occurs, so the docs are held in a list.
    """

    name = "strip_boilerplate"

    def __init__(self, min_docs: int = 3, min_share: float = 0.02, max_words: int = 30):
        if min_docs < 2:
            raise ValueError(f"min_docs must be >= 2 (a line in one doc is not repeated), got {min_docs}")
        if not 0.0 <= min_share <= 1.0:
            raise ValueError(f"min_share must be in [0, 1], got {min_share}")
        if max_words < 1:
            raise ValueError(f"max_words must be >= 1, got {max_words}")
        self.min_docs = min_docs
        self.min_share = min_share
        self.max_words = max_words

    def boilerplate(self, docs: list[Doc]) -> set[str]:
        """The keys of lines that occur in enough documents to count as boilerplate."""
        doc_counts: Counter[str] = Counter()
        for doc in docs:
            doc_counts.update({line_key(line) for line in doc.text.split("\n")})
        doc_counts.pop("", None)
        needed = max(self.min_docs, self.min_share * len(docs))
        return {key for key, n in doc_counts.items()
                if n >= needed and len(key.split()) <= self.max_words}

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        docs = list(docs)
        repeated = self.boilerplate(docs)
        for doc in docs:
            lines = doc.text.split("\n")
            kept = kept_lines(lines, repeated)
            removed = len(lines) - len(kept)
            if removed:
                doc.text = _BLANKS.sub("\n\n", "\n".join(kept)).strip()
                doc.metadata["boilerplate_lines"] = doc.metadata.get("boilerplate_lines", 0) + removed
            if removed and not doc.text:
                drops.add(self.name, doc, "only boilerplate", lines=removed)
                continue
            yield doc
