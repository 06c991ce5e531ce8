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


def test_every_page_keeps_one_source_id_in_its_part_and_in_all(tmp_path, monkeypatch):
    import bench.zh_corpus as zc

    pages = {f"page{i}": f"# 第 {i} 页\n\n正文 {i}。\n" for i in range(10)}
    monkeypatch.setattr(zc, "fetch", lambda package, cache: tmp_path / package)
    monkeypatch.setattr(zc, "_handbook", lambda root, lang: pages)
    monkeypatch.setattr(zc, "_manpages", lambda root, n: {"ls.1": "列出目录内容。\n"})
    m = zc.build(tmp_path / "out", tmp_path / "cache", fraction=0.2)
    out = tmp_path / "out" / "zh"
    ids = lambda root: {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}  # noqa: E731
    held = {f"handbook/{n}.md" for n in m["holdout"]}
    assert len(held) == 2 and ids(out / "holdout") == held
    assert ids(out / "all") == ids(out / "kb") | held and not ids(out / "kb") & held
    assert "manpages/ls.1.txt" in ids(out / "all")
    assert ids(tmp_path / "out" / "en" / "all") == {f"handbook/{n}.md" for n in pages}
