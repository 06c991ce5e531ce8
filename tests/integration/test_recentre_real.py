"""Focused passages on a real clean store: pages ingested with the default profile (the real
embedder, BM25 and Chroma on disk), searched with the default retrieval settings for short
answers (the share of a passage shown follows the answer style: RetrievalSettings.for_style). The reader is
shown a short stretch of source text around the sentence that answers, also when that sentence
lies past the cut of the passage retrieval ranked first, and the stretch's span points at the
same words in the source. Needs no model server."""

from __future__ import annotations

import pytest

from ingest.pipeline import ingest
from rag import recentre
from rag.open_snapshot import Snapshot
from rag.retrieve import Retriever
from smallbatch.embed import get_embedder
from smallbatch.settings import Settings

pytestmark = pytest.mark.integration

# One section long enough to be cut into several passages at 64 tokens.
HISTORY = [
    "Millbrook was founded in 1841 by wool traders from the coast.",
    "The traders built a stone bridge over the river and a market hall beside it.",
    "The market hall burned down twice and was rebuilt in brick after the second fire.",
    "Sheep farming and weaving kept the town busy for most of the century.",
    "A railway line reached Millbrook in 1879 and brought coal for the mills.",
    "The mills closed one after another between 1920 and 1935.",
    "The town's first mayor was Eliza Hartwell, a weaver who had led the strike of 1902.",
    "Her statue stands in front of the market hall today.",
    "Tourism replaced weaving after the Second World War.",
]
OTHER = ("The Rhine Falls near Schaffhausen are the largest plain waterfall in Europe. They are "
         "150 metres wide and 23 metres high.")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    docs = tmp_path_factory.mktemp("pages")
    (docs / "millbrook.md").write_text("# Millbrook\n\n## History\n\n" + " ".join(HISTORY) + "\n")
    (docs / "rhine.md").write_text(f"# Rhine Falls\n\n## Geography\n\n{OTHER}\n")
    settings = Settings(stores=tmp_path_factory.mktemp("stores"), chunk_tokens=64, chunk_overlap=0)
    snap = Snapshot.open(ingest(docs, "town", settings).snapshot)
    yield snap, settings
    snap.close()


def passages(snap) -> list:
    return sorted((u for u in snap.units.values() if u.metadata.get("source_id", "").endswith(
        "millbrook.md")), key=lambda u: u.metadata["span"][0])


def test_the_default_shows_a_short_stretch_around_the_answer_with_its_source_span(store):
    snap, settings = store
    assert len(passages(snap)) >= 3  # the section was cut into passages
    embedder = get_embedder(snap.manifest["embedder"]["name"])
    question = "Who was the first mayor of Millbrook?"
    short = settings.retrieval.for_style("short")
    hit = Retriever(snap, embedder, short).search(question, 1)[0]
    assert "Eliza Hartwell" in hit.unit.text
    passage = snap.units[hit.unit.metadata["passage"]]
    assert len(hit.unit.text.split()) < len(passage.text.split())  # focused, not the passage
    assert hit.unit.metadata["header"] == passage.metadata["header"] == "Millbrook › History"
    a, z = hit.unit.metadata["span"]
    source = "\n".join(u.text for u in passages(snap))
    assert hit.unit.text in source and z - a >= len(hit.unit.text)
    off = short.model_copy(update={"recentre": "off"})
    plain = Retriever(snap, embedder, off).search(question, 1)[0]
    assert plain.unit.id in snap.units and len(plain.unit.text) > len(hit.unit.text)


def test_an_answer_past_the_cut_of_a_passage_is_brought_into_view(store):
    snap, _ = store
    embedder = get_embedder(snap.manifest["embedder"]["name"])
    first, second = passages(snap)[:2]
    # a question answered by the first sentence of the second passage, asked of the first
    target = next(s for s in HISTORY if s.startswith(second.text[:20]))
    question = dict(zip(HISTORY, [
        "When was Millbrook founded?", "What did the traders build over the river?",
        "What was the market hall rebuilt in?", "What kept the town busy for most of the century?",
        "When did the railway line reach Millbrook?", "When did the mills close?",
        "Who was the first mayor of Millbrook?", "Where does her statue stand?",
        "What replaced weaving after the Second World War?"]))[target]
    assert target not in first.text
    sections = recentre.Sections(snap.units, embedder.encode)
    qvec = embedder.encode_query([question])[0]
    got = recentre.recentre(first, sections, question, qvec, share=0.3)
    assert target in got.text and got.metadata["passage"] == first.id
    assert got.metadata["recentred"][:2] == [first.id, second.id]
