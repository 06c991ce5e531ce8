"""Near-duplicate detection on Chinese: no spaces, so shingles are character n-grams."""

from ingest.dedup import NearDedup, shingles
from ingest.steps import Drops
from smallbatch.records import Doc

# Debian handbook zh-CN, chapter 5 (GPL-2+ or CC-BY-SA-3.0)
PARA = ("想象一下，例如您误删了dpkg 程序，因此无法再安装 Debian 软件包了。dpkg 本身作为一个 Debian 软件包，"
        "看起来系统似乎完蛋了。幸运的是，您知道软件包的格式，这样可以下载 dpkg 软件包的 .deb 文件，并手动安装。"
        "某些不幸的情况下，一个或多个 ar、tar 或者 gzip 程序丢失了，您仅需从其它系统上直接复制缺失的程序。")
# one character changed (了 -> 啦), one comma as ASCII, a line break inside a sentence
COPY = PARA.replace("完蛋了", "完蛋啦").replace("因此无法", "因此,无法").replace("软件包的格式", "软件包的\n格式")
OTHER = ("本章介绍了二进制和源码包的结构和内容。前者是文件，可以用 dpkg 命令直接处理；而后者则包含程序的源代码，"
         "以及创建二进制包的指令。Debian 软件包格式被这样设计，在具有经典命令的 Unix 系统上，它的内容都可以被解压。")


def test_chinese_shingles_are_character_ngrams():
    assert shingles("软件包管理", 3) == {"软 件 包", "件 包 管", "包 管 理"}
    assert shingles("dpkg 软件", 2) == {"dpkg 软", "软 件"}


def test_a_chinese_copy_with_small_edits_is_dropped_a_different_text_kept():
    docs = [Doc("a", PARA, {"source_path": "a.txt"}), Doc("b", COPY, {"source_path": "b.txt"}),
            Doc("c", OTHER, {"source_path": "c.txt"})]
    drops = Drops()
    kept = list(NearDedup(threshold=0.8).run(iter(docs), drops))
    assert {d.id for d in kept} == {"c"} | ({"a"} if len(PARA) >= len(COPY) else {"b"})
    assert drops.summary() == {"near_dedup": {"near duplicate": 1}}
