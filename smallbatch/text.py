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
    """NFKC that keeps Chinese punctuation (``nfkc_cjk``), one kind of line break, single
    spaces, lines trimmed, at most one blank line."""
    text = nfkc_cjk(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")  # the masker's [EMAIL], [PHONE], … say nothing


def ngrams(text: str) -> list[str]:
    """Unigrams and bigrams of the text's word tokens."""
    toks = tokenize(_PLACEHOLDER.sub(" ", text))
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


# --- Chinese: characters and punctuation (sentences: smallbatch/sentences.py) ---------

# Full-width punctuation (U+FF01-FF0F, FF1A-FF20, FF3B-FF40, FF5B-FF60): NFKC would turn "，；：（"
# into ASCII, which changes Chinese text and breaks quotes copied from the source. Kept as is.
_FULLWIDTH_PUNCT = re.compile(r"[\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff60]+")
# CJK Radicals Supplement -> the unified ideograph (Unicode's EquivalentUnifiedIdeograph.txt).
# PDF text layers use them where the font draws a radical and the ideograph with one glyph
# (Chromium + Noto CJK prints 见 as ⻅); NFKC maps the Kangxi radicals (⼀ -> 一) but not these.
_RADICALS = ("⺁⺂⺃⺄⺅⺆⺇⺈⺉⺊⺋⺌⺍⺎⺏⺐⺑⺒⺓⺔⺕⺖⺗⺘⺙⺛⺜⺝⺞⺟⺠⺡⺢⺣⺤⺥⺦⺧⺨⺩⺪⺫⺬⺭⺮⺯⺰⺱⺲⺳⺴⺵"
             "⺶⺷⺸⺹⺺⺻⺼⺽⺾⺿⻀⻁⻂⻃⻄⻅⻆⻇⻈⻉⻊⻋⻌⻍⻎⻏⻐⻑⻒⻓⻔⻕⻖⻗⻘⻙⻚⻛⻜⻝⻞⻟⻠⻡⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳")
_IDEOGRAPHS = ("厂乛乚乙亻冂𠘨刀刂卜㔾小小兀尣尢𡯂巳幺彑\U0002b739忄心扌攵旡日月歺母民氵氺灬爫爫丬牛犭王𤴔目示礻𥫗糹纟罓罒"
               "㓁冗𦉫羊𦍌𦍋耂肀聿肉𦥑艹艹艹虎衤覀西见角𧢲讠贝𧾷车辶辶辶邑钅長镸长门𨸏阝雨青韦页风飞食𩙿飠饣𩠐马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀龟")
_RADICAL_MAP = str.maketrans(dict(zip(_RADICALS, _IDEOGRAPHS)))
# Han plus the CJK punctuation that sits between Han characters without spaces
CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3001-\u303f\uff01-\uff60\u2018-\u201d\u2026"
_WRAP = re.compile(rf"(?<=[{CJK_CHAR}])\n(?=[{CJK_CHAR}])|(?<=[{CJK_CHAR}])\n(?=[A-Za-z0-9])"
                   rf"|(?<=[A-Za-z0-9,.;:])\n(?=[{CJK_CHAR}])")
_CJK_ONE = re.compile(rf"[{CJK_CHAR}]")


def nfkc_cjk(text: str) -> str:
    """NFKC (ligatures, full-width letters and digits, Kangxi radicals) except full-width
    punctuation, plus the CJK radicals NFKC leaves alone."""
    out, pos = [], 0
    for m in _FULLWIDTH_PUNCT.finditer(text):
        out += [unicodedata.normalize("NFKC", text[pos:m.start()]), m.group()]
        pos = m.end()
    out.append(unicodedata.normalize("NFKC", text[pos:]))
    return "".join(out).translate(_RADICAL_MAP)


def unwrap_cjk(text: str) -> str:
    """Join lines a layout broke inside Chinese text: a single newline between two CJK
    characters goes (Chinese has no space between words), one between CJK and a Latin letter or
    digit becomes a space. Blank lines (paragraphs) and lines starting with '#' (markdown
    headings) stay."""
    lines = text.split("\n")
    joined = [lines[0]]
    for line in lines[1:]:
        prev = joined[-1]
        pair = f"{prev[-1]}\n{line[0]}" if prev and line else ""
        if pair and not prev.lstrip().startswith("#") and _WRAP.search(pair):
            both = _CJK_ONE.match(prev[-1]) and _CJK_ONE.match(line[0])
            joined[-1] = prev + ("" if both else " ") + line
        else:
            joined.append(line)
    return "\n".join(joined)


def han_count(text: str) -> int:
    """Han characters in ``text``: the length measure of Chinese (one character ~ one word)."""
    return sum(len(m) for m in HAN.findall(text))
