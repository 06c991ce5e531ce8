"""Claim-level support: is each claim of an answer in the source it cites?

Small models answer from memory, borrow a number from the wrong source, or stitch true words
into a false sentence ("Rollo was the first Viking ruler in the 880s": every word is in the
sources, the claim is not). So each claim (rag/claims.py) is checked against the source it
cites, never against all of them:

- facts: every number and proper name of the claim must be in that source;
- anchoring: a number must stand in a sentence of that source that also holds at least half of
  the claim's and the question's content words (a year next to other words answers another
  question: the 880s are when earlier settlers arrived, not when Rollo ruled);
- coverage: most of the claim's content words must be in the source (the question's words count
  as known: an answer may restate what was asked).

Each check says supported, unsupported or unsure; unsure goes to the judge role when one is
configured (rag/entail.py), else the ``unsure`` policy decides. A claim with no ``[n]`` is
checked against every source and cited to the first that supports it. Words match when equal or
when one extends the other by a short suffix ("Normans"/"Norman", "deterministically"/
"deterministic"), so inflection does not count as invention.

Chinese has no spaces, and jieba cuts the answer and the source differently (软件包管理 in one,
软件 包 管理 in the other), so a Han word is found in the source's characters, not its words:
it is there when it occurs in the source with white space removed, or when most of its
character bigrams do. A Chinese claim over an English source (or the other way round) cannot be
checked word by word at all: only its digits and Latin names are, and the rest is ``unsure``, so
the judge decides, or the policy (by default the claim is kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.claims import SENTENCE_END, Claim, content_words, digits, source_numbers
from smallbatch.lang import detect_lang
from smallbatch.text import HAN

LOW, HIGH = 0.5, 0.75  # below LOW: unsupported; at or above HIGH: supported; between: unsure
# Chinese question words (the English ones are stopwords of smallbatch.text already): asking
# "when" is no content a source has to hold
ASKING_ZH = frozenset("何时 什么时候 哪里 哪儿 哪年 谁 多少 几 多久 为何 是否".split())
BIGRAM_SHARE = 0.6  # a Han word whose bigrams are at least this much in the source is there


@dataclass(slots=True)
class Verdict:
    status: str  # "supported" | "unsupported" | "unsure"
    reason: str = ""


@dataclass(slots=True)
class Vocab:
    """What a text holds, for finding words in it: its words, and for Han words its characters
    without white space and its character bigrams."""

    words: set[str]
    flat: str
    bigrams: set[str]

    @classmethod
    def of(cls, text: str, words: list[str] | None = None) -> Vocab:
        flat = "".join(text.lower().split())
        grams = {run[i:i + 2] for run in HAN.findall(flat) for i in range(len(run) - 1)}
        return cls(set(content_words(text) if words is None else words), flat, grams)

    def has(self, word: str) -> bool:
        return has_han(word, self) if HAN.search(word) else matches(word, self.words)


def has_han(word: str, vocab: Vocab) -> bool:
    """A Han word is in the text as a run of characters, or by most of its bigrams."""
    if word in vocab.flat:
        return True
    grams = [word[i:i + 2] for i in range(len(word) - 1)]
    return len(grams) >= 2 and sum(g in vocab.bigrams for g in grams) / len(grams) >= BIGRAM_SHARE


@dataclass(slots=True)
class Source:
    """A source's words, numbers and sentences, tokenised once."""

    text: str
    vocab: Vocab
    numbers: set[str] = field(default_factory=set)
    sentences: list[tuple[Vocab, set[str]]] = field(default_factory=list)
    lang: str = "und"

    @classmethod
    def of(cls, text: str) -> Source:
        sents = [(Vocab.of(s), set(source_numbers(s))) for s in SENTENCE_END.split(text)
                 if s.strip()]
        return cls(text, Vocab.of(text), set(source_numbers(text)), sents, detect_lang(text))

    @property
    def words(self) -> set[str]:
        return self.vocab.words


def matches(word: str, vocab: set[str]) -> bool:
    """Equal, or one is the other plus at most 4 characters and they share 4 or more."""
    if word in vocab:
        return True
    if len(word) < 4 or not word.isalpha():
        return False
    return any(len(v) >= 4 and (v.startswith(word) or word.startswith(v))
               and abs(len(v) - len(word)) <= 4 and v[:4] == word[:4] for v in vocab)


def _share(words: list[str], vocab: Vocab) -> float:
    return sum(vocab.has(w) for w in words) / len(words) if words else 1.0


def _grade(share: float, what: str) -> Verdict | None:
    if share < LOW:
        return Verdict("unsupported", f"{what} {share:.0%}")
    return Verdict("unsure", f"{what} {share:.0%}") if share < HIGH else None


def cross_language(claim: Claim, source: Source) -> bool:
    """One of the two is Chinese and the other English: their words cannot meet."""
    return {detect_lang(claim.text), source.lang} == {"zh", "en"}


def _missing(claim: Claim, source: Source, cross: bool) -> list[str]:
    """The claim's facts not in the source; across languages only digits and Latin names,
    which a translation keeps."""
    nums = digits(claim.text) if cross else claim.numbers
    return ([n for n in nums if n not in source.numbers]
            + [n for n in claim.names if not matches(n, source.words)])


def check_claim(claim: Claim, question: str, source: Source) -> Verdict:
    """One claim against one source (the one it cites)."""
    cross = cross_language(claim, source)
    missing = _missing(claim, source, cross)
    if missing:
        return Verdict("unsupported", f"{', '.join(missing)} not in the source")
    if cross:
        return Verdict("unsure", "claim and source in different languages")
    facts = claim.numbers + claim.names
    asked = [w for w in content_words(question) if w not in ASKING_ZH]
    words = [w for w in content_words(claim.text) if w not in facts]
    anchor = [w for w in dict.fromkeys(words + asked) if w not in set(claim.numbers)]
    verdicts = [_grade(max((_share(anchor, ws) for ws, ns in source.sentences if n in ns),
                           default=0.0), f"{n}: its sentence holds the claim's words")
                for n in claim.numbers]
    if not words:
        # A bare span ("1936 [1]", the short answer style) has no words of its own to anchor:
        # its subject is the question, which SQuAD-like questions paraphrase, so a weak anchor
        # is only unsure (judge or policy), never unsupported — that withdrew right answers
        # (12 of 41 new withdrawals on the bench had F1 >= 0.5). Its number must still be in
        # the cited source (``_missing`` above).
        verdicts = [v and Verdict("unsure", v.reason) for v in verdicts]
    known = Vocab.of(question, asked)
    coverage = _share([w for w in words if not known.has(w)], source.vocab)
    verdicts.append(_grade(coverage, "content words in the source"))
    for status in ("unsupported", "unsure"):  # the worst verdict stands
        worst = next((v for v in verdicts if v is not None and v.status == status), None)
        if worst:
            return worst
    return Verdict("supported")


@dataclass(slots=True)
class Checked:
    """A claim, the source number it was checked against (None: none fits), the verdict and
    how the source was chosen: ``marker`` (the model cited it) or ``support`` (found here)."""

    claim: Claim
    source: int | None
    verdict: Verdict
    method: str

    def note(self) -> str:
        where = f"source [{self.source}]" if self.source else "any source"
        return f'"{self.claim.text}" against {where}: {self.verdict.reason}'


def check_cited(claim: Claim, question: str, sources: list[Source]) -> Checked:
    """Against the union of the valid sources it cites; with none, against each in turn."""
    valid = [n for n in claim.cites if 1 <= n <= len(sources)]
    if valid:
        union = Source.of("\n".join(sources[n - 1].text for n in valid))
        return Checked(claim, valid[0], check_claim(claim, question, union), "marker")
    found = [(i + 1, check_claim(claim, question, s)) for i, s in enumerate(sources)]
    for status in ("supported", "unsure"):
        hit = next(((n, v) for n, v in found if v.status == status), None)
        if hit:
            return Checked(claim, hit[0], hit[1], "support")
    reason = found[0][1].reason if found else "no sources"
    return Checked(claim, None, Verdict("unsupported", reason), "support")
