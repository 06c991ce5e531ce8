"""Engines: which steps may run as Ray map_batches, and the local engine's streaming."""

import pickle

from ingest.chunk import Chunker
from ingest.engine import LocalEngine
from ingest.pipeline import steps
from ingest.quality import HeuristicQuality
from ingest.ray_engine import stages
from ingest.steps import Drops, per_record
from smallbatch.records import Doc
from smallbatch.settings import Settings
from tests.ingest.test_pipeline import FakeEmbedder


def test_per_record_steps_are_grouped_and_corpus_steps_stand_alone():
    pipeline = steps(Settings(), FakeEmbedder())
    grouped = [[st.name for st in stage] for stage in stages(pipeline)]
    flat = [name for stage in grouped for name in stage]
    assert flat == [st.name for st in pipeline]  # nothing reordered, nothing lost
    for stage in grouped:
        assert len(stage) == 1 or all(per_record(st) for st in pipeline if st.name in stage)
    by_name = {st.name: per_record(st) for st in pipeline}
    assert by_name["clean"] and by_name["mask_pii"] and by_name["chunk"]
    assert not by_name["exact_dedup"] and not by_name["near_dedup"]
    assert not by_name["strip_boilerplate"]  # counts lines across documents


def test_top_n_quality_needs_the_whole_corpus():
    assert per_record(HeuristicQuality(0.5)) and not per_record(HeuristicQuality(0.5, top_n=3))


def test_a_chunker_survives_pickling_for_ray_workers():
    c = pickle.loads(pickle.dumps(Chunker(40, 5, str.split)))
    text = "One sentence here. " * 40
    assert c.split(text) == Chunker(40, 5, str.split).split(text) and len(c.split(text)) > 1


def test_local_engine_streams_through_every_step():
    class Upper:
        name, per_record = "upper", True

        def run(self, docs, drops):
            for d in docs:
                if not d.text:
                    drops.add(self.name, d, "empty")
                    continue
                yield Doc(d.id, d.text.upper(), d.metadata)

    drops = Drops()
    out = list(LocalEngine().run([Doc("a", "x"), Doc("b", "")], [Upper()], drops))
    assert [d.text for d in out] == ["X"] and drops.summary() == {"upper": {"empty": 1}}
