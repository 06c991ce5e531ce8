"""bench.shown's command-line variants become retrieval settings."""

from bench.shown import variant
from smallbatch.settings import RetrievalSettings


def test_a_variant_spec_becomes_typed_retrieval_settings():
    name, update = variant("focused=recentre:meaning,recentre_pool:5,recentre_share:0.3")
    assert name == "focused"
    assert update == {"recentre": "meaning", "recentre_pool": 5, "recentre_share": 0.3}
    cfg = RetrievalSettings().model_copy(update=update)
    assert cfg.recentre_pool == 5 and cfg.for_style("sentence").recentre_share == 0.3
    assert variant("as-is=") == ("as-is", {})
