"""Scoring Chinese answers as the CMRC 2018 evaluation script does (Cui et al., 2019), and the
dispatch by language that lets one run score both languages.

Chinese has no spaces, so SQuAD's token F1 would see a whole answer as one token. CMRC segments
mixed text into single Han characters plus the words of other scripts, drops punctuation (ASCII
and Chinese) and white space, and scores F1 from the longest common *contiguous* run of those
tokens (its ``find_lcs``), the best over the gold answers; EM compares the texts with
punctuation and white space removed. English keeps SQuAD's EM/F1 (eval/scoring.py).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

from eval.scoring import contains, exact_match, f1, overlap_f1
from smallbatch.text import HAN

# CMRC's list of Chinese punctuation plus every Unicode punctuation character
_ZH_PUNCT = set("，。！？；：“”‘’（）《》〈〉【】『』「」﹃﹄〔〕…—～﹏￥、·") | set(string.punctuation)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_HAN}]|[^\W{_HAN}]+")


def _is_punct(ch: str) -> bool:
    return ch in _ZH_PUNCT or unicodedata.category(ch).startswith("P")


def remove_punctuation(text: str) -> str:
    """Lower-cased, NFKC, without punctuation or white space (CMRC's ``remove_punctuation``)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not ch.isspace() and not _is_punct(ch))


def segment(text: str) -> list[str]:
    """CMRC's ``mixed_segmentation``: each Han character alone, other words whole, lower-cased,
    punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).lower()
    return [t for t in _TOKEN.findall(text) if not all(_is_punct(c) for c in t)]


def _longest_common_run(a: list[str], b: list[str]) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _char_f1(prediction: str, truth: str) -> float:
    pred, gold = segment(prediction), segment(truth)
    return overlap_f1(_longest_common_run(gold, pred), len(pred), len(gold))


def char_f1(prediction: str, gold: Sequence[str]) -> float:
    """CMRC F1: the best over the gold answers."""
    return max((_char_f1(prediction, g) for g in gold), default=0.0)


def char_exact_match(prediction: str, gold: Sequence[str]) -> float:
    p = remove_punctuation(prediction)
    return float(any(p == remove_punctuation(g) for g in gold))


def is_chinese(*texts: str) -> bool:
    """True when any of the texts holds a Han character: a gold answer in Chinese is scored as
    Chinese even when the question quotes an English command."""
    return any(HAN.search(t or "") for t in texts)


def f1_any(prediction: str, gold: Sequence[str]) -> float:
    """Char F1 when the gold answers are Chinese, SQuAD token F1 otherwise."""
    return char_f1(prediction, gold) if is_chinese(*gold) else f1(prediction, gold)


def exact_match_any(prediction: str, gold: Sequence[str]) -> float:
    if is_chinese(*gold):
        return char_exact_match(prediction, gold)
    return exact_match(prediction, gold)


def char_contains(prediction: str, gold: Sequence[str]) -> float:
    """1 if a gold answer, punctuation and spaces removed, occurs in the prediction."""
    p = remove_punctuation(prediction)
    return float(any(remove_punctuation(g) and remove_punctuation(g) in p for g in gold))


def contains_any(prediction: str, gold: Sequence[str]) -> float:
    """Character containment when the gold answers are Chinese, SQuAD-normalised otherwise."""
    return char_contains(prediction, gold) if is_chinese(*gold) else contains(prediction, gold)


def answer_scores(prediction: str, gold: Sequence[str], lang: str = "en") -> dict[str, float]:
    """EM, F1 and containment of one answer: on characters (CMRC) when the gold answers hold
    Han characters or the question is Chinese (``lang`` "zh": its gold may be a command such as
    ``apt-get``, still answered inside a Chinese sentence), SQuAD tokens otherwise."""
    if lang == "zh" or is_chinese(*gold):
        return {"em": char_exact_match(prediction, gold), "f1": char_f1(prediction, gold),
                "contains": char_contains(prediction, gold)}
    return {"em": exact_match(prediction, gold), "f1": f1(prediction, gold),
            "contains": contains(prediction, gold)}
