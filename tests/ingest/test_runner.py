"""Runners: which steps may run as Ray map_batches, and the local runner's streaming."""

import pickle

from ingest.chunk import Chunker
from ingest.pipeline import steps
from ingest.quality import HeuristicQuality
from ingest.ray_runner import stages
from ingest.runner import LocalRunner
from ingest.steps import Drop, Drops, Transform
from smallbatch.records import Doc
from smallbatch.settings import Settings
from tests.ingest.test_pipeline import FakeEmbedder


def test_per_record_steps_are_grouped_and_corpus_steps_stand_alone():
    pipeline = steps(Settings(), FakeEmbedder())
    grouped = [[st.name for st in stage] for stage in stages(pipeline)]
    flat = [name for stage in grouped for name in stage]
    assert flat == [st.name for st in pipeline]  # nothing reordered, nothing lost
    for stage in grouped:
        assert len(stage) == 1 or all(st.per_record for st in pipeline if st.name in stage)
    by_name = {st.name: st.per_record for st in pipeline}
    assert by_name["clean"] and by_name["mask_pii"] and by_name["chunk"]
    assert not by_name["exact_dedup"] and not by_name["near_dedup"]
    assert not by_name["strip_boilerplate"]  # counts lines across documents


def test_a_watched_position_ends_a_stage():
    pipeline = steps(Settings(), FakeEmbedder())
    at = [st.name for st in pipeline].index("chunk")
    grouped = [[st.name for st in stage] for stage in stages(pipeline, cuts={at, at + 1})]
    assert ["chunk"] in grouped and grouped[-1] == ["heuristic_quality"]
    assert [["mask_pii", "chunk", "heuristic_quality"]] == [
        g for g in ([[st.name for st in stage] for stage in stages(pipeline)]) if "chunk" in g]


def test_top_n_quality_needs_the_whole_corpus():
    assert HeuristicQuality(0.5).per_record and not HeuristicQuality(0.5, top_n=3).per_record


def test_a_chunker_survives_pickling_for_ray_workers():
    c = pickle.loads(pickle.dumps(Chunker(40, 5, str.split)))
    text = "One sentence here. " * 40
    assert c.split(text) == Chunker(40, 5, str.split).split(text) and len(c.split(text)) > 1


class Upper(Transform):
    name = "upper"

    def apply(self, doc):
        return Doc(doc.id, doc.text.upper(), doc.metadata) if doc.text else Drop("empty")


def test_local_runner_streams_through_every_step():
    drops = Drops()
    out = list(LocalRunner().run([Doc("a", "x"), Doc("b", "")], [Upper()], drops))
    assert [d.text for d in out] == ["X"] and drops.summary() == {"upper": {"empty": 1}}


def test_local_runner_copies_the_stream_where_watched_without_a_step():
    seen_in, seen_out = [], []
    out = list(LocalRunner().run([Doc("a", "x"), Doc("b", "")], [Upper()], Drops(),
                                 watch={0: seen_in, 1: seen_out}))
    assert [d.id for d in seen_in] == ["a", "b"] and seen_out == out and len(out) == 1
