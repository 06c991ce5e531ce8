"""kill -9 during a build or a publish: the published snapshot stays whole, nothing half-written is
listed, and the next build succeeds.

Each case runs a real ingest (real embedder, Chroma on disk; default profile, no model needed) in
a subprocess armed with ``SMALLBATCH_TEST_CRASH_AT=<point>``, which SIGKILLs itself there
(smallbatch/faults.py). The re-run then happens in this process. Resume policy under test: a
stale ``building/<id>/`` is deleted by the next build (its lock is free once its process is
dead); completed work is reused through the caches beside the snapshots, not the build folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from ingest.pipeline import ingest
from rag.open_snapshot import Snapshot
from smallbatch.embed import get_embedder
from smallbatch.faults import CRASH_POINTS
from smallbatch.settings import REPO_ROOT, Settings
from smallbatch.store import KnowledgeBase
from smallbatch.text import tokenize

pytestmark = pytest.mark.integration

DOCS = {
    "bees.md": "# Bees\n\nHoneybees communicate the direction and distance of flowers to their "
               "nestmates with a waggle dance performed on the vertical comb inside the dark hive. "
               "A colony can hold tens of thousands of workers, all daughters of one queen.",
    "ants.md": "# Ants\n\nSome ant species farm aphids, protecting them from predators and moving "
               "them to fresh plants in exchange for the sweet honeydew the aphids excrete. "
               "Leafcutter ants grow a fungus garden on chewed leaves and feed it to their larvae.",
    "owls.md": "# Owls\n\nBarn owls hunt in complete darkness by hearing alone: their heart-shaped "
               "facial disc funnels sound to ears that sit at different heights on the head, so "
               "the owl can place a mouse in both direction and elevation.",
}
NEW_DOC = ("whales.md", "# Whales\n\nHumpback whales sing long, structured songs that change "
           "slowly from year to year, and every male in a population sings the same version of "
           "the song, which can travel for many kilometres through the ocean.")


def write_corpus(folder, docs):
    folder.mkdir()
    for name, text in docs.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A knowledge base with one published snapshot of the three-document corpus, and the
    four-document corpus every crashed build tries to publish next."""
    root = tmp_path_factory.mktemp("crash")
    settings = Settings(stores=root / "stores", kb="crashy")
    first = write_corpus(root / "v1", DOCS)
    ingest(first, "crashy", settings)
    second = write_corpus(root / "v2", dict(DOCS, **{NEW_DOC[0]: NEW_DOC[1]}))
    return settings, second


def assert_readable(path, sentence):
    """Open a snapshot as rag does and find a unit by a sentence of it, both ways."""
    snap = Snapshot.open(path)
    try:
        hit = [u for u in snap.units.values() if sentence in u.text]
        assert hit, f"{path.name}: no unit holds {sentence!r}"
        vec = get_embedder("all-MiniLM-L6-v2").encode([sentence])[0]
        assert snap.vector_search(vec, 1)[0][0] == hit[0].id
        assert snap.bm25_search(tokenize(sentence), 1)[0][0] == hit[0].id
    finally:
        close = getattr(snap, "close", None)
        if close:
            close()


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill_9_keeps_the_published_snapshot_and_the_rerun_succeeds(store, point):
    settings, corpus = store
    kb = KnowledgeBase(settings.stores, "crashy")
    before, listed = kb.current(), kb.list()

    env = dict(os.environ, SMALLBATCH_STORES=str(settings.stores), SMALLBATCH_TEST_CRASH_AT=point,
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    proc = subprocess.run([sys.executable, "-m", "cli.main", "ingest", str(corpus),
                           "--kb", "crashy"], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]

    # The published snapshot is the same one and answers queries.
    assert kb.current() == before
    assert_readable(before, "waggle dance performed on the vertical comb")
    # Nothing half-written is listed: only a publish crash adds a snapshot, and it is whole.
    added = sorted(set(kb.list()) - set(listed))
    assert len(added) == (1 if point == "publish" else 0)
    for sid in added:
        assert_readable(kb.snapshots / sid, "Humpback whales sing long, structured songs")
        assert not kb.info(sid).published
    stale = [p for p in kb.building.iterdir() if p.is_dir()] if kb.building.exists() else []
    assert len(stale) == (1 if point in ("write", "manifest") else 0)

    # The re-run builds and publishes, and clears what the crash left behind.
    result = ingest(corpus, "crashy", settings)
    assert kb.current() == result.snapshot and result.snapshot.name not in listed
    assert_readable(result.snapshot, "Humpback whales sing long, structured songs")
    assert not [p for p in kb.building.iterdir() if p.is_dir()]
    assert not list(kb.dir.glob(".current-*"))
    assert kb.history()[-1]["snapshot"] == result.snapshot.name
    assert kb.rollback().name == before.name  # and the old one is one rollback away
