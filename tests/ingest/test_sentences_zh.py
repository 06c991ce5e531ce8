"""Chinese sentence bounds in ingest: closing brackets and quotes stay with the stop they
follow, a stop inside a bracket mid-sentence ends nothing, and a run-on Chinese sentence is cut
between characters to fit."""

from __future__ import annotations

from ingest.chunk import pack
from smallbatch.sentences import sentences

TEXT = "dpkg 是基础工具（参见第五章。），它处理 .deb 文件。「这是引用。」下一句！』再来……好的；完。"
WANT = ["dpkg 是基础工具（参见第五章。），它处理 .deb 文件。", "「这是引用。」", "下一句！』",
        "再来……", "好的；", "完。"]


def test_closers_stay_with_their_sentence_and_no_sentence_starts_with_a_comma():
    got = [TEXT[a:b] for a, b in sentences(TEXT)]
    assert got == WANT
    assert not any(s[0] in "）」』”，" for s in got)


def test_an_overlong_chinese_sentence_is_cut_between_characters():
    text = "软件包管理系统负责安装、升级和删除软件，" * 6 + "最后一句没有空格"
    groups = pack(text, sentences(text), 20, len)
    pieces = [text[a:b] for g in groups for a, b in g]
    assert len(pieces) > 1 and "".join(pieces) == text and all(len(p) <= 20 for p in pieces)
    mixed = "安装软件包 apt install dpkg 然后配置系统服务并且重新启动所有相关的进程"
    pieces = [mixed[a:b] for g in pack(mixed, sentences(mixed), 8, len) for a, b in g]
    assert all(len(p) <= 8 for p in pieces) and "".join(pieces).replace(" ", "") == \
        mixed.replace(" ", "")
