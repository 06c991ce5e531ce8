"""The curated profile end to end on a small noisy sample with a real teacher and judge (the small
model on vLLM-CPU; on a GPU host the same test runs with any role configuration)."""

from __future__ import annotations

import json

import pytest

from ingest.pipeline import ingest
from smallbatch.settings import Role

pytestmark = pytest.mark.integration

TESLA = ("Nikola Tesla was born on 10 July 1856 in Smiljan, in the Austrian Empire. He emigrated "
         "to the United States in 1884 and worked for Thomas Edison in New York City. Tesla later "
         "founded his own laboratory, where he developed the alternating current induction motor. "
         "Questions go to the archive desk at archive.desk@example.org or +44 20 7946 0958.")
FRESNO = ("Fresno is a city in the San Joaquin Valley of California. It is the county seat of "
          "Fresno County and had a population of about 510,000 in 2010, which made it the fifth "
          "largest city in California. The city was founded in 1872 as a station of the Central "
          "Pacific Railroad.")
OFF_TOPIC = ("The --verbose flag of the copy command prints each file name as it is copied. "
             "Combine it with --dry-run to list what would be copied without touching any file, "
             "and with --exclude to skip files that match a pattern.")
PII = ("archive.desk@example.org", "+44 20 7946 0958")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("noisy")
    (root / "tesla.md").write_text(TESLA)
    (root / "tesla-copy.md").write_text(TESLA)  # exact duplicate
    (root / "fresno.md").write_text(FRESNO)
    (root / "cli-flags.md").write_text(OFF_TOPIC)
    return root


@pytest.fixture(scope="module")
def curated(settings, model_url, tmp_path_factory):
    teacher = Role(model="small", base_url=model_url)
    # No scope: the 0.5B judge's on_scope ratings are unreliable (it echoes the prompt's examples;
    # the 1.5B separated them on the bench corpus), so only the quality views gate here.
    c = settings.curation.curated()
    return settings.model_copy(update={"stores": tmp_path_factory.mktemp("stores"),
                                       "teacher": teacher, "judge": teacher, "curation": c})


@pytest.fixture(scope="module")
def built(corpus, curated):
    return ingest(corpus, "noisy", curated)


def test_curated_build_distills_grounded_units_with_provenance(built, corpus):
    units = [json.loads(line) for line in (built.snapshot / "units.jsonl").open()]
    kinds = {u["metadata"]["kind"] for u in units}
    # a source-text store (#14, the default): clean passages are what the reader is shown, the
    # teacher's facts/QA/summaries are retrieval keys pointing into them
    assert "passage" in kinds and "fact" in kinds
    assert kinds <= {"passage", "fact", "qa", "summary", "keywords"}
    passages = {u["id"] for u in units if not u["metadata"].get("key")}
    keys = [u for u in units if u["metadata"].get("key")]
    assert keys and all(u["metadata"]["parent"] in passages for u in keys)
    for u in units:
        m = u["metadata"]
        source = (corpus / m["source_path"]).read_text() if not m["source_path"].startswith("/") \
            else open(m["source_path"]).read()
        start, end = m["span"]
        assert 0 <= start < end <= len(source) + 1
        if m["kind"] == "fact":
            assert m["support"] >= 0.5  # grounding kept only supported facts
    assert any("1856" in u["text"] or "1884" in u["text"] or "1872" in u["text"] for u in units)
    assert built.drops["exact_dedup"] == {"exact duplicate": 1}


def test_no_pii_in_the_store_or_in_what_the_models_saw(built):
    text = "\n".join(p.read_bytes().decode("latin-1") for p in built.snapshot.rglob("*")
                     if p.is_file())
    sent = "\n".join(s for t in built.roles.clients.values() for s in t.seen)
    assert sent and all(v not in text and v not in sent for v in PII)


def test_manifest_and_report_record_models_prompts_and_cost(built):
    manifest = json.loads((built.snapshot / "manifest.json").read_text())
    models = manifest["models"]
    assert {"distill@3", "judge_quality@1"} <= set(models["prompts"])
    assert models["usage"]["teacher"]["calls"] >= 1
    assert models["usage"]["teacher"]["completion_tokens"] > 0
    report = json.loads((built.snapshot / "report.json").read_text())
    assert report["store"]["units"] == len(list((built.snapshot / "units.jsonl").open()))
    assert report["pii_masked"].get("EMAIL", 0) >= 1
    assert (built.snapshot / "report.html").read_text().count("<table>") >= 3


def test_unchanged_rebuild_asks_no_model(built, corpus, curated):
    again = ingest(corpus, "noisy", curated, publish=False)
    assert sum(t.usage.calls for t in again.roles.clients.values()) == 0
    assert again.units == built.units
