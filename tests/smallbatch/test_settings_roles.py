"""A role configured through the environment keeps its default model unless it names one."""

from smallbatch.settings import Settings


def test_base_url_alone_keeps_the_roles_default_model(monkeypatch):
    monkeypatch.setenv("SMALLBATCH_JUDGE__BASE_URL", "http://gpu-box:8000/v1")
    monkeypatch.setenv("SMALLBATCH_SMALL__TIMEOUT_S", "30")
    s = Settings()
    assert (s.judge.model, s.judge.base_url) == ("large", "http://gpu-box:8000/v1")
    assert (s.small.model, s.small.timeout_s) == ("small", 30.0)
    monkeypatch.setenv("SMALLBATCH_JUDGE__MODEL", "Qwen2.5-7B-Instruct")
    assert Settings().judge.model == "Qwen2.5-7B-Instruct"
