"""Which language a document is in, as far as retrieval cares: Chinese or not.

Script counting, not a statistical model. A Han character is about one word, so Han characters
are weighed against words of other scripts: 'zh' when they are at least 20 % of the two, 'en'
when most of the other words are in Latin letters, else 'und'. It decides nothing about
tokenisation (smallbatch/text.py segments every Han run whatever the label); it records, per
unit, what a mixed store holds and lets evaluation split its figures by language.
"""

from __future__ import annotations

import re

from smallbatch.text import HAN

_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_lang(text: str, zh_share: float = 0.2) -> str:
    han = sum(len(m) for m in HAN.findall(text))
    words = len(_WORD.findall(HAN.sub(" ", text)))
    if han + words == 0:
        return "und"
    if han / (han + words) >= zh_share:
        return "zh"
    return "en" if len(_LATIN_WORD.findall(text)) * 2 > words else "und"


def doc_lang(doc) -> str:
    """A record's language: the ``lang`` its loader recorded, else detected from its text."""
    return doc.metadata.get("lang") or detect_lang(doc.text)
