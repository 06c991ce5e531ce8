"""Word tokenisation shared by the BM25 index (built in ingest) and the query side (rag).

Runs of Han characters are segmented by jieba in search mode (every word, plus the shorter
words inside long ones); everything else is split on word characters. A mixed Chinese/English
text gets both, so one index serves a mixed store whatever language a question is in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)
# CJK Unified Ideographs, extension A, compatibility ideographs
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# Function words that carry no topic; a question's "what/which/when" would otherwise dominate.
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i in
    is it its of on or she that the their them they this to was were what when where which who
    whom whose why will with you your""".split()
)
# The same for Chinese: particles, pronouns and question words.
STOPWORDS_ZH = frozenset(
    """的 了 是 在 和 与 及 或 也 就 都 而 着 之 其 这 那 这个 那个 一个 我 你 他 她 它 我们 你们
    他们 什么 怎么 怎样 如何 哪 哪个 哪些 为什么 吗 呢 吧 啊 把 被 对 从 到 由 为 以 将 于 上 中 下
    有 没有 可以 会 能 要""".split()
)


def tokenize(text: str) -> list[str]:
    text = text.lower()
    if not HAN.search(text):
        return _words(text)
    out: list[str] = []
    pos = 0
    for m in HAN.finditer(text):
        out += _words(text[pos:m.start()])
        out += [t for t in _segment(m.group()) if t not in STOPWORDS_ZH]
        pos = m.end()
    return out + _words(text[pos:])


def _words(text: str) -> list[str]:
    return [t for t in _WORD.findall(text) if t not in STOPWORDS]


def _segment(han: str) -> list[str]:
    return _jieba().lcut_for_search(han)


@lru_cache(maxsize=1)
def _jieba():
    import logging
    import warnings

    with warnings.catch_warnings():  # jieba 0.42 imports pkg_resources, which warns
        warnings.simplefilter("ignore", UserWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # loads the dictionary once (cached by jieba under the temp folder)
    return jieba


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLANKS = re.compile(r"\n\s*\n+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")  # the masker's [EMAIL], [PHONE], … say nothing


def ngrams(text: str) -> list[str]:
    """Unigrams and bigrams of the text's word tokens."""
    toks = tokenize(_PLACEHOLDER.sub(" ", text))
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]
