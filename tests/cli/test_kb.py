"""`smallbatch kb list|publish|rollback|diff|gc` on a store built in a temp folder."""

import json
import time

import pytest

from cli import main as cli
from smallbatch.records import Doc
from smallbatch.settings import Settings
from smallbatch.store import KnowledgeBase


@pytest.fixture
def kb(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "get_settings", lambda: Settings(stores=tmp_path, kb="kb"))
    return KnowledgeBase(tmp_path, "kb")


def snapshot(kb, texts, parent=None):
    b = kb.new_build()
    units = [Doc(f"s#c{i}", t, {"source_id": "s", "span": [i, i + 1], "kind": "passage"})
             for i, t in enumerate(texts)]
    (b / "units.jsonl").write_text("".join(json.dumps(u.to_json()) + "\n" for u in units))
    (b / "manifest.json").write_text(json.dumps({
        "created_at": "2026-11-22T00:00:00Z", "parent": parent,
        "counts": {"units": len(units), "unit_tokens": 7 * len(units)}}))
    time.sleep(0.002)
    return kb.finish_build(b).name


def test_list_publish_rollback_diff_gc(kb, capsys):
    a = snapshot(kb, ["Cats purr.", "Dogs bark."])
    b = snapshot(kb, ["Cats purr.", "Dogs howl.", "Birds sing."], parent=a)
    assert cli.main(["kb", "publish", a]) == 0 and cli.main(["kb", "publish", b]) == 0
    capsys.readouterr()

    assert cli.main(["kb", "list"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[2].startswith(f"* {b}") and rows[2].split()[-3:] == ["3", "21", a]
    assert cli.main(["kb", "list", "--json"]) == 0
    assert [r["published"] for r in json.loads(capsys.readouterr().out)] == [False, True]

    assert cli.main(["kb", "diff", a, "current", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"] == {
        "added": 1, "removed": 0, "changed": 1, "unchanged": 1}

    assert cli.main(["kb", "rollback"]) == 0
    assert capsys.readouterr().out.strip() == f"rolled back to {a}" and kb.current().name == a
    assert cli.main(["kb", "rollback"]) == 2  # nothing older
    assert "nothing to roll back to" in capsys.readouterr().err

    c = snapshot(kb, ["Fish swim."])
    assert cli.main(["kb", "gc", "--keep", "1"]) == 0  # keeps c (newest) and a (current)
    assert kb.list() == [a, c]
    assert cli.main(["kb", "diff", a]) == 2 and "two snapshot ids" in capsys.readouterr().err
    assert cli.main(["kb", "publish", "nope"]) == 2
