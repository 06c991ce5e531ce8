"""The same pipeline on Ray Data (local Ray, one CPU, a small object store) builds the same
snapshot as the local engine: unit ids, texts and metadata, drops and problems."""

from __future__ import annotations

import json
import shutil

import pytest

from ingest.pipeline import ingest
from rag.open_snapshot import Snapshot
from smallbatch.diff import read_units
from smallbatch.settings import RaySettings, Settings
from tests.integration.conftest import SAMPLE

pytestmark = pytest.mark.integration

NOISE = {
    # an exact and a near duplicate of a sample paragraph's theme, PII, a fragment, a bad line
    "notes.md": "# Notes\n\nContact the curator at jane.doe@example.org or +1 415 555 2671 about "
                "the Norman conquest of southern Italy, which began in the eleventh century when "
                "Norman adventurers served Lombard princes as mercenaries.",
    "notes-copy.md": "# Notes\n\nContact the curator at jane.doe@example.org or +1 415 555 2671 "
                     "about the Norman conquest of southern Italy, which began in the eleventh "
                     "century when Norman adventurers served Lombard princes as mercenaries.",
    "short.txt": "Menu",
    "rows.jsonl": json.dumps({"text": "Oxygen is a chemical element with symbol O and atomic "
                                      "number 8; it is a highly reactive nonmetal and an "
                                      "oxidizing agent that readily forms oxides."}) + "\n{bad\n",
}


@pytest.fixture
def local_ray():
    import ray

    yield RaySettings(num_cpus=1, object_store_mib=100, batch_size=8)
    ray.shutdown()


def contents(snapshot):
    return [(u.id, u.text, u.metadata) for u in read_units(snapshot)]


def test_ray_engine_builds_the_same_snapshot_as_the_local_one(tmp_path, local_ray):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLE, corpus / SAMPLE.name)
    for name, text in NOISE.items():
        (corpus / name).write_text(text)
    local = Settings(stores=tmp_path / "local", kb="same")
    on_ray = local.model_copy(update={"stores": tmp_path / "ray", "engine": "ray",
                                      "ray": local_ray})

    a = ingest(corpus, "same", local)
    b = ingest(corpus, "same", on_ray)

    assert contents(b.snapshot) == contents(a.snapshot)
    assert len(contents(a.snapshot)) > 26
    assert b.drops == a.drops and b.drops  # something was dropped, the same way
    assert [str(p) for p in b.problems] == [str(p) for p in a.problems] == [
        "rows.jsonl:2: invalid JSON: Expecting property name enclosed in double quotes"]
    rejects = [sorted((s / "rejects.jsonl").read_text().splitlines()) for s in (a.snapshot, b.snapshot)]
    assert rejects[0] == rejects[1]
    manifests = [json.loads((s / "manifest.json").read_text()) for s in (a.snapshot, b.snapshot)]
    assert [m["engine"] for m in manifests] == ["local", "ray"]
    assert manifests[0]["sources"] == manifests[1]["sources"]
    assert "[EMAIL]" in " ".join(u.text for u in read_units(b.snapshot))
    snap = Snapshot.open(b.snapshot)
    assert snap._collection.count() == len(snap.units)
