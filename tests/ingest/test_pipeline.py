"""The step list: curated vs raw profiles, and the order that keeps PII out of the index."""

from ingest.pipeline import steps
from smallbatch.settings import Settings


class FakeEmbedder:
    class tokenizer:  # noqa: N801 - mimics the embedder's attribute
        @staticmethod
        def tokenize(text):
            return text.split()


def names(settings):
    return [s.name for s in steps(settings, FakeEmbedder())]


def test_curated_profile_runs_every_step_in_order():
    assert names(Settings()) == ["clean", "strip_boilerplate", "exact_dedup", "near_dedup",
                                 "mask_pii", "chunk", "heuristic_quality"]


def test_raw_profile_is_chunks_only():
    s = Settings()
    assert names(s.model_copy(update={"curation": s.curation.raw()})) == ["chunk"]


def test_each_step_can_be_switched_off():
    s = Settings()
    off = s.model_copy(update={"curation": s.curation.model_copy(update={"near_dedup": False})})
    assert "near_dedup" not in names(off) and "mask_pii" in names(off)
