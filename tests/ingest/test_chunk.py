from ingest.chunk import Chunker, locate
from ingest.steps import Drops
from smallbatch.records import Doc


def words(text: str) -> list[str]:
    return text.split()


def test_locate_finds_overlapping_chunks_left_to_right():
    text = "aaa bbb ccc aaa bbb"
    spans = locate(text, ["aaa bbb", "bbb ccc", "aaa bbb"])
    assert spans == [(0, 7), (4, 11), (12, 19)]
    assert [text[s:e] for s, e in spans] == ["aaa bbb", "bbb ccc", "aaa bbb"]


def test_locate_survives_respaced_chunk():
    text = "First sentence here.\n\nSecond   sentence follows on."
    (start, end), = locate(text, ["First sentence here. Second sentence follows on."])
    assert start == 0 and end == len(text)


def test_chunks_respect_token_budget_and_map_to_source_text():
    sentences = [f"Sentence number {i} talks about topic {i % 3}." for i in range(40)]
    doc = Doc("d1", " ".join(sentences), {"source_id": "d1", "source_path": "d1.txt"})
    chunker = Chunker(chunk_tokens=40, overlap=8, tokenize=words)
    drops = Drops()
    units = list(chunker.run(iter([doc]), drops))
    assert len(units) > 3
    for u in units:
        assert len(words(u.text)) <= 40
        start, end = u.metadata["span"]
        assert doc.text[start:end] == u.text
        assert u.metadata["kind"] == "passage" and u.metadata["source_path"] == "d1.txt"
    # every sentence survives in some chunk
    joined = " ".join(u.text for u in units)
    assert all(s in joined for s in sentences)
    assert len({u.id for u in units}) == len(units)


def test_overlap_must_be_smaller_than_chunk():
    try:
        Chunker(chunk_tokens=10, overlap=10, tokenize=words)
    except ValueError as e:
        assert "overlap" in str(e)
    else:
        raise AssertionError("expected ValueError")
