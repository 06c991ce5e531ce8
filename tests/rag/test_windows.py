"""Small-to-big retrieval: key and passage hits become windows of source sentences, one per
passage, merged and deduplicated, with the header on top in the prompt."""

from __future__ import annotations

import numpy as np

from rag import windows
from rag.prompt import PROMPT, source_text
from rag.retrieve import Hit, Retriever
from smallbatch.records import Doc
from smallbatch.settings import RetrievalSettings
from tests.rag.test_retrieve import BagEmbedder

S = ["Fresno was founded in 1872.", "It grew around the railway.", "Raisins made it rich.",
     "The valley is dry.", "Summers are hot.", "Winters are mild."]
TEXT = " ".join(S)


def sentence_spans(sents):
    out, pos = [], 0
    for s in sents:
        out.append([pos, pos + len(s)])
        pos += len(s) + 1
    return out


def store() -> dict[str, Doc]:
    p = Doc("p", TEXT, {"kind": "passage", "source_id": "f.md", "source_path": "f.md",
                        "span": [40, 40 + len(TEXT)], "header": "Fresno › History",
                        "headings": ["Fresno", "History"], "sentences": sentence_spans(S)})
    q = Doc("q", "Berlin is a city.", {"kind": "passage", "source_id": "b.md",
                                        "sentences": [[0, 17]]})

    def key(kid, parent, sentence, text="k"):
        a, b = sentence_spans(S)[sentence] if parent == "p" else (0, 17)
        return Doc(kid, text, {"kind": "fact", "key": True, "parent": parent, "key_span": [a, b]})

    return {u.id: u for u in [p, q, key("k0", "p", 0), key("k2", "p", 2), key("k5", "p", 5),
                              key("kq", "q", 0), Doc("orphan", "x", {"key": True,
                                                                     "parent": "gone"})]}


def test_reading_stops_where_a_passage_beyond_the_limit_would_start():
    marks = windows.mark(store(), ["k0", "kq", "k5"], "", limit=1)
    assert [m.passage.id for m in marks] == ["p"] and marks[0].sentences == {0}


def test_keys_into_one_passage_make_one_window_merged_and_with_gaps():
    units = store()
    marks = windows.mark(units, ["kq", "k0", "orphan", "k5", "k2"], "when was fresno founded")
    assert [m.passage.id for m in marks] == ["q", "p"]  # ranked by each passage's best hit
    assert marks[1].sentences == {0, 2, 5} and marks[1].ids == ["k0", "k5", "k2"]
    w = windows.window(marks[1], 1)
    # 0,2 widened by one sentence merge into 0..3; 5 widens to 4..5: contiguous, one run
    assert w.text == TEXT and w.metadata["window"] == [0, 5]
    w0 = windows.window(marks[1], 0)
    assert w0.text == f"{S[0]} … {S[2]} … {S[5]}"
    assert w0.metadata["span"] == [40, 40 + len(TEXT)]
    assert w0.metadata["header"] == "Fresno › History" and "sentences" not in w0.metadata
    assert w0.metadata["keys"] == ["k0", "k5", "k2"]


def test_a_passage_hit_shows_the_sentences_around_its_best_match():
    marks = windows.mark(store(), ["p"], "are the summers hot")
    w = windows.window(marks[0], 1)
    assert w.text == " ".join(S[3:6]) and w.id == "p@3-5"
    units = store()  # a keywords key has no span: like the passage, the question picks
    units["kw"] = Doc("kw", "Fresno, climate", {"kind": "keywords", "key": True, "parent": "p"})
    assert windows.mark(units, ["kw"], "are the summers hot")[0].sentences == {4}
    start = 40 + TEXT.index(S[3])
    assert w.metadata["span"] == [start, start + len(" ".join(S[3:6]))]


class SourceSnapshot:
    answer_from = "source"

    def __init__(self):
        self.units = store()

    def bm25_search(self, tokens, n):
        return [("k5", 3.0), ("p", 2.0), ("kq", 1.0)][:n]

    def vector_search(self, vector, n):
        return [("k5", 0.9), ("kq", 0.4)][:n]


def test_retriever_returns_top_k_windows_one_per_passage():
    # with recentring off a source-text store shows windows
    cfg = RetrievalSettings(top_k=1, candidates=5, window_sentences=0, recentre="off")
    hits = Retriever(SourceSnapshot(), BagEmbedder(), cfg, warm=False).search("winters mild")
    assert len(hits) == 1 and hits[0].unit.text == S[5]  # k5 and p both point at "Winters"
    assert hits[0].similarity == 0.9 and (hits[0].bm25_rank, hits[0].vector_rank) == (1, 1)
    two = Retriever(SourceSnapshot(), BagEmbedder(), cfg.model_copy(update={"top_k": 2}),
                    warm=False).search("winters mild")
    assert [h.unit.metadata["passage"] for h in two] == ["p", "q"]


def test_the_prompt_shows_the_header_on_top_of_its_source():
    w = windows.window(windows.mark(store(), ["k0"], "")[0], 0)
    assert source_text(w) == f"Fresno › History\n{S[0]}"
    plain = Doc("x", "Berlin is a city.", {})
    assert source_text(plain) == "Berlin is a city."
    content = PROMPT.messages("When?", [Hit(w, 1.0, 1, 1, 0.9), Hit(plain, 0.5, 2, 2, 0.5)])
    user = content[-1]["content"]
    assert f'<source id="1">\nFresno › History\n{S[0]}\n</source>' in user
    assert '<source id="2">\nBerlin is a city.\n</source>' in user


def test_show_overrides_what_the_store_says_windows_or_whole_units():
    cfg = RetrievalSettings(top_k=1, candidates=5, window_sentences=0)
    as_units = Retriever(SourceSnapshot(), BagEmbedder(), cfg.model_copy(update={"show": "unit"}),
                         warm=False).search("winters mild")
    assert as_units[0].unit.id == "k5"  # the key itself, as stored
    plain = SourceSnapshot()
    plain.answer_from = "unit"  # a clean store: passages shown whole unless told otherwise
    assert Retriever(plain, BagEmbedder(), cfg, warm=False).search("winters mild")[0].unit.id == "k5"
    windowed = Retriever(plain, BagEmbedder(), cfg.model_copy(update={"show": "window"}),
                         warm=False).search("winters mild")
    assert windowed[0].unit.text == S[5]


def test_a_source_text_store_shows_the_passage_a_key_points_at_recentred_on_the_question():
    cfg = RetrievalSettings(top_k=2, candidates=5, recentre="words", recentre_pool=1,
                            recentre_share=0.3)
    hits = Retriever(SourceSnapshot(), BagEmbedder(), cfg, warm=False).search("winters mild")
    assert [h.unit.metadata.get("passage", h.unit.id) for h in hits] == ["p", "q"]
    # k5 led to p: the stretch of 30 % of p's words around the sentence the question matches
    assert hits[0].unit.text == f"{S[4]} {S[5]}" and hits[0].similarity == 0.9
    start = 40 + TEXT.index(S[4])
    assert hits[0].unit.metadata["span"] == [start, start + len(f"{S[4]} {S[5]}")]
    assert hits[1].unit.id == "q"  # a one-sentence passage is shown as it is
    whole = Retriever(SourceSnapshot(), BagEmbedder(), cfg.model_copy(update={"recentre_share": 1.0}),
                      warm=False).search("winters mild")
    assert whole[0].unit.id == "p" and whole[0].unit.text == TEXT  # share 1: the passage itself


def test_the_gate_reads_a_shown_passage_by_its_own_similarity_not_its_keys():
    class WithVectors(SourceSnapshot):
        def vectors(self, ids):  # p's stored vector is orthogonal to every question's
            v = np.zeros(len(BagEmbedder.vocab), dtype=np.float32)
            v[0], v[1] = 1.0, -1.0
            return {i: v for i in ids if i == "p"}

    cfg = RetrievalSettings(top_k=2, candidates=5, recentre="words", recentre_pool=1,
                            recentre_share=1.0)
    hits = Retriever(WithVectors(), BagEmbedder(), cfg, warm=False).search("winters mild")
    assert hits[0].unit.id == "p" and abs(hits[0].similarity) < 1e-6  # k5, which found p: 0.9
    assert hits[1].similarity == 0.4  # q's vector not stored: its key's similarity stands
    windowed = Retriever(WithVectors(), BagEmbedder(), cfg.model_copy(update={"show": "window"}),
                         warm=False).search("winters mild")
    assert windowed[0].similarity == 0.9  # windows keep the best of their hits'
