"""Neighbouring clean passages found together are shown as one stretch of the source."""

from __future__ import annotations

from rag import neighbours
from rag.retrieve import Hit, Retriever
from smallbatch.records import Doc
from smallbatch.settings import RetrievalSettings
from tests.rag.test_retrieve import BagEmbedder

A = "Fresno was founded in 1872. It grew around the railway."
B = "Raisins made it rich. The valley is dry."
C = "Summers are hot. Winters are mild."


def passage(pid: str, text: str, start: int, source="f.md", headings=("Fresno", "History")) -> Doc:
    cut = text.find(". ") + 1
    sents = [[0, cut], [cut + 1, len(text)]] if cut else [[0, len(text)]]
    return Doc(pid, text, {"kind": "passage", "source_id": source, "span": [start, start + len(text)],
                           "header": " › ".join(headings), "headings": list(headings),
                           "sentences": sents})


def store() -> dict[str, Doc]:
    a = passage("f#c0", A, 10)
    b = passage("f#c1", B, 10 + len(A) + 1)
    c = passage("f#c2", C, b.metadata["span"][1] + 2)
    other_section = passage("f#c3", "Climate text.", c.metadata["span"][1] + 1,
                            headings=("Fresno", "Climate"))
    other_source = passage("g#c0", "Berlin is a city. It is big.", b.metadata["span"][1] + 2,
                           source="g.md")
    key = Doc("k", "Fresno founded 1872", {"kind": "fact", "key": True, "parent": "f#c0"})
    raw = Doc("r", "Raw chunk. Overlaps.", {"kind": "passage", "source_id": "f.md", "span": [0, 20]})
    return {u.id: u for u in [a, b, c, other_section, other_source, key, raw]}


def hit(u: Doc, sim: float | None = 0.5) -> Hit:
    return Hit(u, 1.0, 1, 1, sim)


def test_adjacent_means_same_source_and_section_and_nothing_between():
    u = store()
    assert neighbours.adjacent(u["f#c0"], u["f#c1"]) and neighbours.adjacent(u["f#c2"], u["f#c1"])
    assert not neighbours.adjacent(u["f#c0"], u["f#c2"])  # c1 lies between
    assert not neighbours.adjacent(u["f#c2"], u["f#c3"])  # the next section
    assert not neighbours.adjacent(u["f#c1"], u["g#c0"])  # another source at the same offsets
    assert not neighbours.adjacent(u["f#c0"], u["k"]) and not neighbours.adjacent(u["r"], u["f#c0"])


def test_a_neighbour_just_below_the_top_k_joins_the_shown_passage_in_source_order():
    u = store()
    hits = [hit(u["f#c1"], 0.4), hit(u["g#c0"], 0.3), hit(u["f#c0"], 0.6)]
    assert [h.unit.id for h in neighbours.merge(hits, 1, 0)] == ["f#c1"]  # off: as before
    assert [h.unit.id for h in neighbours.merge(hits, 1, 1)] == ["f#c1"]  # g is no neighbour
    got = neighbours.merge(hits, 1, 2)
    assert len(got) == 1
    one = got[0].unit
    assert one.id == "f#c0+f#c1" and one.text == f"{A}\n{B}"
    assert one.metadata["span"] == [10, u["f#c1"].metadata["span"][1]]
    assert one.metadata["joined"] == ["f#c0", "f#c1"] and one.metadata["header"] == "Fresno › History"
    assert got[0].similarity == 0.6 and got[0].score == hits[0].score  # its best part ranks it
    s0, s1 = one.metadata["sentences"][2]  # sentence spans follow the joined text
    assert one.text[s0:s1] == "Raisins made it rich."


def test_a_neighbour_inside_the_top_k_frees_its_slot_for_the_next_passage():
    u = store()
    hits = [hit(u["f#c1"]), hit(u["f#c2"]), hit(u["g#c0"]), hit(u["f#c0"])]
    got = neighbours.merge(hits, 2, 1)
    assert [h.unit.id for h in got] == ["f#c1+f#c2", "g#c0"]
    chain = neighbours.merge([hit(u["f#c1"]), hit(u["f#c2"]), hit(u["f#c0"])], 1, 2)
    assert chain[0].unit.text == f"{A}\n{B}\n{C}"  # a neighbour of a neighbour too


class CleanSnapshot:
    answer_from = "unit"

    def __init__(self):
        self.units = store()

    def bm25_search(self, tokens, n):
        return [("f#c1", 3.0), ("g#c0", 2.0), ("f#c0", 1.0)][:n]

    def vector_search(self, vector, n):
        return [("f#c1", 0.7), ("g#c0", 0.2), ("f#c0", 0.1)][:n]


def test_the_retriever_merges_when_the_setting_asks_for_it():
    cfg = RetrievalSettings(top_k=1, candidates=5, recentre="off")
    plain = Retriever(CleanSnapshot(), BagEmbedder(), cfg, warm=False).search("raisins")
    assert [h.unit.id for h in plain] == ["f#c1"]
    far = cfg.model_copy(update={"merge_neighbours": 2})
    merged = Retriever(CleanSnapshot(), BagEmbedder(), far, warm=False).search("raisins")
    assert [h.unit.id for h in merged] == ["f#c0+f#c1"] and merged[0].similarity == 0.7
