"""The step bases: a Filter only decides, a Transform changes one record; both report drops."""

from ingest.steps import Drop, Drops, Filter, Transform
from smallbatch.records import Doc


class LongEnough(Filter):
    name = "long_enough"

    def keep(self, doc):
        n = len(doc.text.split())
        if n >= 3:
            return True
        return (False, "too short") if n else (False, "empty", {"words": 0})


def docs(*texts):
    return [Doc(f"d{i}", t, {"source_path": f"{i}.md"}) for i, t in enumerate(texts)]


def test_a_filter_keeps_in_order_and_records_each_drop_with_its_reason_and_detail():
    drops = Drops()
    kept = list(LongEnough().run(iter(docs("one two three", "one", "", "a b c d")), drops))
    assert [d.id for d in kept] == ["d0", "d3"]
    assert drops.summary() == {"long_enough": {"too short": 1, "empty": 1}}
    assert drops.rejects == [
        {"step": "long_enough", "reason": "too short", "id": "d1", "source_path": "1.md"},
        {"step": "long_enough", "reason": "empty", "id": "d2", "source_path": "2.md", "words": 0}]


def test_a_filter_is_lazy_and_per_record():
    seen = []

    def stream():
        for d in docs("a b c", "x"):
            seen.append(d.id)
            yield d

    out = LongEnough().run(stream(), Drops())
    assert seen == [] and LongEnough.per_record  # nothing read before the first record is asked
    assert next(out).id == "d0" and seen == ["d0"]


class Split(Transform):
    name = "split"

    def apply(self, doc):
        if not doc.text:
            return Drop("nothing to split", {"chars": 0})
        parts = doc.text.split("|")
        if len(parts) == 1:
            return doc
        return [Doc(f"{doc.id}#{i}", p, doc.metadata) for i, p in enumerate(parts)]


def test_a_transform_returns_one_record_several_or_a_drop():
    drops = Drops()
    out = list(Split().run(iter(docs("a|b", "c", "")), drops))
    assert [(d.id, d.text) for d in out] == [("d0#0", "a"), ("d0#1", "b"), ("d1", "c")]
    assert drops.rejects == [{"step": "split", "reason": "nothing to split", "id": "d2",
                              "source_path": "2.md", "chars": 0}]


def test_a_tally_counts_without_a_reject_row():
    drops = Drops()
    drops.tally("judge_quality", "judge failed (kept on heuristics)")
    assert drops.summary() == {"judge_quality": {"judge failed (kept on heuristics)": 1}}
    assert drops.rejects == []
