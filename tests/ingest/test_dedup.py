import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.dedup import NearDedup, shingles
from ingest.steps import Drops
from smallbatch.records import Doc

# 69 words of prose
LIGHTHOUSE = (
    "The old lighthouse stands on a rocky point at the northern end of the island. It was built "
    "in 1871 from local granite and guided ships past the reef for more than a century. The keepers "
    "lived in a small cottage beside the tower with their families. In 1985 the light was automated "
    "and the cottage became a museum that tells the story of the island and its people.")
# one word changed, plus case and punctuation edits that shingling ignores; same length
LIGHT_EDIT = (LIGHTHOUSE.replace("rocky point", "rocky shore").replace("museum that", "Museum:that")
              .replace("It was built", "It was BUILT"))
# three words changed
FEW_WORDS = LIGHTHOUSE.replace("rocky", "stony").replace("small cottage", "tiny cottage").replace(
    "museum", "gallery")
OTHER = ("Honey bees live in colonies of tens of thousands of workers, a few hundred drones and a "
         "single queen. Workers gather nectar and pollen, build wax comb and tend the brood, while "
         "the queen lays up to two thousand eggs a day in the warm months of early summer.")


def docs(*texts: str) -> list[Doc]:
    return [Doc(f"d{i}", t, {"source_path": f"d{i}.txt"}) for i, t in enumerate(texts)]


def test_shingles_are_word_ngrams_and_short_texts_are_one_shingle():
    assert shingles("A b, c d e F!", 5) == {"a b c d e", "b c d e f"}
    assert shingles("Yes, indeed.", 5) == {"yes indeed"}
    assert shingles("---", 5) == {"---"}
    assert shingles("北京是首都", 3) == {"北 京 是", "京 是 首", "是 首 都"}


def test_light_edit_is_dropped_and_a_different_text_kept():
    drops = Drops()
    kept = list(NearDedup().run(iter(docs(LIGHTHOUSE, LIGHT_EDIT, OTHER)), drops))
    assert [d.id for d in kept] == ["d0", "d2"]
    assert kept[0].metadata["absorbed"] == ["d1.txt"]
    assert drops.summary() == {"near_dedup": {"near duplicate": 1}}
    (reject,) = drops.rejects
    assert reject["id"] == "d1" and reject["kept"] == "d0"
    assert 0.8 <= reject["similarity"] < 1.0


def test_threshold_decides_how_many_changed_words_still_count_as_a_copy():
    # each changed word breaks up to 5 shingles: 3 changes in 69 words is Jaccard ~0.6
    assert len(list(NearDedup().run(iter(docs(LIGHTHOUSE, FEW_WORDS)), Drops()))) == 2
    drops = Drops()
    kept = list(NearDedup(threshold=0.5).run(iter(docs(LIGHTHOUSE, FEW_WORDS)), drops))
    assert [d.id for d in kept] == ["d0"]
    assert drops.summary() == {"near_dedup": {"near duplicate": 1}}


def test_longest_copy_is_kept_even_when_seen_later_and_absorbed_lists_are_merged():
    longer = LIGHTHOUSE + " Visitors"
    corpus = docs(LIGHTHOUSE, OTHER, longer)
    corpus[0].metadata["absorbed"] = ["exact-copy.txt"]  # from exact dedup
    corpus[2].metadata["absorbed"] = ["earlier.txt"]
    drops = Drops()
    kept = list(NearDedup().run(iter(corpus), drops))
    assert [d.id for d in kept] == ["d1", "d2"]
    assert kept[1].metadata["absorbed"] == ["earlier.txt", "d0.txt", "exact-copy.txt"]
    assert drops.rejects[0]["id"] == "d0" and drops.rejects[0]["kept"] == "d2"


def test_equal_length_copies_keep_the_first_seen():
    kept = list(NearDedup().run(iter(docs(OTHER, OTHER.replace("Honey", "honey"))), Drops()))
    assert [d.id for d in kept] == ["d0"]


def test_very_short_docs_are_compared_whole():
    drops = Drops()
    kept = list(NearDedup().run(iter(docs("Yes.", "No.", "yes!", "Maybe so.")), drops))
    assert [d.id for d in kept] == ["d0", "d1", "d3"]
    assert drops.rejects[0]["id"] == "d2" and drops.rejects[0]["similarity"] == 1.0


def _dedup_run() -> tuple[list[str], list[dict]]:
    drops = Drops()
    corpus = docs(LIGHTHOUSE, OTHER, LIGHT_EDIT, FEW_WORDS, OTHER + " Bees.")
    kept = [d.id for d in NearDedup(threshold=0.5).run(iter(corpus), drops)]
    return kept, drops.rejects


def test_results_are_deterministic_across_runs_and_processes():
    kept, rejects = _dedup_run()
    assert kept == ["d0", "d4"]
    assert [(r["id"], r["kept"]) for r in rejects] == [("d1", "d4"), ("d2", "d0"), ("d3", "d0")]
    assert all(_dedup_run() == (kept, rejects) for _ in range(3))
    # a rebuild is a new process with a new str-hash seed: the estimates must not move
    code = "import json, tests.ingest.test_dedup as t; print(json.dumps(t._dedup_run()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2], env={**os.environ, "PYTHONHASHSEED": "123"})
    assert json.loads(out.stdout) == [kept, rejects]


def test_settings_are_checked():
    with pytest.raises(ValueError, match="threshold"):
        NearDedup(threshold=0)
    with pytest.raises(ValueError, match="shingle_words"):
        NearDedup(shingle_words=0)
