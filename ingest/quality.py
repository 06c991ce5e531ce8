"""Heuristic quality: cheap signals that a text is natural prose worth keeping, not debris.

After the site's navigation, code dumps, spun repetitive text and fragments have gone, the
teacher model spends its (expensive) tokens on real knowledge. Each view scores one signal in
[0, 1] in the spirit of the Gopher rules (Rae et al. 2021) and datatrove's filters:

- ``length``: words in a sensible band (short fragments carry no fact; huge blobs are dumps);
- ``symbols``: share of letters among visible characters and markup symbols per word ("|", "{");
- ``repetition``: share of repeated lines and repeated word 5-grams;
- ``word_length``: mean word length (gibberish and hashes are off the 3-10 letter band);
- ``stopwords``: share of English function words, the cheapest "is this prose" test.

Language is kept simple: CJK vs Latin letters gives ``metadata["lang"]`` of "en", "zh" or
"other"; word-based views that mean nothing for Chinese (word length, English stop words) are
left out for it rather than counted as failures, and stop words are only asked of "en".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from ingest.steps import Drops, Filter
from smallbatch.records import Doc
from smallbatch.text import STOPWORDS

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+")  # letters only: "x1" and "2024" are not prose words
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SYMBOLS = frozenset("|{}[]<>=#*~^`\\_@+/&»«•·→›")  # markup, code and menu separators

DEFAULT_WEIGHTS = {"length": 1.0, "symbols": 1.0, "repetition": 1.0, "word_length": 0.5,
                   "stopwords": 1.0}


def _ramp(x: float, low: float, high: float) -> float:
    """0 at ``low``, 1 at ``high``, linear between (``low > high`` ramps downwards)."""
    return min(1.0, max(0.0, (x - low) / (high - low)))


def language(text: str) -> str:
    """"zh" when CJK make up 30 % of the letters, "en" when Latin letters make up 70 %, else "other"."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "other"
    cjk = len(_CJK.findall(text)) / len(letters)
    latin = sum(c < "\u0250" for c in letters) / len(letters)  # ASCII, Latin-1 and Latin Extended
    return "zh" if cjk >= 0.3 else "en" if latin >= 0.7 else "other"


def views(text: str, lang: str) -> dict[str, float]:
    """Each heuristic's score in [0, 1] (1 = looks like good prose)."""
    words = _WORD.findall(text)
    n_cjk = len(_CJK.findall(text))
    n_words = len(words) + n_cjk / 1.5  # ~1.5 Chinese characters per word
    visible = [c for c in text if not c.isspace()]
    alpha = sum(c.isalpha() for c in visible) / max(1, len(visible))
    symbols = sum(c in _SYMBOLS for c in visible) / max(1.0, n_words)

    lines = [line.strip() for line in text.split("\n") if line.strip()]
    dup_lines = 1 - len(set(lines)) / max(1, len(lines))
    tokens = _TOKEN.findall(text.lower())
    grams = [tuple(tokens[i : i + 5]) for i in range(len(tokens) - 4)]
    dup_grams = 1 - len(set(grams)) / len(grams) if grams else 0.0

    out = {
        "length": _ramp(n_words, 5, 40) if n_words < 40 else min(1.0, 5000 / n_words),
        "symbols": min(_ramp(alpha, 0.5, 0.75), _ramp(symbols, 0.3, 0.05)),
        "repetition": _ramp(max(dup_lines, dup_grams), 0.4, 0.1),
    }
    if lang != "zh" and words:
        mean = sum(map(len, words)) / len(words)
        out["word_length"] = min(_ramp(mean, 1.5, 3.0), _ramp(mean, 15.0, 10.0))
    if lang == "en":
        share = sum(w.lower() in STOPWORDS for w in words) / max(1, len(words))
        out["stopwords"] = _ramp(share, 0.0, 0.15)
    return out


def combine(vs: dict[str, float], weights: dict[str, float] = DEFAULT_WEIGHTS) -> float:
    """The weighted geometric mean of the views (0 if a weighted view is 0; 1 if none is
    weighted). The tuner recomputes a unit's heuristic score from its stored views with it."""
    total = sum(weights[k] for k in vs)
    if total == 0:
        return 1.0
    if any(v == 0 and weights[k] for k, v in vs.items()):
        return 0.0
    return math.exp(sum(weights[k] * math.log(v) for k, v in vs.items() if weights[k]) / total)


class HeuristicQuality(Filter):
    """Score docs in [0, 1]; drop those below ``threshold``, then keep only the ``top_n`` best.

    The score is the weighted geometric mean of the views, so one failing view (a menu with
    perfect word length is still a menu) cannot be averaged away by the others; a weight of 0
    turns a view off. The reason for a drop names the worst view, e.g. "low quality: symbols".
    With ``top_n`` the step needs every score first, so it holds the docs; ties keep the first
    seen and kept docs come out in input order. To rank without a floor, pass ``threshold=0``.
    """

    name = "heuristic_quality"

    def __init__(self, threshold: float = 0.5, top_n: int | None = None,
                 weights: dict[str, float] | None = None):
        weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        unknown = set(weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown quality views {sorted(unknown)}; valid: {sorted(DEFAULT_WEIGHTS)}")
        if any(w < 0 for w in weights.values()) or not any(weights.values()):
            raise ValueError(f"weights must be >= 0 and not all 0, got {weights}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        if top_n is not None and top_n < 1:
            raise ValueError(f"top_n must be >= 1 or None, got {top_n}")
        self.threshold, self.top_n, self.weights = threshold, top_n, weights

    @property
    def per_record(self) -> bool:
        return self.top_n is None  # Top-N ranks the whole corpus

    def score(self, text: str) -> tuple[float, dict[str, float], str]:
        """(score, views, lang) for one text."""
        lang = language(text)
        vs = views(text, lang)
        return combine(vs, self.weights), vs, lang

    def _worst(self, vs: dict[str, float]) -> str:
        return min((k for k in vs if self.weights[k]), key=lambda k: vs[k])

    def keep(self, doc: Doc) -> bool | tuple:
        score, vs, lang = self.score(doc.text)
        doc.metadata["lang"] = lang
        doc.metadata["quality"] = {"score": round(score, 4),
                                   "views": {k: round(v, 4) for k, v in vs.items()}}
        if score < self.threshold:
            return False, f"low quality: {self._worst(vs)}", {"score": round(score, 4)}
        return True

    def run(self, docs: Iterator[Doc], drops: Drops) -> Iterator[Doc]:
        passed = super().run(docs, drops)
        if self.top_n is None:
            yield from passed
        else:  # Top-N ranks the whole corpus
            yield from self._best(list(passed), drops)

    def _best(self, passed: list[Doc], drops: Drops) -> Iterator[Doc]:
        ranked = sorted(range(len(passed)), key=lambda i: -passed[i].metadata["quality"]["score"])
        best = set(ranked[: self.top_n])
        for i, doc in enumerate(passed):
            if i in best:
                yield doc
            else:
                drops.add(self.name, doc, "below top-n", score=doc.metadata["quality"]["score"])
