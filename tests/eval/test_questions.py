"""Gold and unanswerable questions, the store facts they rest on, and the plan's new keys."""

import json

import pytest

from eval.questions import Question, load_questions
from eval.run_systems import score
from eval.store_size import store_info
from eval.systems import load_plan, plan_questions
from smallbatch.settings import Settings


def squad(path, articles):
    data = [{"title": t, "paragraphs": [{"context": ctx, "qas": [
        {"id": f"{t}-{i}", "question": f"{t} question {i}?", "answers": [{"text": "x"}]}
        for i in range(3)]} for ctx in paras]} for t, paras in articles.items()]
    path.write_text(json.dumps({"data": data}))
    return path


def snapshot(path, units, sid="20260101T000000-abc", kb="kbx"):
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps(
        {"id": sid, "kb": kb, "counts": {"units": len(units), "unit_tokens": 123}}))
    (path / "units.jsonl").write_text("".join(json.dumps(
        {"id": f"u{i}", "text": text, "metadata": meta}) + "\n" for i, (text, meta) in enumerate(units)))
    return path


def test_jsonl_answerable_flag_and_source_field(tmp_path):
    p = tmp_path / "q.jsonl"
    p.write_text(json.dumps({"id": "a", "question": "Q?", "answers": ["x"], "doc": "wiki/p1.html",
                             "source_ids": ["T/0"]}) + "\n"
                 + json.dumps({"id": "b", "question": "Q2?", "answers": []}) + "\n")
    a, b = load_questions(p)
    assert a.answerable and a.source_ids == ["T/0"] and not b.answerable
    assert load_questions(p, source_field="doc")[0].source_ids == ["wiki/p1.html"]


def test_store_info_reads_size_id_and_titles(tmp_path):
    snap = snapshot(tmp_path / "s", [("Alpha text.", {"source_id": "Alpha/0", "title": "Alpha"}),
                                     ("Page  TEXT", {"source_id": "wiki/page.html"})])
    info = store_info(snap)
    assert (info.snapshot_id, info.kb, info.units, info.tokens) == (
        "20260101T000000-abc", "kbx", 2, 123)
    assert "Alpha" in info.titles and "page text" in info.text


def test_unanswerable_questions_avoid_every_article_the_stores_hold(tmp_path):
    pool = squad(tmp_path / "dev.json", {
        "Alpha": ["Alpha is a letter of the Greek alphabet used widely in mathematics and physics."],
        "Beta": ["Beta paragraph text that ends up copied into a page of the noisy store, whole."],
        "Gamma": ["Gamma rays are penetrating electromagnetic radiation from radioactive decay."],
        "Delta": ["A river delta is a landform shaped like a triangle, made by sediment deposits."]})
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g1", "question": "About alpha?", "answers": ["letter"],
                                "source_ids": ["Alpha/0"]}) + "\n")
    snap = snapshot(tmp_path / "snap", [(
        "Site menu. Beta paragraph text that ends up copied into a page of the noisy store, "
        "whole. Footer.", {"source_id": "wiki/beta.html"}),
        ("Gamma unit", {"source_id": "Gamma/0", "title": "Gamma"})])
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(f'[eval]\nquestions = "{gold}"\nunanswerable = 3\n'
                         f'unanswerable_from = "{pool}"\n'
                         f'[[system]]\nname = "rag"\nbase_url = "http://x/v1"\nmodel = "m"\n'
                         f'snapshot = "{snap}"\nparams = "7B"\n')
    plan = load_plan(plan_file, Settings())
    assert plan.systems[0].params == "7B" and plan.ragas_n == 0
    qs = plan_questions(plan)
    assert [q.id for q in qs][0] == "g1" and len(qs) == 4
    assert {q.id.split("-")[0] for q in qs[1:]} == {"Delta"}  # Alpha: gold; Beta: text; Gamma: title
    assert not any(q.answerable or q.answers for q in qs[1:])
    plan.unanswerable = 4
    with pytest.raises(ValueError, match="only 3 questions"):
        plan_questions(plan)


def test_questions_from_several_files_and_written_unanswerable_ones(tmp_path):
    row = lambda i, answers: json.dumps(  # noqa: E731
        {"id": i, "question": f"{i}?", "answers": answers, "source_ids": ["p.md"] * bool(answers)})
    made, hand = tmp_path / "made.jsonl", tmp_path / "hand.jsonl"
    made.write_text("".join(row(f"m{i}", ["x"]) + "\n" for i in range(3)))
    hand.write_text(row("h1", ["y"]) + "\n")
    pool = tmp_path / "unans.jsonl"
    pool.write_text("".join(row(f"u{i}", []) + "\n" for i in range(4)) + row("a", ["z"]) + "\n")
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(f'[eval]\nquestions = ["{made}", "{hand}"]\nunanswerable = 2\n'
                         f'unanswerable_from = "{pool}"\n'
                         f'[[system]]\nname = "cb"\nbase_url = "http://x/v1"\nmodel = "m"\n')
    plan = load_plan(plan_file, Settings())
    qs = plan_questions(plan)
    assert sorted(q.id for q in qs[:4]) == ["h1", "m0", "m1", "m2"]
    assert len(qs) == 6 and all(not q.answerable and q.id.startswith("u") for q in qs[4:])
    plan.unanswerable = 5  # only the 4 flagged ones count: the answerable row is not taken
    with pytest.raises(ValueError, match="4 unanswerable questions, 5 asked for"):
        plan_questions(plan)


def test_abstaining_on_an_unanswerable_question_is_correct():
    q = Question("u", "Who?", [], [], answerable=False)
    assert score(q, {"abstained": True, "answer": "", "retrieved": [], "cited": []}) == \
        {"abstention_correct": 1.0}
    assert score(q, {"abstained": False, "answer": "Bob", "retrieved": ["x"], "cited": ["x"]}) == \
        {"abstention_correct": 0.0}


def test_plan_rejects_unknown_eval_keys_and_ragas_metrics(tmp_path):
    p = tmp_path / "s.toml"
    sys_ = '[[system]]\nname = "a"\nrole = "small"\n'
    p.write_text('[eval]\nragas_metrics = ["vibes"]\n' + sys_)
    with pytest.raises(ValueError, match="unknown ragas_metrics"):
        load_plan(p, Settings())
    p.write_text('[eval]\nragass_n = 3\n' + sys_)
    with pytest.raises(ValueError, match="unknown keys"):
        load_plan(p, Settings())
    p.write_text('[eval]\nragas_n = 3\n' + sys_)
    plan = load_plan(p, Settings())
    assert plan.ragas_n == 3 and plan.systems[0].params == "0.5B"
    assert plan.ragas_metrics == ["faithfulness", "factual_correctness", "context_precision",
                                  "context_recall"]


def test_a_system_can_override_retrieval_settings_and_bad_ones_are_named(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[system]]\nname = "w"\nrole = "small"\ntop_k = 2\n'
                 'retrieval = { show = "window", window_sentences = 2 }\n')
    system = load_plan(p, Settings()).systems[0]
    r = system.settings(Settings()).retrieval
    assert (r.show, r.window_sentences, r.top_k) == ("window", 2, 2)
    p.write_text('[[system]]\nname = "w"\nrole = "small"\nretrieval = { shown = "window" }\n')
    with pytest.raises(ValueError, match="unknown retrieval settings"):
        load_plan(p, Settings())
    p.write_text('[[system]]\nname = "w"\nrole = "small"\nretrieval = { show = "sideways" }\n')
    with pytest.raises(ValueError, match="system 'w': retrieval"):
        load_plan(p, Settings())
