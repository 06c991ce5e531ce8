"""Chinese text helpers: punctuation kept through NFKC, PDF radicals restored, lines a layout
broke rejoined, sentences cut at Chinese stops."""

from smallbatch.sentences import sentences
from smallbatch.text import han_count, normalise, tokenize, unwrap_cjk

HANDBOOK = ("作为 Debian 系统管理员，你经常地要处理 .deb 包，因为它们包含一致的功能单元（应用程序、文档等），"
            "使得安装和维护更容易。所以了解它们是什么及如何使用它们是个好主意。")


def test_normalise_keeps_fullwidth_punctuation_and_folds_the_rest():
    assert normalise("（应用程序、文档等），使得；真的！？") == "（应用程序、文档等），使得；真的！？"
    assert normalise("ＡＰＴ　１２３ ﬁle") == "APT 123 file"  # full-width letters, digits, space


def test_normalise_restores_ideographs_a_pdf_font_gave_as_radicals():
    # as Chromium + Noto CJK print them: Kangxi radical ⼀ (U+2F00), supplement radical ⻅ (U+2EC5)
    assert normalise("包含\u2f00致的功能，请参\u2ec5侧边栏") == "包含一致的功能，请参见侧边栏"


def test_unwrap_joins_chinese_lines_without_a_space_and_keeps_paragraphs():
    wrapped = "因为它们包含一致的功能单元\n（应用程序、文档等），或者有时候是\ngzip 或 bzip2\n\n第二段"
    assert unwrap_cjk(wrapped) == ("因为它们包含一致的功能单元（应用程序、文档等），或者有时候是 gzip 或 bzip2"
                                   "\n\n第二段")
    assert unwrap_cjk("English line\nwraps here") == "English line\nwraps here"
    assert unwrap_cjk("## 安装\n在终端里输入") == "## 安装\n在终端里输入"  # a heading stays


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


def test_sentences_end_at_chinese_stops_without_spaces():
    text = "他说：“好。”然后走了；第二句……最后一句？ It ends. Here"
    assert split_sentences(text) == ["他说：“好。”", "然后走了；", "第二句……", "最后一句？",
                                     "It ends.", "Here"]
    spans = sentences(HANDBOOK)
    assert len(spans) == 2 and HANDBOOK[spans[1][0]:spans[1][1]].startswith("所以")
    assert "1.5" in split_sentences("版本 1.5 发布了。")[0]


def test_tokenize_unchanged_for_existing_callers():
    assert tokenize("What is the Capital of France?") == ["capital", "france"]
    assert {"系统", "管理员"} <= set(tokenize(HANDBOOK))
    assert han_count("apt 安装软件包") == 5
