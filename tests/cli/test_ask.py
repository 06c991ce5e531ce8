"""`smallbatch ask` in process: rag's assembler (faked here: retriever and model) answers, and the
answer prints with its sources and the snapshot it came from."""

from __future__ import annotations

import json
from pathlib import Path

from openai import APIConnectionError

from cli import main as cli
from rag.answer import Answerer
from smallbatch.settings import Settings
from tests.fakes import FakeOpenAI, FakeRetriever, unit


class FakeSnapshot:
    id = "snap-1"
    closed = False

    def close(self):
        self.closed = True


def fake_rag(monkeypatch, tmp_path, model: FakeOpenAI) -> FakeSnapshot:
    snapshot = FakeSnapshot()
    retriever = FakeRetriever([unit("u1", "Paris is the capital of France.", "geo.md", (3, 34))])
    monkeypatch.setattr(cli, "get_settings", lambda: Settings(stores=tmp_path, kb="default"))
    monkeypatch.setattr("rag.assemble.current_snapshot", lambda s, kb: Path(tmp_path, kb))
    monkeypatch.setattr("rag.assemble.open_answerer",
                        lambda s, path, ep: (Answerer(retriever, model, ep.model, 0.2), snapshot))
    return snapshot


def test_ask_prints_the_answer_its_sources_and_the_snapshot(tmp_path, monkeypatch, capsys):
    snapshot = fake_rag(monkeypatch, tmp_path, FakeOpenAI("Paris is the capital [1]."))
    assert cli.main(["ask", "--kb", "geo", "Capital of France?", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:5] == ["Paris is the capital [1].", "", "Sources:", "  [1] geo.md [3:34] (marker)",
                       "      Paris is the capital of France."]
    assert out[5:7] == ["", "(kb geo, snapshot snap-1)"]
    assert json.loads(out[7])["answer"] == "Paris is the capital [1]."
    assert snapshot.closed


def test_ask_without_a_model_server_says_how_to_start_it(tmp_path, monkeypatch, capsys):
    import httpx

    down = APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1"))
    fake_rag(monkeypatch, tmp_path, FakeOpenAI(fail=down))
    assert cli.main(["ask", "Capital of France?"]) == 2
    assert "smallbatch models serve small" in capsys.readouterr().err
