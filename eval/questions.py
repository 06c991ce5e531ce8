"""Gold questions: SQuAD-format JSON or JSONL, with a seeded sampler."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Question:
    id: str
    question: str
    answers: list[str]  # empty = unanswerable from the corpus
    source_ids: list[str] = field(default_factory=list)


def load_questions(path: Path) -> list[Question]:
    """SQuAD JSON (source id = "<title>/<paragraph index>", as ingest names paragraphs) or JSONL
    rows {"id", "question", "answers": [..], "source_ids": [..]}."""
    path = Path(path)
    if path.suffix == ".jsonl":
        out = []
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip():
                row = json.loads(line)
                out.append(Question(str(row.get("id", n)), row["question"],
                                    list(row.get("answers", [])), list(row.get("source_ids", []))))
        return out
    data = json.loads(path.read_text())["data"]
    out = []
    for article in data:
        for p, para in enumerate(article["paragraphs"]):
            for qa in para["qas"]:
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                out.append(Question(qa["id"], qa["question"], answers, [f"{article['title']}/{p}"]))
    return out


def sample(questions: list[Question], n: int | None, seed: int) -> list[Question]:
    """A seeded shuffle cut to ``n``: a smaller ``n`` gives a prefix of a larger one, so a run
    can be extended (or a slow system run on fewer questions) and still compare like for like."""
    order = list(questions)
    random.Random(seed).shuffle(order)
    return order if n is None else order[:n]
