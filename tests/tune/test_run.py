"""The checks `smallbatch tune` makes before it writes anything, through the library and the CLI."""

import json
import socket
import time

import pytest

from cli import main as cli
from smallbatch.settings import Role, Settings, get_settings
from smallbatch.store import KnowledgeBase
from tune.candidates import Grid
from tune.run import TuneError, tune

GRID = Grid((0.5, 1.0), (0.0,), ("1:1",), ("all",))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def make_kb(stores, name="k", ranked=True, budget=None) -> KnowledgeBase:
    kb = KnowledgeBase(stores, name)
    build = kb.new_build()
    rows = [{"id": f"u{i}", "text": f"fact {i}",
             "metadata": {"kind": "fact", "quality": {"score": 1.0, "views": {"length": 1.0}},
                          **({"coverage_rank": i} if ranked else {})}} for i in range(3)]
    (build / "units.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (build / "manifest.json").write_text(json.dumps(
        {"id": build.name, "settings": {"curation": {"budget_tokens": budget}},
         "drops": {"coverage": {"over budget": 4}} if budget else {}}))
    kb.publish(kb.finish_build(build).name)
    return kb


def dev_file(path, rows=({"question": "Which fact?", "answers": ["fact 1"]},)):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def settings(tmp_path) -> Settings:
    """The small role pointed at a port nothing listens on."""
    url = f"http://127.0.0.1:{closed_port()}/v1"
    return Settings(stores=tmp_path / "stores", small=Role(model="small", base_url=url))


def test_a_store_without_coverage_rank_asks_for_the_curated_profile(tmp_path):
    s = settings(tmp_path)
    make_kb(s.stores, ranked=False)
    with pytest.raises(TuneError, match="3 of 3 units carry no coverage_rank.*curated profile"):
        tune(s, "k", dev_file(tmp_path / "dev.jsonl"), GRID, 0.01)


def test_a_budgeted_store_is_refused(tmp_path):
    s = settings(tmp_path)
    make_kb(s.stores, budget=500)
    with pytest.raises(TuneError, match="budget of 500 tokens dropped 4 units"):
        tune(s, "k", dev_file(tmp_path / "dev.jsonl"), GRID, 0.01)


def test_an_empty_dev_file_or_one_without_answers_is_refused(tmp_path):
    s = settings(tmp_path)
    make_kb(s.stores)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(TuneError, match="holds no question"):
        tune(s, "k", tmp_path / "empty.jsonl", GRID, 0.01)
    no_answers = dev_file(tmp_path / "q.jsonl", [{"question": "Why?", "answers": []}])
    with pytest.raises(TuneError, match="no.*gold answer|has a gold answer"):
        tune(s, "k", no_answers, GRID, 0.01)
    with pytest.raises(TuneError, match="no file"):
        tune(s, "k", tmp_path / "missing.jsonl", GRID, 0.01)


def test_an_unreachable_model_fails_fast_before_anything_is_written(tmp_path):
    s = settings(tmp_path)
    kb = make_kb(s.stores)
    t = time.perf_counter()
    with pytest.raises(TuneError, match="does not answer at http://127.0.0.1:.*models serve small"):
        tune(s, "k", dev_file(tmp_path / "dev.jsonl"), GRID, 0.01)
    assert time.perf_counter() - t < 10
    assert not (kb.dir / "tuning").exists() and len(kb.list()) == 1


def test_a_kind_the_store_does_not_have_is_named(tmp_path):
    s = settings(tmp_path)
    make_kb(s.stores)
    grid = Grid((1.0,), (0.0,), ("1:1",), ("summary",))
    with pytest.raises(TuneError, match=r"kinds 'summary': the store has \['fact'\]"):
        tune(s, "k", dev_file(tmp_path / "dev.jsonl"), grid, 0.01)


def test_cli_reports_the_error_and_exits_2(tmp_path, monkeypatch, capsys):
    s = settings(tmp_path)
    make_kb(s.stores)
    monkeypatch.setenv("SMALLBATCH_STORES", str(s.stores))
    monkeypatch.setenv("SMALLBATCH_SMALL__BASE_URL", s.small.base_url)
    get_settings.cache_clear()
    try:
        dev = dev_file(tmp_path / "dev.jsonl")
        assert cli.main(["tune", "--kb", "k", "--dev", str(dev), "--kinds", "all-summary",
                         "--budgets", "0.5", "1", "--dry-run"]) == 2
        assert "does not answer" in capsys.readouterr().err
        assert cli.main(["tune", "--kb", "k", "--dev", str(dev), "--weights", "0:0"]) == 2
        assert "weights '0:0'" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_tuning_again_starts_from_the_full_store(tmp_path):
    from tune.full_store import source_snapshot

    s = settings(tmp_path)
    kb = make_kb(s.stores)
    full = kb.current()
    build = kb.new_build()
    (build / "manifest.json").write_text(json.dumps({"id": build.name,
                                                     "tuning": {"from": full.name}}))
    kb.publish(kb.finish_build(build).name)
    assert kb.current() != full
    assert source_snapshot(kb) == full
    assert source_snapshot(kb, kb.current().name) == kb.current()
