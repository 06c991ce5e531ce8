"""The reader's real-stack helpers: one mini training shared by the session (conftest's
`trained_reader`), and a streamed chat call that times its answer."""

from __future__ import annotations

import json
import time

import httpx

from smallbatch.settings import Settings
from tests.integration.conftest import SAMPLE

QUESTIONS = ["Which gas makes up about a fifth of the air?", "Who discovered oxygen?",
             "What is needed for combustion?", "What element has the symbol O?"]


def train_mini(tmp_path_factory):
    """A mini LoRA training on the real 0.5B: a few serving-format examples from the sample
    store, two steps. Returns (settings, adapter folder, manifest, examples)."""
    from ingest.pipeline import ingest
    from ingest.steps import Drops
    from rag.open_snapshot import Snapshot
    from rag.retrieve import Retriever
    from reader.batch import Batch, batch_sha256
    from reader.build import small_dir, train_adapter
    from reader.encode import counter
    from reader.generate import ExampleBuilder
    from smallbatch.embed import get_embedder
    from smallbatch.models import pull
    from smallbatch.records import Doc
    from transformers import AutoTokenizer

    s = Settings(stores=tmp_path_factory.mktemp("stores"), kb="sample")
    pull.pull("small", s.home, s.vllm.python_path())
    snap_path = ingest(SAMPLE, "sample", s).snapshot
    snap = Snapshot.open(snap_path)
    units = list(snap.units.values())[:4]
    questions = [Doc(f"q{i}", q, {"unit_id": u.id, "unit_text": u.text,
                                  "answer": " ".join(u.text.split()[:3]),
                                  "sentence": " ".join(u.text.split()[:3]) + "."})
                 for i, (q, u) in enumerate(zip(QUESTIONS, units))]
    tok = AutoTokenizer.from_pretrained(small_dir(s))
    retriever = Retriever(snap, get_embedder(s.embedder), s.retrieval)
    examples = ExampleBuilder(retriever.search, snap.units, 2, counter(tok), 600, 0.25, 0.5,
                              0).build(questions, Drops())
    snap.close()
    folder = s.reader_dir() / "batches" / "t"
    folder.mkdir(parents=True)
    batch = Batch(folder, examples, [], batch_sha256(examples), {})
    s = s.model_copy(update={"reader": s.reader.model_copy(update={
        "batch_size": 1, "lr": 1e-3, "checkpoint_every": 2})})
    out = s.reader_dir() / "adapters" / "t"
    manifest = train_adapter(s, batch, out, steps=2)
    return s, out, manifest, examples


def chat(url: str, model: str, messages: list[dict], max_tokens: int = 32) -> dict:
    """One streamed answer: text, time to first token, decode seconds and tokens."""
    t0, first, parts, tokens = time.perf_counter(), None, [], 0
    with httpx.stream("POST", f"{url}/chat/completions", timeout=300, json={
            "model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0,
            "stream": True, "stream_options": {"include_usage": True}}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            for c in chunk["choices"]:
                if c["delta"].get("content"):
                    first = first or time.perf_counter()
                    parts.append(c["delta"]["content"])
    end = time.perf_counter()
    return {"text": "".join(parts), "ttft": (first or end) - t0, "decode": end - (first or end),
            "tokens": tokens}
