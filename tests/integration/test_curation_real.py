"""Curated vs raw ingest of a small noisy corpus, with the real embedder and Chroma on disk."""

import json

import pytest

from ingest.pipeline import ingest
from smallbatch.settings import Settings
from tests.bench.test_make_corpus import SQUAD, build, fake_docs, rows

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not SQUAD.is_file(), reason=f"needs the SQuAD dev set at {SQUAD}")]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("noisy")
    done = build(tmp / "corpus", fake_docs(tmp / "html"))
    assert done.returncode == 0, done.stderr
    corpus = tmp / "corpus"
    s = Settings(stores=tmp / "stores")
    curated = ingest(corpus / "docs", "curated", s)
    raw = ingest(corpus / "docs", "raw", s.model_copy(update={"curation": s.curation.raw()}))
    return corpus, curated, raw


def store_bytes(result) -> str:
    snap = result.snapshot
    bm25 = "".join(f.read_bytes().decode("latin-1") for f in sorted((snap / "bm25s").iterdir()))
    return (snap / "units.jsonl").read_text() + bm25


def test_no_seeded_pii_reaches_the_curated_store(stores):
    corpus, curated, raw = stores
    pii = [r["value"] for r in rows(corpus / "pii.jsonl")]
    assert pii
    assert [p for p in pii if p in store_bytes(curated)] == []
    assert [p for p in pii if p in store_bytes(raw)]  # the raw store shows the check can fail


def test_duplicates_and_junk_are_dropped_with_reasons(stores):
    corpus, curated, raw = stores
    noise = json.loads((corpus / "noise.json").read_text())
    drops = curated.drops
    removed = (drops.get("exact_dedup", {}).get("exact duplicate", 0)
               + drops.get("near_dedup", {}).get("near duplicate", 0))
    injected = noise["exact_duplicates"] + noise["near_duplicates"]
    assert removed >= 0.95 * injected
    manifest = json.loads((curated.snapshot / "manifest.json").read_text())
    assert manifest["drops"] == drops and manifest["settings"]["curation"]["pii"] is True
    rejects = [json.loads(l) for l in (curated.snapshot / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == sum(sum(r.values()) for r in drops.values())
    assert curated.units < raw.units


def test_gold_answers_survive_curation(stores):
    corpus, curated, _ = stores
    text = " ".join(json.loads(l)["text"] for l in
                    (curated.snapshot / "units.jsonl").read_text().splitlines())
    questions = rows(corpus / "questions.jsonl")
    kept = sum(any(a in text for a in q["answers"]) for q in questions)
    assert kept >= 0.95 * len(questions), f"{kept}/{len(questions)}"
