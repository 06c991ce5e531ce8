from smallbatch.text import tokenize


def test_english_words_lowercased_without_stopwords():
    assert tokenize("What is the Capital of France?") == ["capital", "france"]


def test_chinese_is_segmented_into_words_in_search_mode():
    tokens = tokenize("中华人民共和国的首都是北京")
    assert {"中华人民共和国", "共和国", "首都", "北京"} <= set(tokens)
    assert "的" not in tokens  # a Chinese stopword


def test_mixed_text_gets_both_tokenisers():
    tokens = tokenize("使用apt-get安装软件包")
    assert tokens[:3] == ["使用", "apt", "get"] and "软件包" in tokens

