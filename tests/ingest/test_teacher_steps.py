"""The model-driven curation steps on tiny inline inputs, with a scripted fake model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ingest.augment import Augment, attach_from_qa
from ingest.distill import DISTILL, Distill, DistillIn
from ingest.ground import Ground, lexical_support
from ingest.quality_judge import JudgeOut, JudgeQuality, judge_score
from ingest.steps import Drops
from ingest.role_client import AnswerCache, RoleClient
from smallbatch.prompting import TypedCallError
from smallbatch.records import Doc
from tests.fakes import FakeOpenAI

PASSAGE = ("Tesla was born in 1856 in Smiljan. He moved to New York in 1884 and worked for "
           "Thomas Edison.")
DISTILLED = {
    "facts": ["Tesla was born in 1856 in Smiljan.", "Tesla moved to New York in 1884.",
              "Tesla worked for Thomas Edison.", "Tesla was born in 1901 in Paris."],
    "qa": [{"question": "When was Tesla born?", "answer": "1856"}],
    "summary": "Tesla, born 1856 in Smiljan, moved to New York in 1884.",
    "keywords": ["Tesla", "Smiljan", "New York"],
}


def teacher(tmp_path, reply, name="t") -> RoleClient:
    return RoleClient(FakeOpenAI(reply), "fake-model", AnswerCache(tmp_path / f"{name}.jsonl"))


def passage(text=PASSAGE, pid="doc.md#c0") -> Doc:
    return Doc(pid, text, {"source_id": "doc.md", "source_path": "doc.md", "span": [0, len(text)],
                           "kind": "passage"})


def test_cache_makes_an_unchanged_rerun_free_and_a_changed_input_cost_one_call(tmp_path):
    t = teacher(tmp_path, json.dumps(DISTILLED))
    inputs = [DistillIn(passage="a b c"), DistillIn(passage="d e f")]
    first = t.run(DISTILL, inputs)
    assert t.usage.calls == 2 and all(o.facts == DISTILLED["facts"] for o in first)

    again = teacher(tmp_path, json.dumps(DISTILLED))  # a new process: cache read from disk
    again.run(DISTILL, inputs)
    assert again.usage.calls == 0 and again.usage.cached == 2
    again.run(DISTILL, [inputs[0], DistillIn(passage="d e f changed")])
    assert again.usage.calls == 1


def test_malformed_output_is_retried_then_counted_with_its_reason(tmp_path):
    t = teacher(tmp_path, '{"facts": ["x"]')  # cut JSON, every time
    [out] = t.run(DISTILL, [DistillIn(passage="p")])
    assert isinstance(out, TypedCallError) and "invalid JSON" in out.reason
    assert t.usage.calls == 3 and t.usage.failures == 1  # 1 try + 2 retries

    d = Drops()
    units = list(Distill(teacher(tmp_path, '{"nope": 1}', "bad")).run(iter([passage()]), d))
    assert units == [] and d.summary() == {"distill": {"teacher output unusable": 1}}
    assert "schema mismatch" in d.rejects[0]["detail"]


def test_distill_makes_units_tied_to_their_passage(tmp_path):
    units = list(Distill(teacher(tmp_path, json.dumps(DISTILLED))).run(iter([passage()]), Drops()))
    kinds = [u.metadata["kind"] for u in units]
    assert kinds.count("fact") == 4 and kinds.count("qa") == 1 and kinds.count("summary") == 1
    fact = units[0]
    assert fact.metadata["parent"] == "doc.md#c0" and fact.metadata["span"] == [0, len(PASSAGE)]
    assert fact.metadata["source_path"] == "doc.md" and fact.metadata["parent_text"] == PASSAGE
    with pytest.raises(ValueError, match="choose from"):
        Distill(teacher(tmp_path, "{}"), kinds=("facts",))


def test_lexical_support_demands_every_number_and_most_words():
    assert lexical_support("Tesla moved to New York in 1884.", PASSAGE) == 1.0
    assert lexical_support("Tesla moved to New York in 1885.", PASSAGE) == 0.0
    assert lexical_support("Tesla admired pigeons greatly.", PASSAGE) < 0.5


def test_grounding_drops_unsupported_units_and_asks_the_judge_only_when_unsure(tmp_path):
    units = list(Distill(teacher(tmp_path, json.dumps(DISTILLED))).run(iter([passage()]), Drops()))
    unsure = Doc("doc.md#c0#f9", "Tesla worked in New York for Edison's company.",
                 dict(units[0].metadata))
    judge = teacher(tmp_path, json.dumps({"supported": [False]}), "judge")
    d = Drops()
    kept = list(Ground(judge, reject_below=0.5, accept_at=0.9).run(iter(units + [unsure]), d))
    texts = [u.text for u in kept]
    assert "Tesla was born in 1901 in Paris." not in texts  # numbers not in the source
    assert unsure.text not in texts and "Tesla worked for Thomas Edison." in texts
    assert judge.usage.calls == 1  # one batched call for the passage's uncertain units
    assert d.summary()["ground"] == {"lexical: words not in source": 1,
                                     "judge: not supported by source": 1}


def test_a_fumbled_judge_batch_is_asked_again_claim_by_claim(tmp_path):
    """A verdict list of the wrong length used to drop every claim of the batch."""
    def judge_reply(messages):  # one verdict too few for a batch, right for a single claim
        claims = json.loads(messages[-1]["content"])["claims"]
        verdicts = [c != "Tesla liked Paris." for c in claims]
        return json.dumps({"supported": verdicts[:1] if len(claims) > 1 else verdicts})

    base = list(Distill(teacher(tmp_path, json.dumps(DISTILLED))).run(iter([passage()]),
                                                                       Drops()))[0]
    unsure = [Doc(f"doc.md#c0#f{n}", text, dict(base.metadata)) for n, text in
              enumerate(["Tesla worked in New York for Edison's company.", "Tesla liked Paris."])]
    judge = teacher(tmp_path, judge_reply, "judge")
    d = Drops()
    kept = list(Ground(judge, reject_below=0.0, accept_at=1.0).run(iter(unsure), d))
    assert [u.text for u in kept] == [unsure[0].text]
    assert d.summary()["ground"] == {"judge: not supported by source": 1}
    assert judge.usage.calls == 3  # the batch, then each claim alone


def test_judge_quality_combines_views_and_names_the_worst(tmp_path):
    out = JudgeOut(informative=5, self_contained=5, clean=5, on_scope=1)
    assert judge_score(out) == (1.0, "informative")
    score, worst = judge_score(JudgeOut(informative=5, self_contained=5, clean=1, on_scope=5))
    assert worst == "clean" and score == 0.5

    judge = teacher(tmp_path, out.model_dump_json())
    doc = passage()
    doc.metadata["quality"] = {"score": 0.9, "views": {"length": 0.9}}
    d = Drops()
    kept = list(JudgeQuality(judge, scope="history", threshold=0.6).run(iter([doc]), d))
    assert kept == [] and d.summary() == {"judge_quality": {"judge: off scope": 1}}
    kept = list(JudgeQuality(judge, scope="", threshold=0.6).run(iter([passage()]), Drops()))
    assert len(kept) == 1 and kept[0].metadata["quality"]["judge_score"] == 1.0


def test_augment_attaches_the_questions_a_unit_answers(tmp_path):
    units = list(Distill(teacher(tmp_path, json.dumps(DISTILLED))).run(iter([passage()]), Drops()))
    out = {u.text: u for u in Augment().run(iter(units), Drops())}
    assert out["Tesla was born in 1856 in Smiljan."].metadata["questions"] == ["When was Tesla born?"]
    assert out["Tesla moved to New York in 1884."].metadata["questions"] == []
    assert attach_from_qa(Doc("x", "anything", {"kind": "passage", "qa": DISTILLED["qa"]})) == [
        "When was Tesla born?"]


def test_augment_can_ask_the_teacher_for_questions(tmp_path):
    t = teacher(tmp_path, json.dumps({"questions": ["Q1?", "Q2?", "Q3?"]}))
    unit = Doc("u", "Tesla moved to New York in 1884.", {"kind": "fact", "qa": []})
    [out] = list(Augment(t, generate=True, per_unit=2).run(iter([unit]), Drops()))
    assert out.metadata["questions"] == ["Q1?", "Q2?"] and t.usage.calls == 1


def test_semantic_dedup_and_coverage_on_planted_vectors():
    from ingest.coverage import CoverageSample, k_center_order
    from ingest.semdedup import SemanticDedup

    class Memo:
        def __init__(self, table):
            self.table = table

        def of(self, units):
            return np.stack([self.table[u.text] for u in units]).astype(np.float32)

    e = np.eye(3, dtype=np.float32)
    near = (e[0] + 0.05 * e[1]) / np.linalg.norm(e[0] + 0.05 * e[1])
    table = {"alpha one": e[0], "alpha 1": near, "beta": e[1], "gamma": e[2]}
    docs = [Doc(t, t, {"kind": "fact"}) for t in table]
    d = Drops()
    kept = list(SemanticDedup(Memo(table), threshold=0.95).run(iter(docs), d))
    assert [u.text for u in kept] == ["alpha one", "beta", "gamma"]
    assert kept[0].metadata["absorbed"] == ["alpha 1"]

    order = k_center_order(np.stack([e[0], near, e[1], e[2]]), np.ones(4))
    assert set(order[:3]) == {0 if order[0] == 0 else 1, 2, 3}  # the near twin comes last
    d = Drops()
    kept = list(CoverageSample(Memo(table), lambda t: len(t.split()), budget_tokens=3)
                .run(iter(docs), d))
    assert sum(len(u.text.split()) for u in kept) <= 3 and len(kept) == 2
    assert d.summary() == {"coverage": {"over budget": 2}}
    assert sorted(u.metadata["coverage_rank"] for u in docs) == [0, 1, 2, 3]


def test_report_divergence_and_coverage():
    from ingest.store_report import build_report, js_divergence

    assert js_divergence(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0
    assert js_divergence(np.array([1.0, 1e-12]), np.array([1e-12, 1.0])) == pytest.approx(1.0, abs=1e-6)

    class Memo:
        def of(self, units):
            return np.stack([np.eye(2, dtype=np.float32)[int("b" in u.text)] for u in units])

    src = [Doc(f"s{i}", t, {"source_id": "s", "pii_masked": {"email": 1}})
           for i, t in enumerate(["a a", "a", "b", "b b"])]
    units = [Doc("u", "a", {"source_id": "s", "kind": "fact"})]
    r = build_report(src, src, src, units, {"exact_dedup": {"exact duplicate": 2}}, Memo(),
                     lambda t: len(t.split()))
    assert r["raw"]["tokens"] == 6 and r["store"]["tokens"] == 1
    assert r["compression"]["tokens"] == round(1 / 6, 4)
    assert r["pii_masked"] == {"email": 4} and r["duplicates_removed"]["exact_dedup"] == 2
    assert r["flag"]["coverage"] == 0.5 and r["flag"]["js_divergence"] > 0.3


def test_a_chinese_passage_is_distilled_with_the_chinese_prompt(tmp_path):
    """Each passage is asked in its own language: the Chinese instruction for a Chinese passage
    (so the teacher writes Chinese units), the English one for the rest — one run, both kinds."""
    zh_units = {"facts": ["dpkg 负责安装 .deb 软件包。"], "qa": [], "summary": "dpkg 安装软件包。",
                "keywords": ["dpkg"]}
    fake = FakeOpenAI(lambda messages: json.dumps(
        zh_units if "知识单元" in messages[0]["content"] else DISTILLED))
    t = RoleClient(fake, "fake-model", AnswerCache(tmp_path / "t.jsonl"))
    zh = passage("dpkg 是 Debian 的基础软件包工具，负责安装和删除 .deb 软件包，APT 建立在它之上。",
                 "zh.md#c0")
    units = list(Distill(t).run(iter([passage(), zh]), Drops()))
    by_parent = {}
    for u in units:
        by_parent.setdefault(u.metadata["parent"], []).append(u.text)
    assert "dpkg 负责安装 .deb 软件包。" in by_parent["zh.md#c0"]
    assert "Tesla moved to New York in 1884." in by_parent["doc.md#c0"]
    systems = [c["messages"][0]["content"] for c in fake.chat.completions.calls]
    assert sum("知识单元" in s for s in systems) == 1 and len(systems) == 2


def test_a_teacher_that_stops_answering_ends_the_run_clearly_and_the_rerun_resumes(tmp_path):
    import httpx
    import openai

    from ingest.role_client import RoleUnavailable

    other = passage("Edison was born in 1847 in Milan, Ohio, and died in 1931.", "b.md#c0")

    def overloaded(messages):
        if "Edison was born" in messages[-1]["content"]:
            raise openai.APITimeoutError(request=httpx.Request("POST", "http://t/v1"))
        return json.dumps(DISTILLED)

    t = teacher(tmp_path, overloaded)
    with pytest.raises(RoleUnavailable) as e:
        list(Distill(t).run(iter([passage(), other]), Drops()))
    assert "did not answer" in str(e.value) and str(tmp_path / "t.jsonl") in str(e.value)
    again = teacher(tmp_path, lambda messages: json.dumps(DISTILLED))
    list(Distill(again).run(iter([passage(), other]), Drops()))
    assert again.usage.calls == 1 and again.usage.cached == 1  # only the unanswered one
