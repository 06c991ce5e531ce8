"""Query-aware curation on the real embedder and Chroma: questions about one article, logged as
the API logs them (real retrieval scores), steer a budgeted ingest toward that article, and
`smallbatch gaps` finds the article's topic with its missing paragraphs. No model server."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from querylog import gaps
from ingest.load import load
from ingest.pipeline import ingest
from rag.retrieve import Retriever
from rag.open_snapshot import Snapshot
from querylog import log as querylog
from smallbatch.embed import get_embedder
from smallbatch.settings import CurationSettings, RetrievalSettings, Settings

pytestmark = pytest.mark.integration

SAMPLE_ROOT = __import__("smallbatch.settings", fromlist=["REPO_ROOT"]).REPO_ROOT
SAMPLE = SAMPLE_ROOT / "smallbatch" / "samples" / "squad-sample.json"
BUDGET = 1200  # tokens: about a quarter of the sample


def questions(title: str) -> list[str]:
    data = json.loads(SAMPLE.read_text())
    (article,) = [a for a in data["data"] if a["title"] == title]
    return [q["question"] for p in article["paragraphs"] for q in p["qas"]]


def units_of(snapshot, title: str) -> int:
    rows = [json.loads(l) for l in (snapshot / "units.jsonl").read_text().splitlines()]
    return sum(r["metadata"]["source_id"].startswith(title + "/") for r in rows)


def test_a_log_about_one_article_steers_the_budget_and_shows_as_a_gap(tmp_path):
    base = Settings(stores=tmp_path / "stores",
                    curation=CurationSettings(budget_tokens=BUDGET))
    plain = ingest(SAMPLE, "plain", base).snapshot

    # Log the Oxygen questions as the API does, with the plain store's real retrieval.
    snap = Snapshot.open(plain)
    retriever = Retriever(snap, get_embedder(base.embedder), RetrievalSettings())
    log = querylog.QueryLog(tmp_path / "queries.jsonl")
    for q in questions("Oxygen")[:40]:
        hits = retriever.search(q)
        top = max(h.similarity or 0.0 for h in hits)
        ans = SimpleNamespace(hits=hits, abstained=top < 0.45, draft=None, rewrite=None)
        assert log.record(kb="plain", snapshot=plain.name, question=q, answer=ans,
                          request_id=None)
    snap.close()

    aware_settings = base.model_copy(update={"curation": base.curation.model_copy(
        update={"query_log": log.path, "query_seed": 3})})
    aware = ingest(SAMPLE, "aware", aware_settings).snapshot
    manifest = json.loads((aware / "manifest.json").read_text())
    assert manifest["budget"]["query_aware"] and manifest["budget"]["query_log"]["rows"] == 40
    assert units_of(aware, "Oxygen") >= units_of(plain, "Oxygen") + 2

    report = gaps.report(base.stores, "plain", log.path, top=3, load=load)  # ingest's loader
    assert report["questions"] == 40 and report["embedder"] == base.embedder
    oxygen = report["topics"][0]
    assert oxygen["questions"] >= 5 and oxygen["passages"]
    assert all(p["source_path"].split("#")[1].startswith("Oxygen/")
               for p in oxygen["passages"])
    store = (plain / "units.jsonl").read_text()
    assert all(p["text"][:60] not in store for p in oxygen["passages"])
