"""Source-text stores: the teacher's units become keys pointing at sentences of a kept passage;
the budget cuts whole passages with their keys; merged passages hand their keys on."""

from __future__ import annotations

import json

import numpy as np

from ingest.coverage import CoverageSample
from ingest.distill import Distill
from ingest.key_spans import LinkKeys, locate_key
from ingest.pipeline import visible_and_key_tokens
from smallbatch.sentences import sentences
from ingest.steps import Drops
from smallbatch.records import Doc
from smallbatch.snapshot import is_key
from tests.ingest.test_teacher_steps import teacher

PASSAGE = ("Tesla was born in 1856 in Smiljan. He studied engineering in Graz. "
           "He moved to New York in 1884. There he worked for Thomas Edison.")
SENTS = sentences(PASSAGE)
TEACHER = {"facts": ["Tesla was born in 1856 in Smiljan.", "Tesla worked for Thomas Edison "
                     "in New York."],
           "qa": [{"question": "Where did Tesla study?", "answer": "Graz"}],
           "summary": "Tesla, born in Smiljan, moved to New York.",
           "keywords": ["Tesla", "Smiljan"]}


def passage(pid="doc.md#c0", text=PASSAGE) -> Doc:
    return Doc(pid, text, {"source_id": "doc.md", "source_path": "doc.md", "kind": "passage",
                           "span": [100, 100 + len(text)], "header": "Tesla › Early life"})


def at(span) -> str:
    return PASSAGE[span[0]:span[1]]


def test_locate_key_finds_the_answer_sentence_or_the_best_overlap():
    assert at(locate_key(PASSAGE, SENTS, "Where did Tesla study?", "Graz")) == (
        "He studied engineering in Graz.")
    assert at(locate_key(PASSAGE, SENTS, "Tesla was born in 1856.")) == (
        "Tesla was born in 1856 in Smiljan.")
    # a fact that joins two sentences points at both
    assert at(locate_key(PASSAGE, SENTS, "Tesla moved to New York in 1884 and worked for "
                                         "Thomas Edison.")) == (
        "He moved to New York in 1884. There he worked for Thomas Edison.")


def test_distill_in_source_mode_keeps_the_passage_and_makes_keys(tmp_path):
    step = Distill(teacher(tmp_path, json.dumps(TEACHER)), answer_from="source")
    units = list(step.run(iter([passage()]), Drops()))
    assert units[0].id == "doc.md#c0" and units[0].text == PASSAGE and not is_key(units[0])
    keys = units[1:]
    assert [u.metadata["kind"] for u in keys] == ["fact", "fact", "qa", "summary", "keywords"]
    assert all(is_key(u) and u.metadata["parent"] == "doc.md#c0" for u in keys)
    assert keys[-1].text == "Tesla, Smiljan"
    # a QA key is checked by its copied answer, not by grounding's word overlap
    assert {u.metadata["kind"] for u in keys if "parent_text" in u.metadata} == {"fact",
                                                                               "summary"}
    linked = list(LinkKeys().run(iter(units), Drops()))
    qa = next(u for u in linked if u.metadata["kind"] == "qa")
    assert at(qa.metadata["key_span"]) == "He studied engineering in Graz."
    assert linked[0].metadata["sentences"] == [list(s) for s in SENTS]
    # a summary or keyword list is about the whole passage: the question picks the sentence
    assert [u.metadata["kind"] for u in linked if "key_span" not in u.metadata and is_key(u)] \
        == ["summary", "keywords"]


def test_a_qa_key_whose_answer_is_not_in_its_passage_is_dropped(tmp_path):
    wrong = dict(TEACHER, qa=[{"question": "Where did Tesla study?", "answer": "Vienna"}])
    units = list(Distill(teacher(tmp_path, json.dumps(wrong)), answer_from="source")
                 .run(iter([passage()]), Drops()))
    drops = Drops()
    linked = list(LinkKeys().run(iter(units), drops))
    assert "qa" not in {u.metadata["kind"] for u in linked}
    assert drops.summary() == {"link_keys": {"answer not in passage": 1}}


def test_paraphrase_mode_is_unchanged(tmp_path):
    units = list(Distill(teacher(tmp_path, json.dumps(TEACHER))).run(iter([passage()]), Drops()))
    assert {u.metadata["kind"] for u in units} == {"fact", "qa", "summary"}
    assert not any(is_key(u) for u in units)


def key(kid: str, parent: str, text: str) -> Doc:
    return Doc(kid, text, {"kind": "fact", "key": True, "parent": parent})


def test_link_keys_follows_a_merged_passage_and_drops_orphans():
    kept = passage("a#c0")
    kept.metadata["absorbed"] = ["b#c0"]
    drops = Drops()
    out = list(LinkKeys().run(iter([kept, key("b#c0#f0", "b#c0", "Tesla studied in Graz."),
                                    key("c#c0#f0", "c#c0", "Gone.")]), drops))
    assert [u.id for u in out] == ["a#c0", "b#c0#f0"]
    assert out[1].metadata["parent"] == "a#c0"
    assert out[1].metadata["header"] == "Tesla › Early life"
    assert at(out[1].metadata["key_span"]) == "He studied engineering in Graz."
    assert drops.summary() == {"link_keys": {"passage dropped": 1}}


def test_budget_cuts_whole_passages_with_their_keys_and_keys_cost_nothing():
    table = {"p one two": np.array([1, 0], np.float32), "p three four": np.array([0, 1], np.float32)}

    class Memo:
        def of(self, units):
            return np.stack([table[u.text] for u in units])

    p1, p2 = Doc("p1", "p one two", {"kind": "passage"}), Doc("p2", "p three four", {})
    keys = [key(f"k{i}", pid, "a long key text that would never fit") for i, pid in
            enumerate(["p1", "p2", "p1"])]
    drops = Drops()
    step = CoverageSample(Memo(), lambda t: len(t.split()), budget_tokens=3, by_passage=True)
    out = list(step.run(iter([p1, *keys, p2]), drops))
    kept_passage = next(u for u in out if not is_key(u))
    assert len([u for u in out if not is_key(u)]) == 1
    assert {u.metadata["parent"] for u in out if is_key(u)} == {kept_passage.id}
    assert drops.summary() == {"coverage": {"over budget": 1, "over budget (its passage)":
                                            1 if kept_passage.id == "p1" else 2}}
    assert step.report["tokens"] == 3
    tokens = visible_and_key_tokens(out, lambda t: len(t.split()))
    assert tokens["visible_tokens"] == 3 and tokens["key_tokens"] == 8 * tokens["keys"]


def test_the_store_report_page_shows_reader_visible_tokens_apart_from_keys(tmp_path):
    from ingest.store_report import write_html

    report = {"raw": {"tokens": 200, "bytes": 900}, "compression": {"tokens": 0.9},
              "store": {"tokens": 180, "bytes": 800, "units": 9, "by_kind": {"passage": 3},
                        "visible_tokens": 100, "key_tokens": 80, "keys": 6},
              "flag": {"freshness": 1, "coverage": 1, "granularity": 1, "js_divergence": 0},
              "duplicates_removed": {}, "pii_masked": {}, "drops": {}, "teacher": {},
              "topics": {}}
    write_html(report, tmp_path / "r.html", "t")
    page = (tmp_path / "r.html").read_text()
    assert "<th>reader-visible tokens</th><td>100</td>" in page
    assert "<th>reader-visible / raw</th><td>0.5</td>" in page
    assert "<th>index key tokens (6 keys)</th><td>80</td>" in page
