"""`smallbatch tune` end to end: a curated-like store of the sample (clean profile, coverage-ranked,
with synthetic judge scores and kinds), a sweep answered by the real small model on four dev
questions, the choice, and the published snapshot with its tuning block, report and plot."""

import hashlib
import json
import shutil

import pytest

from eval.questions import load_questions, sample
from ingest.pipeline import ingest
from rag.open_snapshot import Snapshot
from smallbatch.settings import Role, Settings
from smallbatch.store import KnowledgeBase
from smallbatch.text import tokenize
from tests.integration.conftest import SAMPLE
from tune.candidates import Grid
from tune.run import tune

pytestmark = pytest.mark.integration
JUDGE = (1.0, 0.75, 0.5, 0.25)  # synthetic judge scores, by unit position
N = 4  # dev questions


def curated_like(kb: KnowledgeBase) -> None:
    """Republish the current snapshot with the metadata the curated profile gives: a judge
    score next to the heuristic views, and some units of another kind."""
    src = kb.current()
    build = kb.new_build()
    for entry in src.iterdir():
        (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, build / entry.name)
    rows = [json.loads(line) for line in (src / "units.jsonl").read_text().splitlines()]
    for i, row in enumerate(rows):
        meta = row["metadata"]
        assert "coverage_rank" in meta and meta["quality"]["views"]
        meta["quality"]["judge_score"] = JUDGE[i % 4]
        meta["kind"] = "summary" if i % 5 == 4 else "fact"
    (build / "units.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    kb.publish(kb.finish_build(build).name)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory, model_url):
    tmp = tmp_path_factory.mktemp("tune")
    base = Settings()
    # the clean profile plus coverage ranking: a budget no store reaches ranks every unit
    s = Settings(stores=tmp / "stores", kb="tunekb", small=Role(model="small", base_url=model_url),
                 curation=base.curation.model_copy(update={"budget_tokens": 10**9}))
    ingest(SAMPLE, "tunekb", s)
    kb = KnowledgeBase(s.stores, "tunekb")
    curated_like(kb)
    full = kb.current()
    dev = tmp / "dev.jsonl"
    dev.write_text("".join(json.dumps({"id": q.id, "question": q.question, "answers": q.answers,
                                       "source_ids": q.source_ids}) + "\n"
                           for q in sample(load_questions(SAMPLE), N, seed=7)))
    grid = Grid(budgets=(0.4, 1.0), min_scores=(0.0, 0.6), weights=("0:1",), kinds=("all",))
    result = tune(s, "tunekb", dev, grid, s.tune.tolerance)
    return s, kb, full, dev, result


def test_every_point_is_answered_and_scored(tuned):
    s, kb, full, dev, result = tuned
    points = result.points
    assert [p["name"] for p in points] == ["b0.4 s0 all", "b0.4 s0.6 w0:1 all", "b1 s0 all",
                                           "b1 s0.6 w0:1 all"]
    full_tokens = result.tuning["full_store"]["tokens"]
    for p in points:
        assert p["f1"] is not None and 0 <= p["f1"] <= 1 and p["f1_n"] == N
        assert p["recall_at_5"] is not None and p["recall_at_5_n"] == N
        assert 0 < p["store_tokens"] <= p["settings"]["budget_tokens"]
    assert points[0]["store_tokens"] <= 0.4 * full_tokens < points[2]["store_tokens"]
    assert points[2]["store_tokens"] == full_tokens  # budget 1, no threshold: everything
    # the judge-only threshold drops the units scored 0.5 and 0.25, about half
    assert points[3]["dropped"]["below min score"] == sum(1 for i in range(points[2]["units"])
                                                          if JUDGE[i % 4] < 0.6)
    assert max(p["recall_at_5"] for p in points) >= 0.6  # retrieval over the cuts works
    records = (result.work / "records.jsonl").read_text().splitlines()
    assert len(records) == N * 4 and not (result.work / "candidates").exists()


def test_the_choice_is_on_the_front_and_within_tolerance(tuned):
    s, kb, full, dev, result = tuned
    points, chosen = result.points, result.points[result.chosen]
    best = max(p["f1"] for p in points)
    assert result.chosen in result.front and chosen["front"]
    assert chosen["f1"] >= best - s.tune.tolerance
    assert not [p for p in points if p["f1"] >= best - s.tune.tolerance
                and p["store_tokens"] < chosen["store_tokens"]]


def test_the_chosen_store_is_published_with_the_sweep(tuned):
    s, kb, full, dev, result = tuned
    assert result.snapshot is not None and kb.current() == result.snapshot
    manifest = json.loads((result.snapshot / "manifest.json").read_text())
    tuning, chosen = manifest["tuning"], result.points[result.chosen]
    assert tuning["from"] == full.name and manifest["parent"] == full.name
    assert tuning["chosen"] == chosen["name"] and len(tuning["points"]) == 4
    assert tuning["front"] == [result.points[i]["name"] for i in result.front]
    assert tuning["dev"]["sha256"] == hashlib.sha256(dev.read_bytes()).hexdigest()
    assert tuning["dev"]["path"] == str(dev) and tuning["tolerance"] == s.tune.tolerance
    assert manifest["counts"]["units"] == chosen["units"]
    assert manifest["counts"]["unit_tokens"] == chosen["store_tokens"]
    assert manifest["steps"][-1] == "tune"
    report = json.loads((result.snapshot / "report.json").read_text())
    assert report["tuning"]["chosen"] == chosen["name"]
    assert report["store"]["units"] == chosen["units"]
    assert (result.snapshot / "tuning.png").read_bytes()[:4] == b"\x89PNG"
    assert 'src="tuning.png"' in (result.snapshot / "report.html").read_text()
    snap = Snapshot.open(result.snapshot)  # the published store answers retrieval
    try:
        assert len(snap.units) == chosen["units"]
        assert snap._collection.count() == chosen["units"]
        unit = next(iter(snap.units.values()))
        assert unit.id in dict(snap.bm25_search(tokenize(unit.text), 5))
    finally:
        snap.close()
