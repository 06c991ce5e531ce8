import json
import zlib

import numpy as np

from ingest.steps import Drops
from reader.curate import RoundTrip, Verbatim, curate, question_type, steps, type_mix
from reader.guard import EvalGuard
from reader.prompts import ShortAnswer, Verdict
from reader.report import write_report
from smallbatch.records import Doc
from smallbatch.settings import ReaderSettings
from tests.reader.fakes import FakeRole

UNIT = "The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall."


def q(qid, text, answer, sentence=None, unit=UNIT):
    return Doc(qid, text, {"unit_id": "u1", "unit_text": unit, "answer": answer,
                           "sentence": sentence or f"The answer is {answer}."})


class BagEmbedder:
    """Hashed bag of words, unit-normalised: equal word sets -> cosine 1."""
    dim = 64

    def encode(self, texts, batch_size=64, progress=False):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace("?", "").split():
                out[i, zlib.crc32(w.encode()) % self.dim] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_verbatim_reasons():
    drops, step = Drops(), Verbatim()
    kept = list(step.run(iter([
        q("a", "When was the tower completed?", "1889"),
        q("b", "How tall is it?", "330 meters"),
        q("c", "Where is the tower?", "Paris", sentence="It is in France."),
        q("d", "Was it completed in 1889?", "1889"),
        q("e", "What?", " ".join(["word"] * 13), unit=" ".join(["word"] * 13)),
    ]), drops))
    assert [d.id for d in kept] == ["a", "c"]
    assert kept[1].metadata["sentence"] == ""  # short style only
    assert drops.summary()["verbatim"] == {"answer not verbatim in unit": 1,
                                           "answer in question": 1, "answer too long": 1}


def test_round_trip_agrees_or_asks_the_judge():
    answers = {"When was it completed?": "1889", "How tall is it?": "1889",
               "Where is it?": "the tower"}
    teacher = FakeRole({"reader_round_trip": lambda i: ShortAnswer(answer=answers[i.question])})
    judge = FakeRole({"reader_second_opinion":
                      lambda i: Verdict(correct="a" if i.answer_a == "330 metres" else "b")})
    drops = Drops()
    step = RoundTrip(teacher, judge, 0.6)
    kept = list(step.run(iter([q("a", "When was it completed?", "1889"),
                               q("b", "How tall is it?", "330 metres"),
                               q("c", "Where is it?", "Paris")]), drops))
    assert [d.id for d in kept] == ["a", "b"]
    assert kept[1].metadata["judge"] == "a"
    assert drops.summary() == {"round_trip": {"round trip disagrees, judge: b": 1}}
    assert len(judge.asked) == 2  # only the disputed ones


def test_question_types():
    assert [question_type(x) for x in [
        "Who built it?", "In what year was it built?", "How many people live there?",
        "Why did it fall?", "What is the capital?", "Name the river.", "How did it end?",
        "Which city is larger?"]] == ["who", "when", "how many", "why", "what", "other", "how",
                                      "what"]


def test_guard_drops_exact_and_near_copies_of_eval_questions():
    guard = EvalGuard(["When was the Eiffel Tower completed?",
                       "Who designed the Eiffel Tower in Paris?"], 0.5)
    drops = Drops()
    kept = list(guard.run(iter([q("a", "when was the Eiffel tower completed", "1889"),
                                q("b", "Who designed the Eiffel Tower in France?", "x"),
                                q("c", "How tall is the Louvre pyramid?", "21 metres")]), drops))
    assert [d.id for d in kept] == ["c"]
    assert drops.summary() == {"eval_guard": {"evaluation question": 1,
                                              "near an evaluation question": 1}}


def test_pipeline_dedups_samples_to_n_and_reports(tmp_path):
    teacher = FakeRole({"reader_round_trip": lambda i: ShortAnswer(answer="1889")})
    cfg = ReaderSettings()
    qs = [q("a", "When was the Eiffel Tower completed?", "1889"),
          q("b", "When was the Eiffel Tower completed ?", "1889"),  # near duplicate
          q("c", "The Eiffel Tower was completed when?", "1889"),  # same words: paraphrase
          q("d", "In which year did builders finish the Paris tower?", "1889"),
          q("e", "What year saw the completion of the landmark?", "1889")]
    drops = Drops()
    kept, counts = curate(qs, steps(teacher, None, BagEmbedder(), EvalGuard([], 0.5), 2, cfg),
                          drops)
    assert len(kept) == 2
    s = drops.summary()
    assert s["near_dedup"] == {"near duplicate": 1}
    assert s["semantic_dedup"] == {"semantic duplicate": 1}
    assert s["coverage"] == {"over budget": 1}
    assert [c["step"] for c in counts][-1] == "coverage" and counts[0]["in"] == 5
    assert sum(type_mix(kept).values()) == 2
    write_report(tmp_path, {"batch": "x", "steps": counts, "drops": s, "types": type_mix(kept),
                            "samples": [{"style": "short", "question": "Q?", "target": "A [1]"}]})
    assert json.loads((tmp_path / "report.json").read_text())["types"] == type_mix(kept)
    assert "over budget" in (tmp_path / "report.html").read_text()
