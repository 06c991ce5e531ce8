"""bench/zh_corpus.py: handbook HTML to markdown, and a split that never changes."""

from bench.zh_corpus import page_markdown, split_pages

PAGE = """<html><body><div class="navheader">上一页 下一页</div>
<h2 class="title">6.2. aptitude、apt-get和 apt 命令</h2>
<div class="para">APT 是个原先有图形接口的大计划。以包括<span class="command"><strong>apt-get</strong></span>
在内的前端为基础。</div>
<pre class="screen">$ sudo apt update↵</pre>
<ul><li><div class="para">列表中的一项。</div></li></ul></body></html>"""


def test_page_markdown_keeps_headings_whole_paragraphs_and_commands():
    assert page_markdown(PAGE) == ("## 6.2. aptitude、apt-get和 apt 命令\n\n"
                                   "APT 是个原先有图形接口的大计划。以包括apt-get 在内的前端为基础。\n\n"
                                   "```\n$ sudo apt update\n```\n\n列表中的一项。\n")


def test_split_is_seeded_disjoint_and_independent_of_input_order():
    names = [f"page{i}" for i in range(50)]
    held, kept = split_pages(names, 0.2)
    assert len(held) == 10 and not held & kept and held | kept == set(names)
    assert split_pages(list(reversed(names)), 0.2) == (held, kept)
    assert split_pages(names, 0.2, seed=18)[0] != held
