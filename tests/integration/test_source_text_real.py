"""A real curated build in the source-text design: a scripted OpenAI-compatible teacher on
loopback distills a few pages; the real embedder, BM25 and Chroma on disk index the keys and
passages; a question that a key matches returns the clean source sentences holding the answer
(never the teacher's paraphrase), under their "Title › Section" header, in the prompt.

Needs no model server: the teacher is scripted (its answers are what a 1.5B typically writes:
paraphrased facts, a QA pair with a short copied answer, keywords)."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
from fastapi import FastAPI, Request

from ingest.pipeline import ingest
from rag.open_snapshot import Snapshot
from rag.prompt import PROMPT
from rag.retrieve import Retriever
from smallbatch.embed import get_embedder
from smallbatch.settings import Role, Settings
from tests.integration.servers import app_thread

pytestmark = pytest.mark.integration

SITE = ("WikiMirror — the free knowledge mirror\n\n# WikiMirror\n\n## Navigation\n\n"
        "- [Contents](https://w.example/contents)\n- [Donate](https://w.example/donate)\n\n")
HISTORY = ("Fresno was founded in 1872 as a station of the Central Pacific Railroad. The first "
           "newspaper, the Fresno Weekly Expositor, appeared in 1870 in nearby Millerton. Raisin "
           "growing made the town rich in the 1880s.")
CLIMATE = ("Fresno has a hot semi-arid climate. Summers are long, dry and very hot. Winters are "
           "mild, with most of the rain falling between November and April.")
OTHER = ("The Rhine Falls near Schaffhausen are the largest plain waterfall in Europe. They are "
         "150 metres wide and 23 metres high.")
PAGES = {
    "fresno-history.md": f"{SITE}# Fresno, California\n\n## History\n\n{HISTORY}\n",
    "fresno-climate.md": f"{SITE}# Fresno, California\n\n## Climate\n\n{CLIMATE}\n",
    "rhine-falls.md": f"{SITE}# Rhine Falls\n\n## Geography\n\n{OTHER}\n",
}
TEACHER = {  # keyed by a word only that passage has
    "Expositor": {"facts": ["Fresno was set up in 1872 by the railroad.",
                            "Fresno's first paper was the Weekly Expositor."],
                  "qa": [{"question": "What was the name of Fresno's first newspaper?",
                          "answer": "Fresno Weekly Expositor"}],
                  "summary": "Fresno began as a railway town.", "keywords": ["Fresno", "raisins"]},
    "semi-arid": {"facts": ["Fresno is hot and semi-arid."], "qa": [],
                  "summary": "Fresno's climate is hot and dry.", "keywords": ["climate"]},
    "Schaffhausen": {"facts": ["The Rhine Falls are 23 metres high."], "qa": [],
                     "summary": "A waterfall.", "keywords": ["Rhine Falls"]},
}


def teacher_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        body = await request.json()
        passage = body["messages"][-1]["content"]
        out = next(v for k, v in TEACHER.items() if k in passage)
        return {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": json.dumps(out)}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    docs = tmp_path_factory.mktemp("pages")
    for name, text in PAGES.items():
        (docs / name).write_text(text)
    with app_thread(teacher_app(), free_port()) as url:
        base = Settings(stores=tmp_path_factory.mktemp("stores"), teacher=Role(model="fake",
                                                                                base_url=url))
        curation = base.curation.curated().model_copy(update={
            "judge_quality": False, "ground_judge": False, "quality": False})
        result = ingest(docs, "src", base.model_copy(update={"curation": curation}))
    snap = Snapshot.open(result.snapshot)
    yield snap, base
    snap.close()


def test_a_key_match_returns_the_source_sentence_under_its_header(store):
    snap, settings = store
    assert snap.answer_from == "source"
    cfg = settings.retrieval.model_copy(update={"top_k": 1, "window_sentences": 0,
                                                "show": "window"})
    retriever = Retriever(snap, get_embedder(snap.manifest["embedder"]["name"]), cfg)
    hits = retriever.search("What was the name of Fresno's first newspaper?")
    window = hits[0].unit
    assert window.text == ("The first newspaper, the Fresno Weekly Expositor, appeared in 1870 "
                           "in nearby Millerton.")  # the source sentence, not "first paper was"
    assert window.metadata["header"] == "Fresno, California › History"
    assert window.metadata["source_path"] == "fresno-history.md"
    start, end = window.metadata["span"]
    source = (snap.path / "units.jsonl").read_text()  # provenance: the span is in the source
    assert "Weekly Expositor" in source and end - start == len(window.text)
    assert any(k.endswith("#q0") for k in window.metadata["keys"])
    user = PROMPT.messages("What was the name of Fresno's first newspaper?", hits)[-1]["content"]
    assert f'<source id="1">\nFresno, California › History\n{window.text}\n</source>' in user


def test_the_store_keeps_clean_passages_and_keys_apart(store):
    snap, _ = store
    units = list(snap.units.values())
    passages = [u for u in units if not u.metadata.get("key")]
    assert sorted(u.text for u in passages) == sorted([HISTORY, CLIMATE, OTHER])
    assert all("WikiMirror" not in u.metadata["header"] for u in passages)
    keys = [u for u in units if u.metadata.get("key")]
    assert keys and all(u.metadata["parent"] in snap.units for u in keys)
    store_report = snap.manifest["report"]["store"]
    assert store_report["keys"] == len(keys) and store_report["key_tokens"] > 0
    assert 0 < store_report["visible_tokens"] < store_report["tokens"]


def test_a_wider_window_merges_the_neighbours_into_one_source(store):
    snap, settings = store
    cfg = settings.retrieval.model_copy(update={"top_k": 3, "window_sentences": 1,
                                                "show": "window"})
    hits = Retriever(snap, get_embedder(snap.manifest["embedder"]["name"]), cfg).search(
        "What was the name of Fresno's first newspaper?")
    assert hits[0].unit.text == HISTORY  # 1 sentence each side of the middle one: all three
    assert len({h.unit.metadata["passage"] for h in hits}) == len(hits)  # one window a passage


def plan_retrievers(tmp_path, snap, settings) -> dict:
    """The retriever each [[system]] of an eval plan gets, opened as `eval run` opens it."""
    from eval.systems import load_plan
    from rag.assemble import open_answerer

    toml = tmp_path / "plan.toml"
    toml.write_text(f"""
[eval]
questions = "q.jsonl"

[[system]]
name = "passages"
snapshot = "{snap.path}"
top_k = 1
retrieval = {{ show = "window", window_sentences = 50 }}

[[system]]
name = "focused"
snapshot = "{snap.path}"
top_k = 1

[[system]]
name = "paraphrases"
snapshot = "{snap.path}"
top_k = 1
retrieval = {{ show = "unit" }}

[[system]]
name = "sentences"
snapshot = "{snap.path}"
top_k = 1
retrieval = {{ show = "window", window_sentences = 0 }}
""")
    out = {}
    for system in load_plan(toml, settings).systems:
        answerer, opened = open_answerer(system.settings(settings), system.snapshot,
                                         system.endpoint, "short")
        out[system.name] = (answerer.retriever, opened)
    return out


def test_eval_systems_choose_what_the_reader_is_shown_on_the_real_store(store, tmp_path):
    snap, settings = store
    retrievers = plan_retrievers(tmp_path, snap, settings)
    question = "What was the name of Fresno's first newspaper?"
    shown = {name: r.search(question)[0].unit for name, (r, _) in retrievers.items()}
    assert shown["passages"].text == HISTORY  # a window wider than the passage: all of it
    # the default: the key's passage, focused on the question (short answers: 30 % of its words)
    assert shown["focused"].text == ("The first newspaper, the Fresno Weekly Expositor, "
                                     "appeared in 1870 in nearby Millerton.")
    assert snap.units[shown["focused"].metadata["passage"]].text == HISTORY
    assert shown["sentences"].text == ("The first newspaper, the Fresno Weekly Expositor, "
                                       "appeared in 1870 in nearby Millerton.")
    para = shown["paraphrases"]  # the switch for comparison: the teacher's unit itself
    assert para.metadata.get("key") and para.text not in HISTORY
    assert "Expositor" in para.text
    for _, opened in retrievers.values():
        opened.close()


def test_the_gate_reads_the_shown_passage_not_the_key_that_found_it(store):
    snap, settings = store
    embedder = get_embedder(snap.manifest["embedder"]["name"])
    question = "What was the name of Fresno's first newspaper?"
    hit = Retriever(snap, embedder, settings.retrieval.model_copy(update={"top_k": 1})).search(
        question)[0]
    pid = hit.unit.metadata.get("passage", hit.unit.id)
    assert snap.units[pid].text == HISTORY
    q = embedder.encode_query([question])[0]
    v = snap.vectors([pid])[pid]  # the passage's vector as Chroma stores it
    assert hit.similarity == pytest.approx(float(v @ q) / float(np.linalg.norm(v) * np.linalg.norm(q)),
                                           abs=1e-4)
    best_key = max(s for i, s in snap.vector_search(q, len(snap.units))
                   if snap.units[i].metadata.get("key"))
    assert hit.similarity < best_key  # the QA key repeats the question: it would pass any gate
