"""Sentence and paragraph bounds, and clean passages packed on them within the token budget."""

from __future__ import annotations

from ingest.chunk import SectionChunker, pack
from smallbatch.sentences import paragraphs, sentences
from smallbatch.records import Doc


def texts(text, spans):
    return [text[a:b] for a, b in spans]


def test_sentences_skip_abbreviations_initials_and_decimals():
    text = ('Dr. Smith met J. R. Tolkien in the U.S. in 1950. It cost 3.5 dollars, e.g. a lot! '
            'Was it "fine"? "Yes." 他来了。她也来了。')
    assert texts(text, sentences(text)) == [
        "Dr. Smith met J. R. Tolkien in the U.S. in 1950.", "It cost 3.5 dollars, e.g. a lot!",
        'Was it "fine"?', '"Yes."', "他来了。", "她也来了。"]


def test_a_paragraph_break_ends_a_sentence_without_a_stop():
    text = "A heading-like line\n\nThe body starts here. It ends here."
    assert texts(text, paragraphs(text)) == ["A heading-like line",
                                             "The body starts here. It ends here."]
    assert texts(text, sentences(text)) == ["A heading-like line", "The body starts here.",
                                            "It ends here."]
    assert texts(text, sentences(text, 21)) == ["The body starts here.", "It ends here."]


def test_pack_never_cuts_a_sentence_and_fills_the_budget():
    para1 = "One two three four. Five six seven eight."
    para2 = "Nine ten eleven twelve. Thirteen fourteen fifteen sixteen."
    text = f"{para1}\n\n{para2}"
    count = lambda t: len(t.split())  # noqa: E731
    groups = pack(text, sentences(text), 12, count)
    assert [texts(text, g) for g in groups] == [
        ["One two three four.", "Five six seven eight.", "Nine ten eleven twelve."],
        ["Thirteen fourteen fifteen sixteen."]]
    assert len(pack(text, sentences(text), 16, count)) == 1  # all fits


def test_an_overlong_sentence_is_cut_at_spaces_to_fit():
    text = " ".join(f"w{i}" for i in range(25))
    groups = pack(text, sentences(text), 10, lambda t: len(t.split()))
    pieces = [text[a:b] for g in groups for a, b in g]
    assert " ".join(pieces) == text and all(len(p.split()) <= 10 for p in pieces)


def test_section_chunks_fit_the_budget_with_their_header_and_record_sentences():
    body = " ".join(f"Sentence {i} is about the topic." for i in range(30))
    doc = Doc("d.md", f"# A long title here\n\n{body}\n", {"source_id": "d.md"})
    units = SectionChunker(40, 0, str.split).apply(doc)
    assert len(units) > 3
    for u in units:
        assert len(u.metadata["header"].split()) + len(u.text.split()) <= 40
        assert u.text.endswith("topic.") and u.text.startswith("Sentence")
        a, b = u.metadata["span"]
        assert doc.text[a:b] == u.text
        assert [u.text[x:y] for x, y in u.metadata["sentences"]][0].startswith("Sentence")
    assert " ".join(u.text for u in units) == body  # nothing lost, nothing repeated
