"""`smallbatch eval run|testset` through the real argument parser, with fake model clients."""

import json

from cli import main as cli
from tests.eval.test_testset import DOCS, Teacher
from tests.fakes import FakeOpenAI


def test_eval_testset_command_writes_items_and_split(tmp_path, monkeypatch):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in DOCS))
    monkeypatch.setattr("eval.commands.async_client", lambda ep: Teacher({}))
    out = tmp_path / "ts.jsonl"
    assert cli.main(["eval", "testset", str(docs), "--out", str(out), "--n", "2",
                     "--holdout", "0.5"]) == 0
    assert len(out.read_text().splitlines()) == 2
    meta = json.loads((tmp_path / "ts.meta.json").read_text())
    assert len(meta["holdout_source_ids"]) == 5 and meta["prompt"] == "testset_qa@2"
    assert cli.main(["eval", "testset", str(docs)]) == 2  # --out is required


def test_eval_run_keeps_answers_and_refuses_a_missing_judge(tmp_path, monkeypatch, capsys):
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "q1", "question": "Capital of France?", "answers": ["Paris"]}) + "\n")
    plan = tmp_path / "s.toml"
    plan.write_text(f'[eval]\nquestions = "{q}"\nout = "{tmp_path / "out"}"\nragas_n = 1\n'
                    f'[[system]]\nname = "cb"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
    monkeypatch.setattr("eval.run_systems.async_client", lambda ep: FakeOpenAI("Paris."))
    monkeypatch.setenv("SMALLBATCH_JUDGE__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SMALLBATCH_JUDGE__MODEL", "large")
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["eval", "run", str(plan)]) == 2
        assert "does not answer" in capsys.readouterr().err
        rec = json.loads((tmp_path / "out" / "records.jsonl").read_text())
        assert rec["f1"] == 1.0  # the answers were kept
        assert cli.main(["eval", "run", str(plan), "--ragas-n", "0"]) == 0
        summary = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert summary["systems"]["cb"]["em"] == 1.0
        assert summary["settings"]["ragas"]["judge"]["base_url"] == "http://127.0.0.1:9/v1"
    finally:
        cli.get_settings.cache_clear()
