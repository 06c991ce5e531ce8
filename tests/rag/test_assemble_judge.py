"""`support.judge` puts the judge role behind the claim check of every answer."""

from rag.assemble import entailer
from smallbatch.settings import Role, Settings


def test_the_judge_is_off_unless_asked_for():
    assert entailer(Settings()) is None


def test_support_judge_uses_the_judge_roles_server_and_model(monkeypatch):
    monkeypatch.setenv("SMALLBATCH_SUPPORT__JUDGE", "true")
    s = Settings(judge=Role(model="any-judge", base_url="http://127.0.0.1:9/v1"))
    e = entailer(s)
    assert e is not None and e.model == "any-judge"
    assert str(e.client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
