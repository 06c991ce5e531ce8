"""An answer as claims: the sentences and clauses it asserts, each with the ``[n]`` it cites.

The support check judges claims one by one against the source each cites, so an answer cannot
borrow a year from one source to decorate a sentence cited to another. A claim ends at a sentence
end (. ! ? and the CJK 。！？), at a semicolon, or right after a citation marker ("Berlin [2] and
Rome [3]" is two claims). A marker standing after the full stop belongs to the sentence before.

The facts of a claim are what the check is strictest about: numbers (digits, with "1,000" read as
1000, and Chinese numerals read as digits: 三千 -> 3000, 第五章 -> 5, 二〇二三 -> 2023, see
rag/numerals.py) and proper names (capitalised words not opening a sentence). Chinese has no
capitals, so a Chinese name cannot be told from other words: it is checked as content, by
characters (rag/support.py). Content words come from ``smallbatch.text.tokenize``, which
segments Han text with jieba and assumes no whitespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.citations import CITE, cited_numbers
from rag.numerals import chinese_numbers
from smallbatch.text import tokenize

# a sentence end (Latin punctuation needs a following space or the end; CJK ones do not)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？；])|;\s*|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’-]*")
_NOT_NAMES = {"I", "The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "This"}


@dataclass(slots=True)
class Claim:
    text: str  # without its markers
    cites: list[int] = field(default_factory=list)
    raw: str = ""  # as written, markers included

    @property
    def numbers(self) -> list[str]:
        return numbers(self.text)

    @property
    def names(self) -> list[str]:
        return names(self.text)


def numbers(text: str) -> list[str]:
    """Digit strings of the text, separators dropped: "1,000" -> "1000", "880s" -> "880";
    Chinese numerals as digits (三千 -> "3000")."""
    return list(dict.fromkeys([*digits(text), *chinese_numbers(text)]))


_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {w: 10 * k for k, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if k >= 2}
_WORD_NUMBER = re.compile(
    rf"\b(?:({'|'.join(_TENS)})(?:[- ]({'|'.join(_ONES[1:10])}))?|({'|'.join(_ONES)}))\b", re.I)


def word_numbers(text: str) -> list[str]:
    """English number words as digits: "three" -> "3", "twenty-five" -> "25". Read on the
    source side only, so an answer's "3" is found in a source's "three" (a claim's "one of the
    largest" must not demand a 1)."""
    out = []
    for m in _WORD_NUMBER.finditer(text):
        tens, unit, one = (g.lower() if g else g for g in m.groups())
        out.append(str(_ONES.index(one) if one else _TENS[tens] + (
            _ONES.index(unit) if unit else 0)))
    return list(dict.fromkeys(out))


def source_numbers(text: str) -> list[str]:
    """A source's numbers: written in digits, in Chinese numerals or in English words."""
    return list(dict.fromkeys([*numbers(text), *word_numbers(text)]))


def digits(text: str) -> list[str]:
    """The numbers written in digits only: they read the same in every language."""
    return list(dict.fromkeys(m.replace(",", "") for m in _NUMBER.findall(text)))


def names(text: str) -> list[str]:
    """Lower-cased capitalised words that do not open a sentence (or the text)."""
    out = []
    for m in _NAME.finditer(text):
        before = text[:m.start()].rstrip()
        if not before or before[-1] in ".!?:\"“(。！？：「『（" or m.group() in _NOT_NAMES:
            continue
        out.append(m.group().lower().rstrip("'’").removesuffix("'s").removesuffix("’s"))
    return list(dict.fromkeys(out))


def content_words(text: str) -> list[str]:
    """Tokens that are not stopwords and hold no digit (numbers are checked as facts)."""
    return list(dict.fromkeys(t for t in tokenize(CITE.sub(" ", text))
                              if not any(ch.isdigit() for ch in t)))


def _pieces(answer: str) -> list[str]:
    """Sentences, then each cut right after a marker that is followed by more words."""
    out: list[str] = []
    for sent in SENTENCE_END.split(answer.strip()):
        start = 0
        for m in CITE.finditer(sent):
            rest = sent[m.end():]
            if re.search(r"\w", rest) and not re.match(r"\s*\[", rest):
                out.append(sent[start:m.end()])
                start = m.end()
        out.append(sent[start:])
    return [p.strip() for p in out if p and p.strip()]


def split_claims(answer: str) -> list[Claim]:
    """The claims of an answer in order; a piece that is only markers joins the claim before."""
    claims: list[Claim] = []
    for piece in _pieces(answer):
        text = CITE.sub(" ", piece)
        text = re.sub(r"\s+([.,;:!?。，；])", r"\1", " ".join(text.split())).strip(" ,")
        cites = cited_numbers(piece)
        if not re.search(r"\w", text) and claims:
            claims[-1].cites += [n for n in cites if n not in claims[-1].cites]
            claims[-1].raw += " " + piece
            continue
        if re.search(r"\w", text):
            claims.append(Claim(text, cites, piece))
    return claims
