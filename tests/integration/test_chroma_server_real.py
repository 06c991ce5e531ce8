"""The store in a Chroma server (`chroma run` from the installed chromadb, on loopback):
ingest uploads one collection per snapshot, retrieval queries it and ranks like the embedded
store, and the small model answers over it."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import ingest
from rag.assemble import open_answerer
from rag.open_snapshot import Snapshot
from smallbatch import chroma
from smallbatch.embed import get_embedder
from smallbatch.llm import endpoint
from tests.integration.conftest import SAMPLE, free_port
from tests.integration.servers import child

pytestmark = pytest.mark.integration

QUESTIONS = ["Who proved that air is necessary for combustion?",
             "What did the Black Death do to the population of Europe?",
             "Which element did Priestley discover?"]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    port = free_port()
    exe = Path(sys.executable).with_name("chroma")
    with child([str(exe), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
                "--host", "127.0.0.1", "--port", str(port)],
               ready_url=f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        yield f"http://127.0.0.1:{port}"


def test_snapshots_live_in_a_chroma_server_and_answer_like_embedded(
        settings, sample_snapshot, chroma_url, tmp_path):
    s = settings.model_copy(update={"stores": tmp_path / "stores", "kb": "remote",
                                    "chroma_url": chroma_url})
    first = ingest(SAMPLE, "remote", s)
    manifest = json.loads((first.snapshot / "manifest.json").read_text())
    assert manifest["vectors"] == {"backend": "server", "collection": chroma.collection_name(
        "remote", first.snapshot.name)}
    assert not (first.snapshot / "chroma").exists()  # nothing embedded on disk
    server = chroma.server_client(chroma_url)
    assert f"sb-remote-{first.snapshot.name}" in {c.name for c in server.list_collections()}
    assert server.get_collection(f"sb-remote-{first.snapshot.name}").count() == first.units

    remote = Snapshot.open(first.snapshot, chroma_url)
    local = Snapshot.open(sample_snapshot.snapshot)
    embedder = get_embedder(s.embedder)
    for q in QUESTIONS:
        v = embedder.encode([q])[0]
        r, l = remote.vector_search(v, 5), local.vector_search(v, 5)
        assert [remote.units[i].metadata["source_id"] for i, _ in r] == \
               [local.units[i].metadata["source_id"] for i, _ in l]
        assert [round(x, 4) for _, x in r] == [round(x, 4) for _, x in l]
    common = sorted(set(remote.units) & set(local.units))[:5]
    assert common  # stored vectors read back by id (the curated gate's passage similarity)
    rv, lv = remote.vectors(common), local.vectors(common)
    assert set(rv) == set(lv) == set(common)
    assert all(np.allclose(rv[i], lv[i], atol=1e-5) for i in common)
    assert remote.vectors([]) == local.vectors([]) == {}
    remote.close()
    local.close()
    answerer, snap = open_answerer(s, first.snapshot, endpoint(s, "small"))
    ans = asyncio.run(answerer.answer(QUESTIONS[0], max_tokens=32))
    assert "boyle" in ans.text.lower()
    assert ans.citations and ans.citations[0].to_json()["source_id"] == "Oxygen/2"
    snap.close()
    with pytest.raises(ValueError, match="SMALLBATCH_CHROMA_URL"):
        Snapshot.open(first.snapshot)  # its vectors are not on disk: the error says what to set



