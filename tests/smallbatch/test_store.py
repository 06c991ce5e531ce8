import json
import os
import time

import pytest

from smallbatch import store
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


def test_rollback_walks_back_the_publish_history_like_an_undo_stack(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    a, b, c = (build(kb, m).name for m in "abc")
    with pytest.raises(StoreError, match="nothing to roll back to"):
        kb.rollback()
    for sid in (a, b, c):
        kb.publish(sid)
    assert kb.rollback().name == b and kb.current().name == b
    assert kb.rollback().name == a  # a second rollback goes further back, not forth again
    with pytest.raises(StoreError, match="nothing to roll back to"):
        kb.rollback()
    assert kb.rollback(to=c).name == c
    actions = [(r["action"], r["snapshot"], r["previous"]) for r in kb.history()]
    assert actions == [("publish", a, None), ("publish", b, a), ("publish", c, b),
                       ("rollback", b, c), ("rollback", a, b), ("rollback", c, a)]


def test_history_survives_a_cut_line_and_the_first_format(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    a, b = build(kb, "a").name, build(kb, "b").name
    kb.publish(a)
    kb.publish(b)
    lines = kb.history_file.read_text().splitlines()
    old = json.dumps({"published": a, "at": 1.0})
    kb.history_file.write_text(old + "\n" + lines[1][:25] + "\n")  # b's line cut by a crash
    assert kb.published_stack() == [a, b]  # the current link fills the gap
    assert kb.rollback_target() == a


def test_gc_keeps_newest_current_and_rollback_target(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    ids = []
    for i in range(6):
        ids.append(build(kb, str(i)).name)
        time.sleep(0.002)  # ids sort by build time to the millisecond
    kb.publish(ids[0])
    kb.publish(ids[1])
    kb.rollback(to=ids[1])  # current: ids[1], rollback target: ids[0]
    removed = kb.gc(keep=2)
    assert removed == ids[2:4]
    assert kb.list() == [ids[0], ids[1], ids[4], ids[5]]
    assert kb.current().name == ids[1] and kb.rollback().name == ids[0]
    assert not (kb.dir / ".trash").exists()
    with pytest.raises(StoreError, match="keep must be >= 1"):
        kb.gc(keep=0)


def test_a_dead_build_is_deleted_by_the_next_build_but_a_live_one_is_not(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    live = kb.new_build()
    dead = kb.new_build()
    (dead / "units.jsonl").write_text("partial")
    os.close(store._BUILD_LOCKS.pop(dead))  # its process died: the kernel drops the flock
    fresh = kb.new_build()
    assert live.is_dir() and fresh.is_dir() and not dead.exists()
    assert not (kb.building / f"{dead.name}.lock").exists()
    (live / "manifest.json").write_text("{}")
    kb.finish_build(live)
    assert not (kb.building / f"{live.name}.lock").exists() and kb.list() == [live.name]


def test_publish_clears_links_left_by_a_crash_inside_a_swap(tmp_path):
    kb = KnowledgeBase(tmp_path, "kb")
    a = build(kb, "a").name
    os.symlink("snapshots/" + a, kb.dir / ".current-dead")
    kb.publish(a)
    assert [p.name for p in kb.dir.iterdir() if p.name.startswith(".current")] == []
    assert kb.info(a).published
