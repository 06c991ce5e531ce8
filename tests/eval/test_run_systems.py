"""The runner and report with fake models (plumbing); tests/integration runs the real model."""

import asyncio
import json

import pytest

from eval.questions import Question, load_questions, sample
from eval.results_report import write_report
from eval.run_systems import run_system
from eval.systems import System, load_plan
from rag.answer import Answerer
from smallbatch.llm import Endpoint
from smallbatch.settings import Settings
from tests.fakes import FakeOpenAI, FakeRetriever, unit

QUESTIONS = [Question("q1", "Capital of France?", ["Paris"], ["fr"]),
             Question("q2", "Capital of Germany?", ["Berlin"], ["de"])]


def fake_system(name, closed_book, reply="Paris is the capital [1].", fail=None):
    ep = Endpoint(name, "http://127.0.0.1:9/v1", "m", "x", 5, 0)
    return System(name, ep, "fake", None if closed_book else "unused"), FakeOpenAI(reply, fail)


@pytest.fixture
def patched(monkeypatch):
    """Route the runner's model clients and snapshot opening to fakes."""
    fakes = {}

    def open_answerer(settings, snapshot, ep, style="short"):
        retriever = FakeRetriever([unit("u0", "Paris is the capital of France.", "fr"),
                                   unit("u1", "Berlin is the capital of Germany.", "de")])
        return Answerer(retriever, fakes[ep.role], "m", 0.2), None

    monkeypatch.setattr("rag.assemble.open_answerer", open_answerer)
    monkeypatch.setattr("eval.run_systems.async_client", lambda ep: fakes[ep.role])
    return fakes


def test_records_scores_and_resumes(tmp_path, patched):
    rag, fake = fake_system("rag", closed_book=False)
    patched["rag"] = fake
    asyncio.run(run_system(rag, QUESTIONS, Settings(), tmp_path, concurrency=2))
    recs = {r["qid"]: r for r in map(json.loads, (tmp_path / "records.jsonl").read_text().splitlines())}
    assert recs["q1"]["f1"] > 0 and recs["q1"]["contains"] == 1.0
    assert recs["q1"]["citation_correct"] == 1.0 and recs["q1"]["recall_at_5"] == 1.0
    assert recs["q2"]["contains"] == 0.0 and recs["q2"]["rr"] == 0.5
    calls = len(fake.chat.completions.calls)
    asyncio.run(run_system(rag, QUESTIONS, Settings(), tmp_path, concurrency=2))  # resume: nothing left
    assert len(fake.chat.completions.calls) == calls
    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 2


def test_a_rebuilt_store_is_asked_again(tmp_path, patched):
    """Records name the snapshot they were made on; after a rebuild (``current`` moved) the
    system's old records are stale and asked again, not reported as the new store's."""
    out, current = tmp_path, tmp_path / "kb" / "current"
    for snap in ("s1", "s2"):
        (tmp_path / "kb" / snap).mkdir(parents=True)
    current.symlink_to("s1")
    ep = Endpoint("rag", "http://127.0.0.1:9/v1", "m", "x", 5, 0)
    rag, fake = System("rag", ep, "fake", str(current)), FakeOpenAI("Paris is the capital [1].")
    patched["rag"] = fake
    asyncio.run(run_system(rag, QUESTIONS, Settings(), out, concurrency=1))
    current.unlink()
    current.symlink_to("s2")
    asyncio.run(run_system(rag, QUESTIONS, Settings(), out, concurrency=1))
    recs = [json.loads(ln) for ln in (out / "records.jsonl").read_text().splitlines()]
    assert len(fake.chat.completions.calls) == 4
    assert [r["snapshot"] for r in recs] == ["s2", "s2"]


def test_failures_are_counted_not_scored(tmp_path, patched):
    broken, fake = fake_system("broken", closed_book=True, fail=RuntimeError("judge exploded"))
    good, fake2 = fake_system("good", closed_book=True, reply="Paris.")
    patched.update(broken=fake, good=fake2)
    for s in (broken, good):
        asyncio.run(run_system(s, QUESTIONS, Settings(), tmp_path, concurrency=1))
    doc = write_report(tmp_path / "records.jsonl", [broken, good], {"n": 2})
    b, g = doc["systems"]["broken"], doc["systems"]["good"]
    assert b["errors"] == 2 and b["f1"] is None and b["f1_n"] == 0
    assert g["errors"] == 0 and g["em"] == 0.5 and g["f1_n"] == 2
    for f in ("summary.json", "summary.md", "report.html", "f1_by_system.png", "latency.png"):
        assert (tmp_path / f).stat().st_size > 0
    assert "| good |" in (tmp_path / "summary.md").read_text()
    assert doc["paired_f1"] == []  # nothing scored in common with the broken system


def test_paired_difference_uses_common_questions_only():
    from eval.results_report import paired

    a, _ = fake_system("a", closed_book=True)
    b, _ = fake_system("b", closed_book=True)
    recs = [{"system": "a", "qid": "q1", "f1": 1.0}, {"system": "a", "qid": "q2", "f1": 1.0},
            {"system": "b", "qid": "q1", "f1": 0.5}, {"system": "b", "qid": "q3", "f1": 0.0}]
    (p,) = paired(recs, [a, b])
    assert (p["a"], p["b"], p["n"], p["diff"], p["ci"]) == ("a", "b", 1, 0.5, [0.5, 0.5])


def test_questions_from_squad_and_seeded_sample(tmp_path):
    squad = {"data": [{"title": "T", "paragraphs": [
        {"context": "c", "qas": [{"id": f"q{i}", "question": f"Q{i}?",
                                  "answers": [{"text": "A"}, {"text": "A"}]} for i in range(20)]}]}]}
    (tmp_path / "s.json").write_text(json.dumps(squad))
    qs = load_questions(tmp_path / "s.json")
    assert qs[0].answers == ["A"] and qs[0].source_ids == ["T/0"]
    assert [q.id for q in sample(qs, 5, 1)] == [q.id for q in sample(qs, 5, 1)]
    assert [q.id for q in sample(qs, 5, 1)] != [q.id for q in sample(qs, 5, 2)]


def test_systems_file_validation(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[[system]]\nname = "a"\nbase_url = "http://x/v1"\nmodel = "m"\n'
                 '[[system]]\nname = "a"\nrole = "small"\n')
    with pytest.raises(ValueError, match="unique"):
        load_plan(p, Settings())
    p.write_text('[[system]]\nname = "a"\nbase_url = "http://x/v1"\n')
    with pytest.raises(ValueError, match="needs a model"):
        load_plan(p, Settings())
    p.write_text('[[system]]\nname = "a"\nrole = "small"\ncolour = "red"\n')
    with pytest.raises(ValueError, match="unknown keys"):
        load_plan(p, Settings())


def test_smaller_sample_is_a_prefix_of_a_larger_one():
    qs = [Question(f"q{i}", "?", ["a"]) for i in range(50)]
    assert sample(qs, 10, 7) == sample(qs, 30, 7)[:10]


def test_a_chinese_answer_is_scored_on_characters_an_english_one_on_tokens():
    from eval.run_systems import score

    out = {"answer": "它是处理 .deb 文件的命令 [1]。", "abstained": False, "retrieved": [],
           "cited": []}
    zh = score(Question("z", "dpkg 是做什么的？", ["处理 .deb 文件的命令"], lang="zh"), out)
    assert zh["contains"] == 1.0 and 0.7 < zh["f1"] < 1.0  # CMRC: a near miss scores by characters
    # SQuAD token F1 would see each Chinese run as one token and miss the same answer
    from eval.scoring import f1
    assert f1("它是处理 .deb 文件的命令", ["处理 .deb 文件的命令"]) < zh["f1"]
    # Chinese gold decides even when the question's language was not recorded as zh
    assert score(Question("z2", "dpkg?", ["处理 .deb 文件的命令"]), out)["f1"] == zh["f1"]
    en = score(Question("e", "What does dpkg do?", ["handles .deb files"]),
               {**out, "answer": "dpkg handles the .deb files [1]."})
    assert en["f1"] == pytest.approx(2 * 0.75 * 1 / 1.75) and en["em"] == 0.0  # SQuAD tokens


def test_a_rerun_asks_again_what_failed_and_keeps_what_answered(tmp_path, patched):
    """Answers recorded as errors (the model server was down) are asked again by the next run;
    other systems' records and the answered ones are left as they were."""
    down, fake = fake_system("s", closed_book=True, fail=ConnectionError("refused"))
    other, fake2 = fake_system("other", closed_book=True, fail=ConnectionError("refused"))
    patched.update(s=fake, other=fake2)
    for system in (down, other):
        asyncio.run(run_system(system, QUESTIONS, Settings(), tmp_path, concurrency=1))
    up, fake3 = fake_system("s", closed_book=True, reply="Paris.")
    patched["s"] = fake3
    asyncio.run(run_system(up, QUESTIONS, Settings(), tmp_path, concurrency=1))
    recs = [json.loads(x) for x in (tmp_path / "records.jsonl").read_text().splitlines()]
    mine = [r for r in recs if r["system"] == "s"]
    assert len(mine) == 2 and not any("error" in r for r in mine)
    assert len(fake3.chat.completions.calls) == 2
    assert sum("error" in r for r in recs if r["system"] == "other") == 2
