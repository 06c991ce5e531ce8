from smallbatch.lang import detect_lang


def test_language_per_document():
    assert detect_lang("The quick brown fox jumps over the lazy dog.") == "en"
    assert detect_lang("软件包管理系统是 Debian 的核心。") == "zh"
    assert detect_lang("用 apt-get install 安装软件包") == "zh"  # a Chinese sentence with a command
    assert detect_lang("1234 5678") == "und"
    assert detect_lang("Быстрая лиса") == "und"
