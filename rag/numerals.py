"""Chinese numerals read as digits, so a claim's 三千 is checked against a source's 3000.

The support check treats numbers as facts that must be in the cited source (rag/support.py). A
Chinese answer writes 三千, 第五章 or 二〇二三年 where the source may write 3000, 第 5 章 or
2023 — or the other way round — so both sides are read into the same digit strings.

Only runs that are surely numbers count, because a false number makes a true claim fail: 一 is
in 一个, 一些, 统一, and 千万, 万一, 十分 are words. So a run counts when it has two or more
numeral characters and is not such a word, when 第 comes before it (an ordinal), or when it is one
numeral other than 一 right before a measure word (三个, 五章, 七年).
"""

from __future__ import annotations

import re

_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
          "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_RUN = re.compile(r"(第?)([〇零一二两三四五六七八九十百千万亿]+)(?=(.?))", re.S)
_WORDS = frozenset("千万 万一 一一 万万 一二 千千万万 九九".split())
_MEASURE = set("个位种次年月日天号章节条项步层台块名岁点秒倍部本页行列版件")  # not 分: 十分 is "very"


def value(run: str) -> int:
    """二〇二三 -> 2023 (digit by digit); 三千零五 -> 3005, 十五 -> 15, 两万 -> 20000."""
    if not any(ch in _UNIT or ch in _BIG for ch in run):
        return int("".join(str(_DIGIT[ch]) for ch in run))
    total, section, digit = 0, 0, 0
    for ch in run:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _UNIT:
            section += (digit or 1) * _UNIT[ch]
            digit = 0
        else:
            total = (total + section + digit) * _BIG[ch]
            section = digit = 0
    return total + section + digit


def chinese_numbers(text: str) -> list[str]:
    """The digit strings of the numeral runs of ``text`` that are surely numbers."""
    out = []
    for m in _RUN.finditer(text):
        ordinal, run, after = m.group(1), m.group(2), m.group(3)
        sure = (ordinal or (len(run) >= 2 and run not in _WORDS)
                or (run != "一" and after in _MEASURE))
        if sure:
            out.append(str(value(run)))
    return out
