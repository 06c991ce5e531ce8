from ingest.clean import Clean
from ingest.dedup import ExactDedup
from ingest.steps import Drops
from smallbatch.records import Doc
from smallbatch.text import normalise


def test_normalise_unicode_and_whitespace():
    assert normalise("ﬁne\u00a0 text \r\n\r\n\r\n  next\tline ") == "fine text\n\nnext line"


def test_clean_then_exact_dedup_drops_copies_with_reason():
    docs = [Doc("a", "Same  text.", {"source_path": "a.txt"}),
            Doc("b", "Same text.", {"source_path": "b.txt"}),
            Doc("c", "   ", {"source_path": "c.txt"}),
            Doc("d", "Other text.", {"source_path": "d.txt"})]
    drops = Drops()
    kept = list(ExactDedup().run(Clean().run(iter(docs), drops), drops))
    assert [d.id for d in kept] == ["a", "d"]
    assert kept[0].metadata["absorbed"] == ["b.txt"]
    assert drops.summary() == {"clean": {"empty after cleaning": 1},
                               "exact_dedup": {"exact duplicate": 1}}
    assert {r["id"] for r in drops.rejects} == {"b", "c"}
