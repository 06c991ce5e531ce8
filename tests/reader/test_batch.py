import json

import pytest

from ingest.steps import Drops
from rag.prompt import ABSTAIN
from reader.batch import curate_questions, read_examples, split_units, write_batch
from reader.build import publish
from reader.evaluate import compare, score
from reader.generate import Example
from reader.guard import EvalGuard
from reader.prompts import ReadingQA, ReadingQAs, ShortAnswer, Verdict
from smallbatch.settings import ReaderSettings
from tests.fakes import FakeOpenAI, unit
from tests.reader.fakes import FakeRole
from tests.reader.test_curate import BagEmbedder

UNITS = [unit(f"u{i}", f"Fact number {i}: the river {w} is {i * 100} kilometres long and wide.")
         for i, w in enumerate(["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"])]


class Roles:
    def __init__(self):
        def write(inp):
            name = inp.passage.split()[5]
            km = inp.passage.split()[7]
            return ReadingQAs(items=[ReadingQA(question=f"How long is the river {name}?",
                                               answer=f"{km} kilometres",
                                               sentence=f"It is {km} kilometres long.")])
        self.teacher = FakeRole({"reader_write_qa": write,
                                 "reader_round_trip": lambda i: ShortAnswer(
                                     answer=i.passage.split()[7] + " kilometres")})
        self.judge = FakeRole({"reader_second_opinion": lambda i: Verdict(correct="a")})

    def role(self, name):
        return self.teacher if name == "teacher" else self.judge


def test_dev_units_are_held_apart_and_never_sampled():
    cfg = ReaderSettings(oversample=2.0, min_unit_words=4)
    train, dev = split_units(UNITS, 3, 2, cfg)
    assert len(dev) == 2 and not {u.id for u in train} & {u.id for u in dev}
    kept, devq, counts = curate_questions(Roles(), BagEmbedder(), EvalGuard(
        ["How long is the river Beta?"], 0.99), train, dev, 2, cfg, Drops())
    assert len(kept) <= 2 and devq
    assert not {q.metadata["unit_id"] for q in kept} & {q.metadata["unit_id"] for q in devq}
    assert all("Beta" not in q.text for q in kept + devq)


def ex(i, abstain=False):
    return Example(f"e{i}", "u1", "How long?", "" if abstain else "100 kilometres", "short",
                   abstain, None if abstain else 1, ["u1"],
                   [{"role": "user", "content": "q"}],
                   ABSTAIN if abstain else "100 kilometres [1]")


def test_batch_folder_round_trips_and_publish_swaps_current(tmp_path):
    drops = Drops()
    drops.add("verbatim", UNITS[0], "answer not verbatim in unit")
    b = write_batch(tmp_path / "batches" / "b1", [ex(1), ex(2, True)], [ex(3)], drops,
                    {"steps": [], "types": {"how": 2}})
    assert [e.id for e in read_examples(b.folder / "batch.jsonl")] == ["e1", "e2"]
    report = json.loads((b.folder / "report.json").read_text())
    assert report["size"] == 2 and report["dev_size"] == 1 and report["sha256"] == b.sha256
    assert report["drops"] == {"verbatim": {"answer not verbatim in unit": 1}}
    for name in ("a1", "a2"):
        (tmp_path / "adapters" / name).mkdir(parents=True)
        link = publish(tmp_path, tmp_path / "adapters" / name)
    assert link.resolve() == (tmp_path / "adapters" / "a2").resolve()


def test_dev_scores_base_against_adapter():
    dev = [ex(1), ex(2), ex(3, True)]
    client = FakeOpenAI(reply=lambda m: "100 kilometres [1]")
    out = compare(client, "base", "reader", dev)
    assert out["adapter"]["f1"] == 1.0 and out["adapter"]["abstain_acc"] == 0.0
    assert [c["model"] for c in client.chat.completions.calls] == ["base"] * 3 + ["reader"] * 3
    assert score(dev[:1], [{"text": "It is 100 km [1]", "seconds": 1}])["f1"] == 0.3333
    assert out["adapter"]["declined"] == 0.0


def test_dev_score_counts_declined_answerable_questions():
    dev = [ex(1), ex(2), ex(3, True)]
    out = score(dev, [{"text": ABSTAIN, "seconds": 1}, {"text": "100 kilometres [1]",
                                                        "seconds": 1},
                      {"text": ABSTAIN, "seconds": 1}])
    assert out["declined"] == 0.5 and out["f1"] == 0.5 and out["abstain_acc"] == 1.0


def test_an_earlier_batch_joins_the_own_one_guarded_again_and_without_repeats(tmp_path):
    from dataclasses import replace

    from reader.batch import joined

    def asked(i, question):
        return replace(ex(i), question=question)

    own = [asked(1, "How long is the river Alpha?")]
    general = [asked(2, "How long is the river Alpha?"),  # the own batch has it already
               asked(3, "When was the Gamma bridge opened?"),
               asked(4, "Who founded the city of Fresno in 1872?")]  # an evaluation question
    write_batch(tmp_path / "general", general, [], Drops(), {"steps": [], "types": {}})
    drops = Drops()
    guard = EvalGuard(["Who founded the city of Fresno in 1872?"], 0.5)
    out, taken = joined(own, [tmp_path / "general"], guard, drops)
    assert [e.id for e in out] == ["e1", "e3"]
    assert taken == [{"batch": str(tmp_path / "general"), "examples": 1}]
    assert drops.summary() == {"with_batch": {"evaluation question": 1}}
    with pytest.raises(ValueError, match="missing/batch.jsonl"):
        joined(own, [tmp_path / "missing"], guard, Drops())
