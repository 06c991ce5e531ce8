"""bench.reader's article split: seeded, disjoint, a larger run keeps the smaller run's articles
and never-seen ones, and no evaluation corpus's article is ever taken."""

import json

from bench import reader


def titles(path):
    return [a["title"] for a in json.loads(path.read_text())["data"]]


def test_more_articles_extend_the_own_set_and_keep_the_unseen_one(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    own, unseen = reader.corpora(tmp_path / "a", 6, 3, 0)
    own4, unseen4 = reader.corpora(tmp_path / "b", 6, 3, 0, more=4)
    assert titles(own4)[:6] == titles(own) and len(titles(own4)) == 10
    assert titles(unseen4) == titles(unseen) and len(titles(unseen)) == 3
    assert not set(titles(own4)) & set(titles(unseen4))


def test_evaluation_articles_are_never_taken(tmp_path, monkeypatch):
    everything = json.loads(reader.SQUAD.read_text())["data"]
    banned = {a["title"] for a in everything[:40]}
    monkeypatch.setattr(reader, "eval_titles", lambda data: banned)
    own, unseen = reader.corpora(tmp_path, 4, 2, 0, more=2)
    taken = set(titles(own)) | set(titles(unseen))
    assert len(taken) == 8 and not taken & banned


def test_the_bench_corpora_titles_are_read():
    data = json.loads(reader.SQUAD.read_text())["data"]
    assert {"Fresno,_California", "Computational_complexity_theory"} <= reader.eval_titles(data)


def test_skipped_articles_give_a_batch_on_new_articles_with_the_same_unseen_ones(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    own10, unseen = reader.corpora(tmp_path / "a", 6, 3, 0, more=4)
    new, unseen2 = reader.corpora(tmp_path / "b", 6, 3, 0, more=14, skip=10)
    assert len(titles(new)) == 10 and not set(titles(new)) & set(titles(own10))
    assert titles(unseen2) == titles(unseen)
    assert not set(titles(new)) & set(titles(unseen))
