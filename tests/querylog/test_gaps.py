"""`smallbatch gaps`: topics of a tiny inline query log over a tiny inline store."""

import json
import time

import numpy as np
import pytest

from querylog.gaps import cluster, paragraphs, topics
from cli import main as cli
from smallbatch.records import Doc
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase

SHIPPING = "Parcels ship from our warehouse within two days. Tracking numbers come by mail."
PASSWORD = "To reset a password, open the login page and choose forgot password."
REFUND = ("Refunds are paid back to the card that was charged, within five working days. "
          "A double charge is refunded automatically.")
FILLER = "Our office is closed on public holidays."


def row(q, abstained, sim, kb="kb"):
    return {"v": 1, "kb": kb, "snapshot": "s", "question": q, "query": None,
            "abstained": abstained, "withdrawn": False, "top_similarity": sim, "hits": []}


LOG = [row("How do I get a refund for a double charge?", True, 0.12),
       row("When is my refund paid back to my card?", True, 0.18),
       row("Where is my parcel tracking number?", False, 0.71),
       row("Refund for a card charged twice?", True, 0.15),
       row("How long until my parcel ships?", False, 0.66),
       row("How do I reset my password?", False, 0.8),
       row("Refund for a card charged twice?", False, 0.3, kb="other")]


AXES = [("refund", "charge", "card"), ("parcel", "ship", "tracking"), ("password", "reset")]


class KeywordEmbedder:
    """A stand-in for the snapshot's embedder: one axis per topic's keywords, unit length."""

    def encode_query(self, texts):
        v = np.array([[sum(w in t.lower() for w in ws) for ws in AXES] for t in texts], float)
        v += 0.05
        return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path, monkeypatch):
    src = tmp_path / "docs"
    src.mkdir()
    (src / "help.md").write_text(f"{SHIPPING}\n\n{PASSWORD}\n")
    (src / "billing.md").write_text(f"{FILLER}\n\n{REFUND}\n")
    (src / "about.md").write_text("We were founded in 1999.\n\nWe sell garden tools.\n\n"
                                  "Our shop is in Leeds.\n")
    kb = KnowledgeBase(tmp_path / "stores", "kb")
    b = kb.new_build()
    units = [Doc("help.md#c0", SHIPPING, {"source_id": "help.md", "kind": "passage"}),
             Doc("help.md#c1", PASSWORD, {"source_id": "help.md", "kind": "passage"}),
             Doc("billing.md#c0", FILLER, {"source_id": "billing.md", "kind": "passage"})]
    (b / "units.jsonl").write_text("".join(json.dumps(u.to_json()) + "\n" for u in units))
    (b / "manifest.json").write_text(json.dumps({"source": str(src),
                                                 "settings": {"chunk_tokens": 20}}))
    time.sleep(0.002)
    kb.publish(kb.finish_build(b).name)
    log = tmp_path / "queries.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in LOG) + "{broken\n")
    monkeypatch.setattr(cli, "get_settings", lambda: Settings(stores=tmp_path / "stores"))
    monkeypatch.setattr("smallbatch.embed.get_embedder", lambda name: KeywordEmbedder())
    return log


def test_questions_group_into_topics_deterministically():
    vecs = KeywordEmbedder().encode_query([r["question"] for r in LOG[:6]])
    labels = cluster(vecs, 0.5)
    assert labels == cluster(vecs, 0.5) == [0, 0, 1, 0, 1, 2]
    assert cluster(np.eye(3), 1.01) == [0, 1, 2]
    e = np.eye(2)
    assert cluster(np.stack([e[0], e[1], (e[0] + e[1]) / np.sqrt(2)]), 0.7) == [0, 1, 0]


def test_topic_stats_rank_the_worst_covered_first():
    (refund, asked), *rest = topics(LOG[:6], KeywordEmbedder().encode_query, 0.5)
    assert refund.questions == 3 and refund.abstention_rate == 1.0
    assert refund.mean_top_similarity == pytest.approx(0.15)
    assert refund.gap == pytest.approx(3 * (1.0 + 0.85) / 2)
    assert "refund" in refund.label and len(asked) == 3
    assert refund.examples[0] == "How do I get a refund for a double charge?"
    assert [t.questions for t, _ in rest] == [2, 1]


def test_paragraphs_pack_to_the_word_budget():
    text = "a b c\n\nd e\n\nf g h i j k"
    assert [text[s:e] for s, e in paragraphs(text, 5)] == ["a b c\n\nd e", "f g h i j", "k"]


def test_gaps_cli_table_and_json(store, capsys):
    assert cli.main(["gaps", "kb", "--log", str(store), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["questions"], out["other_kbs"], out["unreadable"]) == (6, 1, 1)
    refund = out["topics"][0]
    assert refund["questions"] == 3 and refund["abstention_rate"] == 1.0
    fills = [p["text"] for p in refund["passages"]]
    assert fills[0] == REFUND and refund["passages"][0]["source_path"] == "billing.md"
    assert FILLER not in fills  # in the store already
    shipping = next(t for t in out["topics"] if "parcel" in t["label"])
    assert SHIPPING not in [p["text"] for p in shipping["passages"]]

    assert cli.main(["gaps", "kb", "--log", str(store), "--top", "1"]) == 0
    table = capsys.readouterr().out
    assert "abstained" in table and "100%" in table and "billing.md [" in table
    assert "How do I get a refund for a double charge?" in table and "parcel" not in table


def test_gaps_without_a_log_says_where_it_looked(store, capsys):
    assert cli.main(["gaps", "kb"]) == 2
    assert "queries.jsonl" in capsys.readouterr().err


def test_gaps_without_the_sources_still_reports_topics(store, capsys):
    import shutil

    shutil.rmtree(store.parent / "docs")
    assert cli.main(["gaps", "kb", "--log", str(store)]) == 0
    table = capsys.readouterr().out
    assert "sources not found" in table and "refund" in table and "fill:" not in table
    assert cli.main(["gaps", "kb", "--log", str(store), "--sources", "/nonexistent"]) == 2
