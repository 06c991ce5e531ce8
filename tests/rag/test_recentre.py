"""A shown passage moves to centre on the sentence the question matches best."""

from __future__ import annotations

from rag import recentre
from smallbatch.records import Doc
from tests.rag.test_neighbours import A, B, C, passage, store


def test_the_passage_stays_when_its_own_sentence_matches_best():
    u = store()
    got = recentre.recentre(u["f#c1"], recentre.Sections(u), "What made it rich?")
    assert got is u["f#c1"]


def test_an_answer_past_the_cut_is_shown_in_a_stretch_of_the_same_length():
    u = store()
    secs = recentre.Sections(u)
    got = recentre.recentre(u["f#c1"], secs, "When were the summers hot?")
    assert "Summers are hot." in got.text and "Summers are hot." not in u["f#c1"].text
    assert len(got.text.split()) <= len(B.split())  # no longer than the passage it replaces
    assert got.metadata["passage"] == "f#c1" and got.metadata["header"] == "Fresno › History"
    assert got.metadata["recentred"] == ["f#c0", "f#c1", "f#c2"]
    # its span points at the words it shows in the source (the join is one newline)
    source = " " * 10 + A + " " + B + "  " + C
    a, z = got.metadata["span"]
    assert source[a:z].split() == got.text.split()
    before = recentre.recentre(u["f#c1"], secs, "Which year was Fresno founded?")
    assert "1872" in before.text and "Summers" not in before.text


def test_rare_words_outweigh_common_ones():
    units = [passage(f"t#c{i}", "Fresno town grew. It is old.", 100 * i) for i in range(3)]
    secs = recentre.Sections({u.id: u for u in units})
    assert secs.weight("raisins") > secs.weight("fresno")
    text = "Fresno town. Raisins here."
    sents = [(0, 12), (13, len(text))]
    # two common words lose to one rare one; by plain counts the first sentence would win
    assert recentre.best(text, sents, ["fresno", "town", "raisins"], secs.weight) == 1
    assert recentre.best(text, sents, ["fresno", "town", "raisins"], lambda w: 1.0) == 0


def test_stretch_grows_on_both_sides_within_the_budget():
    assert recentre.stretch([5, 5, 5, 5, 5], 2, 15) == (1, 3)
    assert recentre.stretch([5, 5, 5, 5, 5], 0, 12) == (0, 1)  # nothing before: after only
    assert recentre.stretch([5, 30, 5], 1, 10) == (1, 1)  # the centre always, even if longer


def test_units_without_neighbours_or_sentences_are_shown_as_they_are():
    u = store()
    secs = recentre.Sections(u)
    for uid in ("g#c0", "r", "k"):
        assert recentre.recentre(u[uid], secs, "Berlin city raw chunk") is u[uid]
    lone = Doc("x", "Alone. Here.", {"kind": "passage"})
    assert recentre.recentre(lone, secs, "alone") is lone


def test_a_share_cuts_the_stretch_around_the_best_sentence_even_in_a_lone_passage():
    text = "Fresno is old. Raisins grow there in rows. The valley is dry and wide. Winters are mild."
    cuts = [0, 14, 42, 70, len(text)]
    sents = [[cuts[0], cuts[1]], [cuts[1] + 1, cuts[2]], [cuts[2] + 1, cuts[3]], [cuts[3] + 1, cuts[4]]]
    lone = Doc("z#c0", text, {"kind": "passage", "source_id": "z.md", "span": [100, 100 + len(text)],
                              "header": "Fresno", "headings": ["Fresno"], "sentences": sents})
    secs = recentre.Sections({lone.id: lone})
    assert recentre.recentre(lone, secs, "Where do raisins grow?") is lone  # share 1: as it is
    got = recentre.recentre(lone, secs, "Where do raisins grow?", share=0.3)
    assert got.text == "Raisins grow there in rows."
    assert got.metadata["span"] == [100 + cuts[1] + 1, 100 + cuts[2]]
    assert got.metadata["passage"] == "z#c0" and "sentences" not in got.metadata
    wider = recentre.recentre(lone, secs, "Where do raisins grow?", share=0.6)
    assert "Raisins grow there in rows." in wider.text and len(wider.text) < len(text)


def test_hits_are_reordered_by_their_best_sentence_but_raw_chunks_keep_retrievals_order():
    u = store()
    secs = recentre.Sections(u)
    # retrieval put the Berlin passage first; its best sentence matches less of the question
    order = recentre.by_best_sentence([u["g#c0"], u["f#c2"]], secs, "When are summers hot?")
    assert order == [1, 0]
    assert recentre.by_best_sentence([u["g#c0"], u["f#c0"]], secs, "nothing shared") == [0, 1]
    assert recentre.by_best_sentence([u["r"], u["f#c2"]], secs, "When are summers hot?") == [0, 1]


def test_a_page_that_repeats_the_question_is_not_lifted_by_it():
    u = store()
    secs = recentre.Sections(u)
    text = "Question: When are summers hot? Answer: always."
    echo = passage("e#c0", text, 0, source="e.md")
    echo.metadata["sentences"] = [[0, 31], [32, len(text)]]
    assert recentre.is_question("Question: When are summers hot?")
    assert recentre.is_question("Are they hot?\u201d") and not recentre.is_question("Hot.")
    # the echo holds every word of the question, yet its stated sentence holds none of them
    assert recentre.by_best_sentence([u["f#c2"], echo], secs, "When are summers hot?") == [0, 1]
    assert recentre.by_best_sentence([echo, u["f#c2"]], secs, "When are summers hot?") == [1, 0]


def test_the_retriever_reorders_and_focuses_only_when_the_settings_ask():
    from rag.retrieve import Retriever
    from smallbatch.settings import RetrievalSettings
    from tests.rag.test_neighbours import CleanSnapshot
    from tests.rag.test_retrieve import BagEmbedder

    cfg = RetrievalSettings(top_k=1, candidates=5, recentre="off")
    q = "Was Fresno founded in 1872?"
    plain = Retriever(CleanSnapshot(), BagEmbedder(), cfg, warm=False).search(q)
    assert [h.unit.id for h in plain] == ["f#c1"]
    moved = cfg.model_copy(update={"recentre": "words", "recentre_pool": 1, "recentre_share": 1.0})
    got = Retriever(CleanSnapshot(), BagEmbedder(), moved, warm=False).search(q)
    assert "1872" in got[0].unit.text and got[0].unit.metadata["passage"] == "f#c1"
    focused = moved.model_copy(update={"recentre_pool": 3, "recentre_share": 0.3})
    got = Retriever(CleanSnapshot(), BagEmbedder(), focused, warm=False).search(q)
    assert got[0].unit.text == "Fresno was founded in 1872."  # f#c0 ranked up, cut to its sentence


def test_two_passages_recentred_onto_one_sentence_are_shown_once_and_the_next_takes_the_slot():
    from rag.retrieve import Retriever
    from smallbatch.settings import RetrievalSettings
    from tests.rag.test_neighbours import CleanSnapshot
    from tests.rag.test_retrieve import BagEmbedder

    class Two(CleanSnapshot):
        def bm25_search(self, tokens, n):
            return [("f#c1", 3.0), ("f#c0", 2.0), ("g#c0", 1.0)][:n]

        def vector_search(self, vector, n):
            return [("f#c1", 0.7), ("f#c0", 0.6), ("g#c0", 0.2)][:n]

    cfg = RetrievalSettings(top_k=2, candidates=5, recentre="words", recentre_pool=1)
    got = Retriever(Two(), BagEmbedder(), cfg, warm=False).search("Was Fresno founded in 1872?")
    assert [h.unit.text for h in got][0] == "Fresno was founded in 1872."
    assert got[1].unit.metadata["source_id"] == "g.md"  # not the same sentence again


def test_length_counts_han_characters_as_words():
    assert recentre.length("Fresno was founded in 1872.") == 5
    assert recentre.length("弗雷斯诺建于 1872 Fresno") == 6 + 1 + 1


def test_the_share_left_open_follows_the_answer_style_and_a_set_share_stays():
    from smallbatch.settings import RetrievalSettings

    short, chat = RetrievalSettings().for_style("short"), RetrievalSettings().for_style("sentence")
    assert (short.recentre_pool, short.recentre_share) == (5, 0.3)
    assert (chat.recentre_pool, chat.recentre_share) == (1, 1.0)  # no reorder: echo pages rise
    set_ = RetrievalSettings(recentre_share=0.5, recentre_pool=3).for_style("short")
    assert (set_.recentre_pool, set_.recentre_share) == (3, 0.5)
