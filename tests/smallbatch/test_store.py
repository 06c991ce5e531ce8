import os

import pytest

from smallbatch.store import KnowledgeBase, StoreError


def build(kb: KnowledgeBase, marker: str):
    b = kb.new_build()
    (b / "units.jsonl").write_text(marker)
    (b / "manifest.json").write_text("{}")
    return kb.finish_build(b)


def test_publish_swaps_current_atomically_and_keeps_history(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    assert kb.current() is None
    s1 = build(kb, "one")
    kb.publish(s1.name)
    assert kb.current() == s1
    s2 = build(kb, "two")
    assert kb.current() == s1  # building/finishing never touches current
    kb.publish(s2.name)
    assert (kb.current() / "units.jsonl").read_text() == "two"
    assert kb.list() == sorted([s1.name, s2.name])
    assert len((kb.dir / "history.jsonl").read_text().splitlines()) == 2
    assert not [p for p in kb.dir.iterdir() if p.name.startswith(".current-")]


def test_incomplete_build_is_invisible_and_unpublishable(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    s1 = build(kb, "one")
    kb.publish(s1.name)
    crashed = kb.new_build()  # a build that died before writing its manifest
    (crashed / "units.jsonl").write_text("partial")
    assert kb.list() == [s1.name]
    with pytest.raises(StoreError, match="no complete snapshot"):
        kb.publish(crashed.name)
    assert kb.current() == s1
    assert os.readlink(kb.current_link) == f"snapshots/{s1.name}"
