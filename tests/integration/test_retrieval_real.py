"""Retrieval on real snapshots: old stores still load, and a mixed Chinese/English store works
end to end (jieba BM25, the multilingual E5 embedder from its PyPI package, per-unit language)."""

from __future__ import annotations

import json
import shutil

import pytest

from ingest.pipeline import ingest
from rag.retrieve import Retriever
from rag.open_snapshot import Snapshot
from smallbatch.embed import get_embedder
from smallbatch.settings import CurationSettings, RetrievalSettings, Settings
from smallbatch.text import tokenize

pytestmark = pytest.mark.integration

ZH = {
    "apt.md": "APT 是 Debian 的软件包管理工具。使用 apt install 命令可以安装软件包，"
              "使用 apt remove 命令可以删除软件包，apt update 会刷新软件源的索引。",
    "network.md": "网络接口的配置文件位于 /etc/network/interfaces。修改之后需要重新启动网络服务，"
                  "或者使用 ifup 和 ifdown 命令启用或停用某个接口。",
    "users.md": "使用 adduser 命令可以创建新的用户账户，系统会自动建立该用户的主目录，"
                "并把用户加入同名的用户组。passwd 命令用来修改用户的密码。",
}
EN = {
    "bees.md": "Honeybees communicate the direction and distance of flowers to their nestmates "
               "with a waggle dance performed on the vertical comb inside the dark hive.",
    "ants.md": "Some ant species farm aphids, protecting them from predators and moving them to "
               "fresh plants in exchange for the sweet honeydew the aphids excrete.",
}


def write_bm25(build, units) -> None:
    """What ingest wrote before the fast index: a rank-bm25 pickle (smallbatch.snapshot's
    LEGACY_BM25_FILE), kept here since only this test still makes one."""
    import pickle

    from rank_bm25 import BM25Okapi

    from smallbatch.snapshot import LEGACY_BM25_FILE, index_text

    index = BM25Okapi([tokenize(index_text(u)) or ["<empty>"] for u in units])
    with (build / LEGACY_BM25_FILE).open("wb") as f:
        pickle.dump({"ids": [u.id for u in units], "bm25": index}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)


def test_a_snapshot_with_only_the_old_bm25_pickle_still_answers_the_same(sample_snapshot, tmp_path):
    new = Snapshot.open(sample_snapshot.snapshot)
    old_dir = tmp_path / "old"
    shutil.copytree(sample_snapshot.snapshot, old_dir)
    shutil.rmtree(old_dir / "bm25s")
    write_bm25(old_dir, list(new.units.values()))  # what ingest wrote before the fast index
    old = Snapshot.open(old_dir)
    for unit in list(new.units.values())[::5]:
        tokens = tokenize(unit.text[:200])
        assert old.bm25_search(tokens, 5) == new.bm25_search(tokens, 5)


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory):
    src = tmp_path_factory.mktemp("mixed-src")
    for name, text in {**ZH, **EN}.items():
        (src / name).write_text(text, encoding="utf-8")
    settings = Settings(stores=tmp_path_factory.mktemp("stores"), embedder="multilingual-e5-small",
                        curation=CurationSettings().raw())
    return ingest(src, "mixed", settings)


def test_units_carry_their_detected_language(mixed_store):
    rows = [json.loads(line) for line in (mixed_store.snapshot / "units.jsonl").open()]
    langs = {r["metadata"]["source_id"]: r["metadata"]["lang"] for r in rows}
    assert langs == {**{k: "zh" for k in ZH}, **{k: "en" for k in EN}}
    manifest = json.loads((mixed_store.snapshot / "manifest.json").read_text())
    assert manifest["embedder"]["name"] == "multilingual-e5-small"


@pytest.mark.parametrize("weights", [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)],
                         ids=["bm25-jieba", "vector-e5", "hybrid"])
@pytest.mark.parametrize("question,source", [
    ("怎么删除一个软件包？", "apt.md"),
    ("网络接口的配置文件在哪里？", "network.md"),
    ("如何创建新的用户账户", "users.md"),
    ("How do honeybees tell nestmates where flowers are?", "bees.md"),
])
def test_mixed_store_finds_the_right_unit_in_either_language(mixed_store, question, source, weights):
    snap = Snapshot.open(mixed_store.snapshot)
    embedder = get_embedder(snap.manifest["embedder"]["name"])
    cfg = RetrievalSettings(top_k=1, candidates=5, bm25_weight=weights[0], vector_weight=weights[1])
    (hit,) = Retriever(snap, embedder, cfg).search(question)
    assert hit.unit.metadata["source_id"] == source
