"""Gold questions: SQuAD-format JSON or JSONL, with a seeded sampler."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from smallbatch.lang import detect_lang


@dataclass(slots=True)
class Question:
    id: str
    question: str
    answers: list[str]
    source_ids: list[str] = field(default_factory=list)
    answerable: bool = True  # False: the evaluated stores hold no answer; abstaining is correct
    lang: str = "en"  # "zh": scored on characters (eval/zh.py), answered in Chinese


def load_questions(path: Path, source_field: str = "source_ids") -> list[Question]:
    """SQuAD JSON (source id = "<title>/<paragraph index>", as ingest names paragraphs) or JSONL
    rows {"id", "question", "answers": [..], "source_ids": [..], "answerable": true}.

    ``source_field`` names the JSONL field holding the gold source ids (a list or one string),
    e.g. "doc" when the store's units name their pages rather than SQuAD paragraphs.
    A JSONL row without ``answerable`` is answerable when it has answers; one without ``lang``
    gets the question's language (smallbatch.lang.detect_lang)."""
    path = Path(path)
    if path.suffix == ".jsonl":
        out = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                row = json.loads(line)
                sources = row.get(source_field, [])
                sources = [sources] if isinstance(sources, str) else list(sources)
                answers = list(row.get("answers", []))
                out.append(Question(str(row.get("id", n)), row["question"], answers, sources,
                                    bool(row.get("answerable", bool(answers))),
                                    row.get("lang") or detect_lang(row["question"])))
        return out
    data = json.loads(path.read_text())["data"]
    out = []
    for article in data:
        for p, para in enumerate(article["paragraphs"]):
            for qa in para["qas"]:
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                out.append(Question(qa["id"], qa["question"], answers, [f"{article['title']}/{p}"]))
    return out


def unanswerable(pool: Path, exclude_titles: set[str], store_text: str, n: int,
                 seed: int) -> list[Question]:
    """``n`` SQuAD questions (seeded) about articles the evaluated stores do not hold, flagged
    unanswerable. An article is held when its title is in ``exclude_titles`` (titles of the
    stores' units and of the gold questions) or the opening of any of its paragraphs occurs in
    ``store_text`` (all unit texts, lower-cased), which catches stores that name units by page."""
    data = json.loads(Path(pool).read_text())["data"]
    out = []
    for article in data:
        paras = article["paragraphs"]
        if article["title"] in exclude_titles or any(
                _opening(p["context"]) in store_text for p in paras):
            continue
        out += [Question(qa["id"], qa["question"], [], [], answerable=False)
                for p in paras for qa in p["qas"]]
    if len(out) < n:
        raise ValueError(f"{pool}: only {len(out)} questions about articles outside the evaluated "
                         f"stores and gold questions, {n} unanswerable asked for")
    return sample(out, n, seed)


def _opening(text: str) -> str:
    return " ".join(text.split())[:80].lower()


def titles(source_ids) -> set[str]:
    """Article titles of SQuAD-style source ids ("<title>/<paragraph>")."""
    return {sid.rsplit("/", 1)[0] for sid in source_ids if sid}


def sample(questions: list[Question], n: int | None, seed: int) -> list[Question]:
    """A seeded shuffle cut to ``n``: a smaller ``n`` gives a prefix of a larger one, so a run
    can be extended (or a slow system run on fewer questions) and still compare like for like."""
    order = list(questions)
    random.Random(seed).shuffle(order)
    return order if n is None else order[:n]
