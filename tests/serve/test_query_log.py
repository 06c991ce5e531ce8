"""The opt-in query log: nothing written unless enabled; rows masked and complete when it is."""

import json

from fastapi.testclient import TestClient

from rag.answer import Answerer
from serve.app import create_app
from serve.serving import ServedSnapshot
from querylog import log as querylog
from smallbatch.settings import ServeSettings, Settings
from tests.fakes import FakeOpenAI, FakeRetriever, unit

EMAIL, PHONE, CARD = "jane.doe@example.com", "+1 415 555 2671", "4111 1111 1111 1111"
QUESTION = f"I am {EMAIL}, phone {PHONE}, card {CARD}: what is the capital of France?"


def client(tmp_path, on: bool, similarity: float = 0.8, **serve) -> TestClient:
    settings = Settings(home=tmp_path / "home", stores=tmp_path / "stores", kb="kb1",
                        serve=ServeSettings(query_log=on, **serve))
    retriever = FakeRetriever([unit("u0", "Paris is the capital of France.", "fr.md"),
                               unit("u1", "Berlin is in Germany.", "de.md")], similarity)
    served = ServedSnapshot("kb1", "snap-1", Answerer(retriever, FakeOpenAI(), "m", 0.2),
                    "http://127.0.0.1:9/v1")
    return TestClient(create_app(settings, served=served))


def ask(question=QUESTION, **over):
    return {"model": "kb1", "messages": [{"role": "user", "content": question}], **over}


def test_off_by_default_writes_nothing(tmp_path):
    assert ServeSettings().query_log is False
    with client(tmp_path, on=False) as c:
        assert c.post("/v1/chat/completions", json=ask()).status_code == 200
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_rows_are_masked_and_carry_the_fields(tmp_path):
    with client(tmp_path, on=True) as c:
        r = c.post("/v1/chat/completions", json=ask(), headers={"X-Request-ID": "req-42"})
        assert r.status_code == 200
        with c.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as s:
            list(s.iter_lines())
    path = tmp_path / "stores" / "kb1" / "queries.jsonl"  # the default place
    data = path.read_bytes()
    for raw in (EMAIL, PHONE, CARD, "jane.doe", "4111"):
        assert raw.encode() not in data
    rows, bad = querylog.read(path)
    assert len(rows) == 2 and bad == 0
    row = rows[0]
    assert row["question"] == ("I am [EMAIL], phone [PHONE], card [CARD]: "
                               "what is the capital of France?")
    assert row["pii"] == {"EMAIL": 1, "PHONE": 1, "CARD": 1}
    assert row["request_id"] == "req-42" and rows[1]["request_id"] not in (None, "req-42")
    assert (row["kb"], row["snapshot"], row["abstained"], row["withdrawn"]) == (
        "kb1", "snap-1", False, False)
    assert row["top_similarity"] == 0.8 and row["query"] is None
    assert [h["unit"] for h in row["hits"]] == ["u0", "u1"] and row["hits"][0]["score"] == 1.0
    assert row["ts"].endswith("Z") and rows[1]["question"] == row["question"]
    assert path.stat().st_mode & 0o077 == 0  # the owner's only


def test_abstention_is_logged(tmp_path):
    with client(tmp_path, on=True, similarity=0.05) as c:
        assert c.post("/v1/chat/completions", json=ask("Who won in 1347?")).status_code == 200
    (row,), _ = querylog.read(tmp_path / "stores" / "kb1" / "queries.jsonl")
    assert row["abstained"] is True and row["top_similarity"] == 0.05


def test_a_failing_log_does_not_fail_the_request(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with client(tmp_path, on=True, query_log_file=blocker / "queries.jsonl") as c:
        r = c.post("/v1/chat/completions", json=ask())
        metrics = c.get("/metrics").text
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
    assert "smallbatch_query_log_errors_total 1.0" in metrics


def test_a_rewritten_follow_up_is_logged_masked_too():
    from types import SimpleNamespace

    from rag.rewrite import Rewrite

    ans = SimpleNamespace(hits=[], abstained=True, draft=None,
                          rewrite=Rewrite(f"Is {EMAIL} the refund contact?", "model"))
    r = querylog.row(kb="kb1", snapshot="s", question="is that the contact?", answer=ans,
                     request_id=None)
    assert r["query"] == "Is [EMAIL] the refund contact?" and r["pii"] == {"EMAIL": 1}
    assert r["top_similarity"] is None and r["hits"] == [] and EMAIL not in json.dumps(r)
    assert querylog.text_of(r) == r["query"]
