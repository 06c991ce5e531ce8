"""Publishing a cut: a complete snapshot through the snapshot writer, the full store's rejects
ahead of the cut's, and a manifest that is the full store's with the cut's counts."""

import json

import numpy as np

from ingest.steps import Drops
from smallbatch.records import Doc
from smallbatch.snapshot import read_manifest, read_units
from smallbatch.store import KnowledgeBase
from tune.full_store import FullStore
from tune.publish import publish
from tune.select import STEP

TUNING = {"timings": {"total_s": 1.0}, "points": [], "chosen": "c", "tolerance": 0.01,
          "dev": {"questions": 1, "path": "dev.jsonl", "sha256": "0" * 64}, "from": "full"}


def test_a_published_cut_is_a_complete_snapshot_with_both_rejects(tmp_path):
    full_dir = tmp_path / "full"
    full_dir.mkdir()
    (full_dir / "rejects.jsonl").write_text(
        json.dumps({"step": "dedup", "reason": "exact", "id": "x"}) + "\n")
    units = [Doc(f"u{i}", f"fact {i}", {"kind": "fact", "source_id": "s"}) for i in range(3)]
    manifest = {"id": "full", "kb": "k", "steps": ["clean"], "counts": {"sources": 1, "units": 3},
                "drops": {"dedup": {"exact": 1}}, "vectors": {"backend": "embedded"}}
    vectors = np.eye(3, 4, dtype=np.float32)
    full = FullStore(full_dir, manifest, units, [5, 6, 7], vectors)
    drops = Drops()
    drops.add(STEP, units[1], "over budget")
    plot = tmp_path / "tuning.png"
    plot.write_bytes(b"png")
    kb = KnowledgeBase(tmp_path / "stores", "k")

    snap = publish(kb, full, [0, 2], drops, TUNING, plot)

    assert kb.current() == snap
    assert [u.id for u in read_units(snap)] == ["u0", "u2"]
    m = read_manifest(snap)
    assert m["id"] == snap.name and m["steps"] == ["clean", STEP]
    assert m["counts"] == {"sources": 1, "units": 2, "unit_tokens": 12}
    assert m["drops"] == {"dedup": {"exact": 1}, STEP: {"over budget": 1}}
    assert m["vectors"]["backend"] == "embedded" and m["tuning"]["chosen"] == "c"
    rejects = [json.loads(line) for line in (snap / "rejects.jsonl").read_text().splitlines()]
    assert [(r["step"], r["id"]) for r in rejects] == [("dedup", "x"), (STEP, "u1")]
    assert "Tuning" in (snap / "report.html").read_text()
    assert (snap / "tuning.png").read_bytes() == b"png"
