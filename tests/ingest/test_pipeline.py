"""The step list: curated vs raw profiles, and the order that keeps PII out of the index."""

from ingest.pipeline import steps
from smallbatch.settings import Settings


class FakeEmbedder:
    class tokenizer:  # noqa: N801 - mimics the embedder's attribute
        @staticmethod
        def tokenize(text):
            return text.split()

    @staticmethod
    def count_tokens(text):
        return len(text.split())


def names(settings):
    return [s.name for s in steps(settings, FakeEmbedder())]


def test_curated_profile_runs_every_step_in_order():
    assert names(Settings()) == ["clean", "mark_headings", "strip_boilerplate", "exact_dedup",
                                 "near_dedup", "mask_pii", "chunk", "heuristic_quality"]


def test_raw_profile_is_chunks_only():
    s = Settings()
    assert names(s.model_copy(update={"curation": s.curation.raw()})) == ["chunk"]


def test_each_step_can_be_switched_off():
    s = Settings()
    off = s.model_copy(update={"curation": s.curation.model_copy(update={"near_dedup": False})})
    assert "near_dedup" not in names(off) and "mask_pii" in names(off)


def test_curated_profile_adds_the_model_steps_in_order(tmp_path):
    from ingest.roles import Roles

    s = Settings()
    s = s.model_copy(update={"curation": s.curation.curated()})
    got = [st.name for st in steps(s, FakeEmbedder(), Roles(s, tmp_path))]
    assert got == ["clean", "mark_headings", "strip_boilerplate", "exact_dedup", "near_dedup",
                   "mask_pii", "chunk", "heuristic_quality", "judge_quality", "distill", "ground",
                   "semantic_dedup", "link_keys", "coverage", "augment"]
    chunk = next(st for st in steps(s, FakeEmbedder(), Roles(s, tmp_path)) if st.name == "chunk")
    assert type(chunk).__name__ == "SectionChunker"


def test_paraphrase_store_has_no_key_linking_and_raw_chunks_are_plain(tmp_path):
    from ingest.roles import Roles

    s = Settings()
    unit = s.model_copy(update={"curation": s.curation.curated().model_copy(
        update={"answer_from": "unit"})})
    assert "link_keys" not in [st.name for st in steps(unit, FakeEmbedder(), Roles(s, tmp_path))]
    raw = s.model_copy(update={"curation": s.curation.raw()})
    assert type(steps(raw, FakeEmbedder())[0]).__name__ == "Chunker"


def test_model_steps_refuse_to_run_without_models():
    import pytest

    s = Settings()
    with pytest.raises(ValueError, match="teacher/judge"):
        steps(s.model_copy(update={"curation": s.curation.curated()}), FakeEmbedder())
