import pytest

from ingest.boilerplate import StripBoilerplate, line_key
from ingest.steps import Drops
from smallbatch.records import Doc

HEADER = "Skip to main content"
NAV = "Home | About | Contact"


def page(i: int, body: str) -> Doc:
    text = f"{HEADER}\n{NAV}\n\n{body}\n\nCopyright © {2020 + i} Example Corp. All rights reserved."
    return Doc(f"p{i}", text, {"source_path": f"p{i}.html"})


BODIES = ["The museum opens at nine and closes at five.",
          "Tickets for children under twelve are free.",
          "The east wing holds the collection of maps.",
          "Guided tours leave from the main hall every hour."]


def test_line_key_ignores_case_digits_and_punctuation():
    assert line_key("Copyright © 2023 Example Corp.") == line_key("COPYRIGHT 2024 example corp")
    assert line_key("Page 3 of 10") == line_key("page 4 of 12")
    assert line_key("-----") == ""


def test_repeated_header_nav_and_footer_are_stripped_and_counted():
    docs = [page(i, body) for i, body in enumerate(BODIES)]
    drops = Drops()
    kept = list(StripBoilerplate().run(iter(docs), drops))
    assert [d.text for d in kept] == BODIES
    assert all(d.metadata["boilerplate_lines"] == 3 for d in kept)
    assert drops.summary() == {}


def test_doc_of_only_boilerplate_is_dropped_with_reason():
    docs = [page(i, body) for i, body in enumerate(BODIES)]
    docs.append(Doc("empty", f"{HEADER}\n{NAV}\nCopyright © 2019 Example Corp. All rights reserved.",
                    {"source_path": "empty.html"}))
    drops = Drops()
    kept = list(StripBoilerplate().run(iter(docs), drops))
    assert "empty" not in [d.id for d in kept]
    assert drops.summary() == {"strip_boilerplate": {"only boilerplate": 1}}
    assert drops.rejects[0]["id"] == "empty" and drops.rejects[0]["lines"] == 3


def test_line_shared_by_fewer_than_min_docs_is_content():
    shared = "The museum was founded in 1901."
    docs = [Doc("a", f"{shared}\nIt has two floors."), Doc("b", f"{shared}\nIt has a garden."),
            Doc("c", "Entry is free on Sundays.")]
    kept = list(StripBoilerplate().run(iter(docs), Drops()))
    assert [d.text for d in kept] == [d.text for d in docs]
    assert all("boilerplate_lines" not in d.metadata for d in kept)


def test_line_below_min_share_of_a_large_corpus_is_content():
    quote = "To be or not to be, that is the question."

    def corpus() -> list[Doc]:  # 200 docs with distinct lines; 3 of them (1.5 %) share the quote
        tags = ["".join(chr(ord("a") + int(c)) for c in str(i)) for i in range(200)]  # 12 -> "bc"
        return [Doc(t, f"Notes on item {t}." + (f"\n{quote}" if i < 3 else ""))
                for i, t in enumerate(tags)]

    drops = Drops()
    kept = list(StripBoilerplate().run(iter(corpus()), drops))  # default min_share 2 %
    assert len(kept) == 200 and drops.summary() == {}
    assert [d.text.endswith(quote) for d in kept[:4]] == [True, True, True, False]
    lowered = list(StripBoilerplate(min_share=0.01).run(iter(corpus()), Drops()))
    assert [d.text for d in lowered[:3]] == ["Notes on item a.", "Notes on item b.", "Notes on item c."]


def test_long_repeated_line_is_left_for_dedup():
    paragraph = " ".join(["word"] * 31)
    docs = [Doc(str(i), f"{paragraph}\nUnique line {'abcd'[i]}.") for i in range(4)]
    kept = list(StripBoilerplate().run(iter(docs), Drops()))
    assert all(d.text.startswith(paragraph) for d in kept)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="min_docs"):
        StripBoilerplate(min_docs=1)
    with pytest.raises(ValueError, match="min_share"):
        StripBoilerplate(min_share=2)
