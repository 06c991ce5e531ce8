import json

import pytest

from ingest.pipeline import ingest
from rag.open_snapshot import Snapshot
from smallbatch.embed import get_embedder
from smallbatch.store import KnowledgeBase
from smallbatch.snapshot import index_text
from smallbatch.text import tokenize
from tests.integration.conftest import SAMPLE

pytestmark = pytest.mark.integration


def test_sample_snapshot_is_complete_and_published(settings, sample_snapshot):
    snap = sample_snapshot.snapshot
    assert KnowledgeBase(settings.stores, "sample").current() == snap
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["counts"]["sources"] == 26 and manifest["problems"] == []
    assert manifest["embedder"] == {"name": "all-MiniLM-L6-v2", "dim": 384}
    rows = [json.loads(l) for l in (snap / "units.jsonl").read_text().splitlines()]
    assert len(rows) == manifest["counts"]["units"] == sample_snapshot.units >= 26
    sources = json.loads(SAMPLE.read_text())
    contexts = {f"{a['title']}/{i}": p["context"] for a in sources["data"]
                for i, p in enumerate(a["paragraphs"])}
    for r in rows:  # provenance: the span in the source text is the unit's text
        m = r["metadata"]
        start, end = m["span"]
        assert contexts[m["source_id"]][start:end] == r["text"]
        assert len(m["content_hash"]) == 64


def test_real_indexes_find_a_unit_by_its_own_text(sample_snapshot):
    snap = Snapshot.open(sample_snapshot.snapshot)
    emb = get_embedder("all-MiniLM-L6-v2")
    for unit in list(snap.units.values())[::7]:
        indexed = index_text(unit)  # the header (title › section) is indexed with the text
        (top_id, sim), *_ = snap.vector_search(emb.encode([indexed])[0], 3)
        assert top_id == unit.id and sim > 0.99
        assert snap.bm25_search(tokenize(indexed), 3)[0][0] == unit.id
    assert snap._collection.count() == len(snap.units)


def test_malformed_file_is_reported_and_the_rest_ingested(settings, tmp_path):
    bees = ("Honeybees communicate the direction and distance of flowers to their nestmates with "
            "a waggle dance performed on the vertical comb inside the dark hive.")
    ants = ("Some ant species farm aphids, protecting them from predators and moving them to "
            "fresh plants in exchange for the sweet honeydew the aphids excrete.")
    (tmp_path / "good.md").write_text(f"# Bees\n\n{bees}")
    (tmp_path / "broken.jsonl").write_text(json.dumps({"text": ants}) + "\n{oops\n")
    (tmp_path / "bad.json").write_text("[1, 2")
    res = ingest(tmp_path, "mixed", settings)
    reasons = {p.path: p.reason for p in res.problems}
    assert set(reasons) == {"broken.jsonl:2", "bad.json"}
    assert all(r.startswith("invalid JSON") for r in reasons.values())
    snap = Snapshot.open(res.snapshot)
    texts = " ".join(u.text for u in snap.units.values())
    assert "waggle dance" in texts and "sweet honeydew" in texts
    manifest = json.loads((res.snapshot / "manifest.json").read_text())
    assert manifest["counts"]["problems"] == 2


def test_second_model_pull_is_served_from_cache(model_url, monkeypatch):
    from smallbatch.models import pull
    from smallbatch.settings import Settings

    s = Settings()
    if not pull.is_ready(s.home, "small"):
        pytest.skip("model server given by URL; the small model was not pulled here")

    def boom(*a, **k):
        raise AssertionError("a cached pull must not assemble or convert again")

    monkeypatch.setattr(pull, "assemble", boom)
    monkeypatch.setattr(pull, "convert", boom)
    path = pull.pull("small", s.home, s.vllm.python_path())
    assert (path / "config.json").exists() and (path / "model.safetensors").stat().st_size > 5e8
    meta = json.loads((path / pull.READY).read_text())
    assert meta["gguf_sha256"] == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
